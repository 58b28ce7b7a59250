// The current state of the series for a scrape: totals, last values and the
// quantiles of each timer's recent samples, from one snapshot.

#include <health/export.hpp>

#include <algorithm>

namespace health {

std::vector<CurrentSeries> current_series(Store& store, const SeriesFilter& filter, Millis now) {
  ReadSnapshot snapshot(store);
  std::vector<CurrentSeries> out;
  SampleScanner scanner(store, WithContext::no);
  std::vector<double> values;
  for (auto& info : list_series(store, filter, WithStats::yes)) {
    // A counter's running total stands without samples (all cleaned up, or
    // only its start noted by an ingest of Prometheus' formats); a series of
    // another type without samples has nothing to say now.
    if (!info.last_value && info.type != MetricType::counter) continue;
    CurrentSeries current{std::move(info), {}};
    if (current.series.type == MetricType::timer || current.series.type == MetricType::rolling) {
      values.clear();
      scanner.scan(current.series, {now - k_summary_window_ms, now + 1},
                   [&](const SampleRow& row) { values.push_back(row.value); });
      std::sort(values.begin(), values.end());
      if (!values.empty())
        for (const double q : k_summary_quantiles) current.quantiles.push_back(quantile(values, q));
    }
    out.push_back(std::move(current));
  }
  return out;
}

} // namespace health
