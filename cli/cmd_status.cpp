// healthctl status: healthy, degraded, critical or unknown, with the
// monitoring-plugin exit codes 0, 1, 2, 3.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/render.hpp>
#include <health/status.hpp>

namespace healthctl {

namespace {

constexpr Formats k_formats{"status", {"text", "json", "nagios"}};

struct StatusArgs {
  std::string component;
};

void run_status(const Globals& globals, const StatusArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  try {
    auto store = open_store(globals, health::OpenMode::read_only);
    std::vector<std::string> only;
    if (!args.component.empty()) only.push_back(args.component);
    const auto report = health::health_report(store, only, health::now_ms());
    write_out(health::render_status(report, format));
    set_exit_status(health::plugin_exit_code(report.status));
  } catch (const health::Error& error) {
    // A monitoring system reads stdout: say UNKNOWN there too.
    if (format == health::Format::nagios) write_out(health::render_status_unknown(error.what()));
    throw;
  }
}

} // namespace

void setup_status(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<StatusArgs>();
  auto* command =
      app.add_subcommand("status", "Healthy, degraded, critical or unknown; exit 0/1/2/3 for monitoring");
  command->add_option("-c,--component", args->component, "Only this component");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_status(globals, *args); });
}

} // namespace healthctl
