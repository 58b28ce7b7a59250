// healthctl components: what is recorded, per component.

#include "commands.hpp"

#include <health/query.hpp>
#include <health/render.hpp>
#include <health/status.hpp>

namespace healthctl {

namespace {

constexpr Formats k_formats{"components", {"table", "json", "csv"}};

void run_components(const Globals& globals) {
  const auto format =
      health::parse_format(choose_format(globals, k_formats));
  auto store = open_store(globals, health::OpenMode::read_only);
  const auto components = health::list_components(store);
  // A component's status comes from its open issues.
  write_out(health::render_components(components, health::component_statuses(store), format));
}

} // namespace

void setup_components(CLI::App& app, const Globals& globals) {
  auto* command = app.add_subcommand("components", "List components with series and sample counts, last seen and status");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals] { run_components(globals); });
}

} // namespace healthctl
