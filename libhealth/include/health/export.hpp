#pragma once
// Export: the samples of a time range, raw or in buckets, in the formats of
// healthctl-export(1): the json document organized by component, ndjson, csv
// and tsv. Output is written as it is read, so memory stays flat.

#include <health/aggregate.hpp>
#include <health/query.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace health {

enum class ExportFormat { json, ndjson, csv, tsv };

std::optional<ExportFormat> parse_export_format(std::string_view text);

// The aggregates of bucketed rows when none are named.
inline const std::vector<Agg> k_default_aggs = {Agg::count, Agg::sum, Agg::min,
                                                Agg::max,   Agg::avg, Agg::last};

struct ExportOptions {
  SeriesFilter filter;
  TimeRange range;
  ExportFormat format = ExportFormat::ndjson;
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

// Writes the export to `out` from one consistent snapshot of the file.
// Series without samples in the range are left out. Throws Error(usage) for
// contradictory options (aggs without a step, a step and max_points, an
// empty range with max_points).
ExportTotals write_export(Store& store, const ExportOptions& options, Millis generated_at,
                          const TextSink& out);

} // namespace health
