// healthctl report: the health of a period as a self-contained HTML page
// with a chart per series, or as Markdown, CSV or JSON; to stdout or
// atomically to a file.

#include "commands.hpp"

#include <health/analyze.hpp>
#include <health/error.hpp>
#include <health/render.hpp>

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"report", {"html", "markdown", "csv", "json"}};

struct ReportArgs {
  std::string since = "7d";
  std::string until; // empty: now
  std::string baseline = "7d";
  std::vector<std::string> components;
  std::string output;
};

void run_report(const Globals& globals, const ReportArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  health::AnalyzeOptions options;
  options.now = health::window_end(args.until, health::now_ms(), "--until");
  options.window_ms = health::window_length(args.since, "--since", options.now, args.until, "--until");
  options.baseline_ms = health::parse_duration(args.baseline);
  options.components = split_commas(args.components);
  options.history = true;
  options.history_points = health::k_report_points;

  auto store = open_store(globals, health::OpenMode::read_only);
  const auto report = health::render_report(health::analyze(store, options), format);
  // Made to be shared (a web server, a mail job): readable by all.
  if (write_document(args.output, report, 0644) && !globals.quiet && ::isatty(STDERR_FILENO) == 1)
    std::fprintf(stderr, "wrote the %s report (%zu bytes) to %s\n", std::string(health::to_string(format)).c_str(),
                 report.size(), args.output.c_str());
}

} // namespace

void setup_report(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ReportArgs>();
  auto* command = app.add_subcommand(
      "report", "The health of a period as an HTML page with a chart per series, or as Markdown, CSV or JSON");
  command->add_option("--since", args->since,
                      "Start of the period: a time, or a duration before its end (default 7d)");
  command->add_option("--until", args->until, "End of the period: a past time (default now)")->type_name("TIME");
  command->add_option("--baseline", args->baseline,
                      "Length of the baseline just before the period, for the findings (default 7d)");
  command->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  command->add_option("-o,--output", args->output, "Write to FILE atomically (- is stdout)")->type_name("FILE");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_report(globals, *args); });
}

} // namespace healthctl
