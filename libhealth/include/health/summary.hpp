#pragma once
// Summary: per series over a range, the statistics of healthctl-summary(1)
// (count, sum, rate, min, max, avg, exact percentiles, first and last) and
// the trend, with the bucket values a sparkline draws.

#include <health/aggregate.hpp>
#include <health/query.hpp>
#include <health/store.hpp>

#include <optional>
#include <vector>

namespace health {

struct SeriesSummary {
  SeriesInfo series;
  Stats stats; // first_ts and last_ts are the first and last sample times
  Trend trend;
  std::vector<std::optional<double>> buckets; // the trend's bucket values
};

// Every series `filter` matches with samples in `range`, in list_series
// order, from one consistent snapshot of the file. Memory: the values of
// one series at a time (for exact percentiles).
std::vector<SeriesSummary> summarize(Store& store, const SeriesFilter& filter, TimeRange range);

} // namespace health
