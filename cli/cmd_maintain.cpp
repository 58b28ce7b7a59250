// healthctl maintain: the one cron entry: check, cleanup, a backup when one
// is due, and backup prune, each recorded under component healthctl.

#include "commands.hpp"

#include <health/jobs.hpp>

#include <cstdio>

namespace healthctl {

namespace {

struct MaintainArgs {
  std::string notify;
  std::string notify_timeout = "10s";
};

// One line a step: "<step>: <what it did> (<N> ms)", check's changes below it.
std::string maintain_text(const health::MaintainReport& report) {
  std::string out;
  for (const auto& step : report.steps) {
    std::string line;
    if (!step.ok) {
      line = "failed: " + step.error;
    } else if (step.name == "check") {
      line = std::string(health::to_string(report.status)) + ", " + std::to_string(report.check->evaluations.size()) +
             " thresholds, " + std::to_string(report.check->changes.size()) + " changes";
      for (const auto& change : report.check->changes) line += "\n  " + describe_change(change);
    } else if (step.name == "cleanup") {
      line = "removed " + std::to_string(report.cleanup->samples_removed) + " samples and " +
             std::to_string(report.cleanup->issues_removed) + " resolved issues, longest lock " +
             std::to_string(report.cleanup->longest_lock_ms) + " ms";
    } else if (step.name == "backup") {
      line = report.backup->due ? "created " + report.backup_created
                                : "not due (last " + health::format_time(*report.backup->last_success) +
                                      ", every " + health::format_duration(report.backup_interval) + ")";
    } else if (step.name == "prune") {
      line = "removed " + std::to_string(report.prune->removed.size()) + ", kept " +
             std::to_string(report.prune->kept.size());
    }
    out += step.name + ": " + line + " (" + std::to_string(step.duration_ms) + " ms)\n";
  }
  return out;
}

void run_maintain(const Globals& globals, const MaintainArgs& args) {
  health::MaintainOptions options;
  options.notify_command = notify_command(args.notify);
  options.notify_timeout = health::parse_duration(args.notify_timeout);
  options.backup_interval = backup_interval();
  options.cleanup = cleanup_options(CleanupArgs{}, health::now_ms());
  options.backup_dir = backup_dir(globals, "");
  options.backup_retention = backup_retention();
  options.node = node_name(globals);

  auto store = open_store(globals, health::OpenMode::create);
  const auto report = health::run_maintain(store, options);
  for (const auto& warning : report.warnings) std::fprintf(stderr, "healthctl: warning: %s\n", warning.c_str());
  if (!globals.quiet) write_out(maintain_text(report));
  set_exit_status(health::maintain_exit_code(report));
}

} // namespace

void setup_maintain(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<MaintainArgs>();
  auto* command = app.add_subcommand(
      "maintain", "One cron entry: check, cleanup, a backup when due, backup prune; exit 0/1/2, 3 if a step failed");
  command->add_option("--notify", args->notify, "The hook for check's events (env HEALTH_NOTIFY_CMD)");
  command->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)");
  command->callback([&globals, args] { run_maintain(globals, *args); });
}

} // namespace healthctl
