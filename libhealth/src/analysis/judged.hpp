#pragma once
// What the detectors (detect.cpp) and the trend check (analyze.cpp) both
// go by.

#include <health/aggregate.hpp>
#include <health/series.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace health {

// The median of `values` (0 when empty), which it reorders.
inline double median_in_place(std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

// The median of `values` (0 when empty).
inline double median_of(std::vector<double> values) { return median_in_place(values); }

// Baseline buckets a series needs to be judged against its baseline.
inline constexpr std::size_t k_min_reference = 12;

inline bool is_counter(const SeriesInfo& s) { return s.type == MetricType::counter; }

// The buckets the detectors go by: a counter's rate over part of a bucket
// (the one in progress, say) is too rough to judge or judge by.
inline std::vector<Bucket> judged(const SeriesInfo& series, const std::vector<Bucket>& buckets) {
  std::vector<Bucket> out;
  for (const auto& b : buckets)
    if (!b.partial || !is_counter(series)) out.push_back(b);
  return out;
}

} // namespace health
