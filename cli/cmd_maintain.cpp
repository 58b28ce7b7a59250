// healthctl maintain: the one cron entry: check, cleanup, a backup when one
// is due, and backup prune, each recorded under component healthctl.

#include "commands.hpp"

#include <health/jobs.hpp>
#include <health/render.hpp>


namespace healthctl {

namespace {

constexpr Formats k_formats{"maintain", {"text", "json"}};

struct MaintainArgs {
  std::string notify;
  std::string notify_timeout = "10s";
};

void run_maintain(const Globals& globals, const MaintainArgs& args) {
  health::MaintainOptions options;
  options.notify_command = notify_command(args.notify);
  options.notify_timeout = health::parse_duration(args.notify_timeout);
  options.backup_interval = backup_interval();
  options.cleanup = cleanup_options(CleanupArgs{}, health::now_ms());
  options.backup_dir = backup_dir(globals, "");
  options.backup_retention = backup_retention();
  options.node = node_name(globals);

  options.on_warning = [](const std::string& warning) { warn(warning); };

  const auto format = health::parse_format(choose_format(globals, k_formats));
  auto store = open_store(globals, health::OpenMode::create);
  const auto report = health::run_maintain(store, options);
  if (format == health::Format::json || !globals.quiet) write_out(health::render_maintain(report, format));
  set_exit_status(health::maintain_exit_code(report));
}

} // namespace

void setup_maintain(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<MaintainArgs>();
  auto* command = app.add_subcommand(
      "maintain", "One cron entry: check, cleanup, a backup when due, backup prune; exit 1 if a step failed");
  command->add_option("--notify", args->notify, "The hook for check's events (env HEALTH_NOTIFY_CMD)");
  command->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_maintain(globals, *args); });
}

} // namespace healthctl
