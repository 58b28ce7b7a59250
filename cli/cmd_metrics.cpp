// healthctl metrics: every series with its type, unit and extent.

#include "commands.hpp"

#include <health/query.hpp>
#include <health/render.hpp>

namespace healthctl {

namespace {

constexpr Formats k_formats{"metrics", {"table", "json", "csv"}};

struct MetricsArgs {
  std::vector<std::string> components;
};

void run_metrics(const Globals& globals, const MetricsArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  health::SeriesFilter filter;
  filter.components = split_commas(args.components);
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_metrics(health::list_series(store, filter, health::WithStats::yes), format));
}

} // namespace

void setup_metrics(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<MetricsArgs>();
  auto* command = app.add_subcommand("metrics", "List every series: type, unit, count, first, last, last value");
  command->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_metrics(globals, *args); });
}

} // namespace healthctl
