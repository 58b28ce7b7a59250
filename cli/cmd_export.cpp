// healthctl export: the samples of a time range, raw or bucketed, as the json
// document, NDJSON, CSV or TSV, to stdout or atomically to a file.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/export.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"export", {"ndjson", "json", "csv", "tsv", "prometheus", "openmetrics"}};

struct ExportArgs : RangeArgs {
  std::string step;
  std::vector<std::string> aggs;
  std::size_t max_points = 0;
  std::string tz;
  std::string output;
};

// The exposition of the series as they stand now, for a scrape or
// node_exporter's textfile collector: its file is readable by all (0644),
// since the collector runs as another user.
void run_prometheus(const Globals& globals, const ExportArgs& args, const CLI::App& command) {
  for (const char* flag : {"--since", "--until", "--step", "--max-points", "--agg", "--tz"})
    if (command.get_option(flag)->count() > 0)
      throw health::Error(health::ErrorKind::usage, std::string("--format prometheus takes no ") + flag,
                          "it writes the series as they stand now; see healthctl-export(1)");
  auto store = open_store(globals, health::OpenMode::read_only);
  write_document(args.output,
                 health::render_prometheus(health::current_series(store, series_filter(globals, args), health::now_ms())),
                 0644);
}

// The history of the range in OpenMetrics, for a backfill: points as they
// are, so no bucket flags.
void run_openmetrics(const Globals& globals, const ExportArgs& args, const CLI::App& command) {
  for (const char* flag : {"--step", "--max-points", "--agg", "--tz"})
    if (command.get_option(flag)->count() > 0)
      throw health::Error(health::ErrorKind::usage, std::string("--format openmetrics takes no ") + flag,
                          "it writes every point of the range; see healthctl-export(1)");
  const auto range = parse_range(args, health::now_ms(), true);
  auto store = open_store(globals, health::OpenMode::read_only);
  write_output(args.output, 0600,
               [&](const health::TextSink& out) { health::write_openmetrics(store, series_filter(globals, args), range, out); });
}

void run_export(const Globals& globals, const ExportArgs& args, const CLI::App& command) {
  const auto format =
      health::parse_format(choose_format(globals, k_formats));
  if (format == health::Format::prometheus) return run_prometheus(globals, args, command);
  if (format == health::Format::openmetrics) return run_openmetrics(globals, args, command);
  health::ExportOptions options;
  const health::Millis now = health::now_ms();
  options.range = parse_range(args, now, true);
  options.filter = series_filter(globals, args);
  if (!args.step.empty()) {
    options.step = health::parse_duration(args.step);
    if (options.step == 0)
      throw health::Error(health::ErrorKind::usage, "--step must be longer than 0", "use --step 5m, say");
  }
  options.max_points = args.max_points;
  options.aggs = health::parse_agg_list(split_commas(args.aggs));
  if (!args.tz.empty())
    options.zone = args.tz == "local" ? health::Zone::local() : health::Zone::named(args.tz);

  auto store = open_store(globals, health::OpenMode::read_only);
  health::ExportTotals totals;
  const bool to_file = write_output(args.output, 0600, [&](const health::TextSink& out) {
    totals = health::write_export(store, options, format, now, out);
  });
  if (to_file && !globals.quiet && ::isatty(STDERR_FILENO) == 1)
    std::fprintf(stderr, "wrote %zu rows (%zu samples of %zu series) to %s\n", totals.rows,
                 totals.samples, totals.series, args.output.c_str());
}

} // namespace

void setup_export(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ExportArgs>();
  auto* command = app.add_subcommand(
      "export", "Write the samples of a time range, raw or bucketed, as json, NDJSON, CSV, TSV or "
                "OpenMetrics, or the series as they stand for Prometheus");
  add_range_options(command, *args);
  auto* step = command->add_option("--step", args->step,
                                   "Bucket rows: one per step (5m, 1h, 1d) aligned to the epoch");
  auto* max_points = command->add_option("--max-points", args->max_points,
                                         "Bucket rows: the smallest step giving at most N rows per series")
                         ->check(whole_number(1))
                         ->type_name("N");
  step->excludes(max_points);
  command->add_option("--agg", args->aggs,
                      "Bucket columns: count,sum,min,max,avg,last,rate,p50,p95,p99 "
                      "(default count,sum,min,max,avg,last)");
  command->add_option("--tz", args->tz, "Show times and align day buckets in this zone (Europe/Berlin, local)");
  command->add_option("-o,--output", args->output, "Write to FILE atomically (- is stdout)");
  describe_globals(command, k_formats, NodeUse::filters);
  command->callback([&globals, args, command] { run_export(globals, *args, *command); });
}

} // namespace healthctl
