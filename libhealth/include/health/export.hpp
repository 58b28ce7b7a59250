#pragma once
// Export: the samples of a time range, raw or in buckets, read from one
// snapshot and handed to a writer as they are read, so memory stays flat.
// The writers of healthctl-export(1)'s formats (the json document organized
// by component, ndjson, csv and tsv) are in render.hpp (write_export).

#include <health/aggregate.hpp>
#include <health/query.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace health {

// The aggregates of bucketed rows when none are named.
inline const std::vector<Agg> k_default_aggs = {Agg::count, Agg::sum, Agg::min,
                                                Agg::max,   Agg::avg, Agg::last};

struct ExportOptions {
  SeriesFilter filter;
  TimeRange range;
  // Bucketed output: one row per bucket of `step` that holds samples, with
  // the columns `aggs` (k_default_aggs when empty). 0 with max_points 0 is
  // raw samples; with max_points > 0 the step is the smallest ladder step
  // that gives each series at most that many rows (step_for_points).
  Millis step = 0;
  std::size_t max_points = 0;
  std::vector<Agg> aggs;
  // Times are shown in this zone; buckets align to its local time.
  Zone zone = Zone::utc();
};

struct ExportTotals {
  std::size_t components = 0;
  std::size_t series = 0;
  std::size_t samples = 0; // raw samples read
  std::size_t rows = 0;    // rows written (samples or buckets)
};

// Receives the output in pieces of at most about 256 KiB.
using TextSink = std::function<void(std::string_view)>;

// The statistics of one series over the range, and whether any of its
// samples has context: what a writer may need before the series' rows.
struct SeriesStats {
  Stats stats;
  bool has_context = false;
};

// What an export is, once its options are resolved, as its writer is told
// before the first row. Valid until write_export returns.
struct ExportPlan {
  const ExportOptions& options;
  Millis step;                           // 0: raw samples
  const std::vector<Agg>& aggs;          // the columns of bucketed rows
  Millis generated_at;
  const std::vector<SeriesInfo>& series; // those with samples in the range, in order
};

// Receives an export as it is read: begin, then for each series
// begin_series, its rows (sample for raw samples, bucket for buckets that
// hold samples, in time order) and end_series, then end.
class ExportWriter {
public:
  virtual ~ExportWriter() = default;
  // Whether begin_series needs the series' SeriesStats, which costs a first
  // pass over each series.
  virtual bool wants_series_stats() const = 0;
  virtual void begin(const ExportPlan& plan) = 0;
  // `stats` is null unless wants_series_stats().
  virtual void begin_series(const SeriesInfo& series, const SeriesStats* stats) = 0;
  virtual void sample(const SampleRow& row) = 0;
  virtual void bucket(Millis start, const Stats& stats) = 0;
  virtual void end_series() = 0;
  virtual void end(const ExportTotals& totals) = 0;
};

// Reads the export of `options` from one consistent snapshot of the file
// into `writer`. Series without samples in the range are left out. Throws
// Error(usage) for contradictory options (aggs without a step, a step and
// max_points, an empty range with max_points).
ExportTotals write_export(Store& store, const ExportOptions& options, Millis generated_at,
                          ExportWriter& writer);

// ---- the current state, for Prometheus (render_prometheus)

// A summary's quantiles cover the samples of this window before now, the
// default age of the client libraries' summaries.
inline constexpr Millis k_summary_window_ms = 10 * k_minute_ms;
inline constexpr std::array<double, 3> k_summary_quantiles{0.5, 0.9, 0.99};

// One series as a scrape sees it now: its running totals and last value
// (SeriesInfo), and for a timer or rolling series the k_summary_quantiles of
// its samples in the summary window, empty when it had none there.
struct CurrentSeries {
  SeriesInfo series;
  std::vector<double> quantiles;
};

// Every series of `filter` with at least one sample, as it stands at `now`,
// read from one snapshot.
std::vector<CurrentSeries> current_series(Store& store, const SeriesFilter& filter, Millis now);

} // namespace health
