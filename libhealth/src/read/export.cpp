#include <health/export.hpp>

#include <health/error.hpp>

#include <algorithm>
#include <optional>
#include <set>

namespace health {

namespace {

// Groups samples of one series into buckets in time order and calls `emit`
// for each bucket that holds samples.
class Bucketer {
public:
  Bucketer(const ExportOptions& options, Millis step) : m_options(options), m_step(step) {}

  template <typename Emit>
  void add(Millis ts, double value, Emit&& emit) {
    if (!m_builder.empty() && ts >= m_end) finish(emit);
    if (m_builder.empty()) {
      m_start = zoned_bucket_start(ts, m_step, m_options.zone);
      m_end = next_bucket_start(m_start, m_step, m_options.zone);
    }
    m_builder.add(ts, value);
  }

  // Emits the open bucket, if any. The rate of a bucket is over the part of
  // it inside the range.
  template <typename Emit>
  void finish(Emit&& emit) {
    if (m_builder.empty()) return;
    const Millis span = std::min(m_end, m_options.range.until) - std::max(m_start, m_options.range.since);
    emit(m_start, m_builder.finish(span));
  }

private:
  const ExportOptions& m_options;
  Millis m_step;
  StatsBuilder m_builder;
  Millis m_start = 0;
  Millis m_end = 0;
};

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

Millis zoned_bucket_start(Millis t, Millis step, const Zone& zone) {
  if (zone.is_utc()) return bucket_start(t, step);
  Millis start = bucket_start(t, step, zone.offset_at(t));
  // Across a daylight saving change the offset at the bucket's start differs
  // from the one at `t`: align to local time at the start itself.
  const Millis local_start = start + zone.offset_at(t);
  const Millis corrected = local_start - zone.offset_at(start);
  if (corrected <= t) start = corrected;
  return start;
}

Millis next_bucket_start(Millis start, Millis step, const Zone& zone) {
  if (zone.is_utc() || step < k_day_ms) return start + step;
  // Local days are 23 to 25 hours long: land inside the next one, then align.
  return zoned_bucket_start(start + step + 2 * k_hour_ms, step, zone);
}

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
      Bucketer bucketer(options, step);
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
