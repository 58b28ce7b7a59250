// The database itself (init) and what ingest wrote into it.

#include <health/render.hpp>

#include "render/json.hpp"

#include "render/text.hpp"

#include <nlohmann/json.hpp>

namespace health {

std::string render_database(const Store& store, Format format) {
  if (format == Format::json) {
    // Keys in alphabetical order (nlohmann::json), as they have always been.
    const nlohmann::json out{
        {"path", store.path()}, {"schema_version", store.schema_version()}, {"created", store.created()}};
    return dump_json(out) + "\n";
  }
  if (format != Format::text) unsupported("the database", format);
  return store.path() + "\nschema version " + std::to_string(store.schema_version()) +
         (store.created() ? " (created)" : "") + "\n";
}

std::string render_ingest(const IngestReport& report, DryRun dry_run) {
  const std::string samples = std::to_string(report.samples) + " samples";
  const std::string series = std::to_string(report.series) + " series";
  if (dry_run == DryRun::yes)
    return "checked " + samples + " in " + series + " from " + std::to_string(report.lines) +
           " lines (dry run: nothing written)\n";
  std::string text = "ingested " + samples + " into " + series + " (" + std::to_string(report.new_series) +
                     " new) from " + std::to_string(report.lines) + " lines in " +
                     count_text(report.batches, "batch", "batches");
  if (report.duplicates > 0) text += "; skipped " + count_text(report.duplicates, "duplicate", "duplicates");
  if (report.counters_started > 0)
    text += "; " + count_text(report.counters_started, "counter", "counters") + " seen for the first time (" +
            (report.counters_started == 1 ? "its total" : "their totals") + " noted)";
  if (report.not_numbers > 0) text += "; skipped " + std::to_string(report.not_numbers) + " NaN or infinite values";
  return text + "\n";
}

std::string render_ingest_json(const IngestReport& report) {
  const nlohmann::ordered_json out{{"lines", report.lines},           {"samples", report.samples},
                                   {"duplicates", report.duplicates}, {"series", report.series},
                                   {"new_series", report.new_series}, {"counters_started", report.counters_started},
                                   {"not_numbers", report.not_numbers}};
  return dump_json(out) + "\n";
}

} // namespace health
