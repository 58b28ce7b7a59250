#include <health/summary.hpp>

namespace health {

std::vector<SeriesSummary> summarize(Store& store, const SeriesFilter& filter, TimeRange range) {
  ReadSnapshot snapshot(store);
  auto series = with_samples_in(store, list_series(store, filter, WithStats::no), range);
  SampleScanner scanner(store, WithContext::no);
  StatsBuilder stats;
  std::vector<SeriesSummary> out;
  out.reserve(series.size());
  for (auto& info : series) {
    TrendBuilder trend(info.type, range.since, range.until);
    scanner.scan(info, range, [&](const SampleRow& row) {
      stats.add(row.ts, row.value);
      trend.add(row.ts, row.value);
    });
    SeriesSummary summary;
    summary.stats = stats.finish(range.until - range.since);
    summary.trend = trend.finish();
    summary.buckets = trend.bucket_values();
    summary.series = std::move(info);
    out.push_back(std::move(summary));
  }
  return out;
}

} // namespace health
