#include <health/export.hpp>

#include <health/error.hpp>

#include <algorithm>
#include <optional>
#include <set>

namespace health {

namespace {

ExportTotals count_series(const std::vector<SeriesInfo>& series) {
  std::set<std::string_view> components;
  for (const auto& info : series) components.insert(info.component);
  ExportTotals totals;
  totals.components = components.size();
  totals.series = series.size();
  return totals;
}

// The step of the export's rows (0: raw samples), checking the options.
Millis step_of(const ExportOptions& options) {
  if (options.range.until < options.range.since)
    throw Error(ErrorKind::usage, "the range ends before it starts", "give --since earlier than --until");
  if (options.step < 0) throw Error(ErrorKind::usage, "the step must be positive");
  if (options.step > 0 && options.max_points > 0)
    throw Error(ErrorKind::usage, "--step and --max-points exclude each other", "give one of them");
  if (!options.aggs.empty() && options.step == 0 && options.max_points == 0)
    throw Error(ErrorKind::usage, "--agg needs --step or --max-points",
                "add --step 5m, say, or --max-points 500");
  if (options.max_points == 0) return options.step;
  if (options.max_points < 2)
    throw Error(ErrorKind::usage, "--max-points must be at least 2",
                "buckets align to the epoch, so a range can touch two of them");
  if (options.range.until == options.range.since)
    throw Error(ErrorKind::usage, "--max-points needs a range that is not empty");
  return step_for_points(options.range.until - options.range.since, options.max_points);
}

// A first pass over a series: its statistics over the range.
SeriesStats series_stats(SampleScanner& scanner, const SeriesInfo& info, TimeRange range) {
  StatsBuilder builder;
  bool has_context = false;
  scanner.scan(info, range, [&](const SampleRow& row) {
    builder.add(row.ts, row.value);
    has_context = has_context || !row.context.empty();
  });
  return {builder.finish(range.until - range.since), has_context};
}

} // namespace

ExportTotals write_export(Store& store, const ExportOptions& options, Millis generated_at,
                          ExportWriter& writer) {
  const Millis step = step_of(options);
  ReadSnapshot snapshot(store);
  const auto series = with_samples_in(store, list_series(store, options.filter, WithStats::no), options.range);
  const auto& aggs = options.aggs.empty() ? k_default_aggs : options.aggs;
  ExportTotals totals = count_series(series);
  SampleScanner scanner(store, step == 0 ? WithContext::yes : WithContext::no);
  writer.begin(ExportPlan{options, step, aggs, generated_at, series});
  const auto emit = [&](Millis start, const Stats& bucket) {
    writer.bucket(start, bucket);
    ++totals.rows;
  };
  for (const auto& info : series) {
    std::optional<SeriesStats> stats;
    if (writer.wants_series_stats()) {
      stats = series_stats(scanner, info, options.range);
      totals.samples += stats->stats.count;
    }
    writer.begin_series(info, stats ? &*stats : nullptr);
    if (step == 0) {
      scanner.scan(info, options.range, [&](const SampleRow& row) {
        writer.sample(row);
        ++totals.rows;
        if (!stats) ++totals.samples; // else counted by the first pass
      });
    } else {
      Bucketer bucketer(info.type, step, options.range, options.zone);
      scanner.scan(info, options.range, [&](const SampleRow& row) {
        bucketer.add(row.ts, row.value, emit);
        if (!stats) ++totals.samples; // else counted by the first pass
      });
      bucketer.finish(emit);
    }
    writer.end_series();
  }
  writer.end(totals);
  return totals;
}

} // namespace health
