// healthctl summary: per series statistics and trend over a range, as a
// table (with sparklines on a terminal), json, csv or markdown.

#include "commands.hpp"

#include <health/render.hpp>
#include <health/summary.hpp>

#include <cstdlib>
#include <unistd.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"summary", {"table", "json", "csv", "markdown"}};

struct SummaryArgs : RangeArgs {
  bool ascii = false;
};

// Sparklines are for people at a terminal (or asked for with --ascii);
// NO_COLOR or --ascii keeps them to plain ASCII.
health::Sparklines sparklines(const SummaryArgs& args) {
  if (::isatty(STDOUT_FILENO) != 1 && !args.ascii) return health::Sparklines::none;
  const bool ascii = args.ascii || no_color();
  return ascii ? health::Sparklines::ascii : health::Sparklines::unicode;
}

void run_summary(const Globals& globals, const SummaryArgs& args) {
  const auto format =
      health::parse_format(choose_format(globals, k_formats));
  const health::Millis now = health::now_ms();
  const health::TimeRange range = parse_range(args, now, false);
  const health::SeriesFilter filter = series_filter(globals, args);

  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_summary(health::summarize(store, filter, range), range, format, sparklines(args)));
}

} // namespace

void setup_summary(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<SummaryArgs>();
  auto* command = app.add_subcommand(
      "summary", "Per series over a range: count, rate, min, avg, percentiles, max, last, trend");
  add_range_options(command, *args);
  command->add_flag("--ascii", args->ascii, "Draw the sparkline column in ASCII (also when not on a terminal)");
  describe_globals(command, k_formats, NodeUse::filters);
  command->callback([&globals, args] { run_summary(globals, *args); });
}

} // namespace healthctl
