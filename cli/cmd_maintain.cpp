// healthctl maintain: the one cron entry: check, cleanup, a backup when one
// is due, and backup prune, each recorded under component healthctl.

#include "commands.hpp"

#include <health/backup.hpp>
#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/notify.hpp>
#include <health/recorder.hpp>
#include <health/status.hpp>
#include <health/thresholds.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace healthctl {

namespace {

struct MaintainArgs {
  std::string notify;
  std::string notify_timeout = "10s";
};

constexpr int k_exit_step_failed = 3;

// Records a step's duration and whether it failed, as
// healthctl/maintain_step_ms and healthctl/maintain_step_failures with the
// label step=<name>.
void record_step(health::Store& store, const std::string& node, const std::string& step, health::Millis at,
                 health::Millis duration, bool ok) {
  health::SeriesSpec timer;
  timer.key = {node, "healthctl", "maintain_step_ms", {{"step", step}}};
  timer.type = health::MetricType::timer;
  timer.unit = "ms";
  health::record(store, timer, {at, static_cast<double>(duration), {}});
  health::SeriesSpec failures;
  failures.key = {node, "healthctl", "maintain_step_failures", {{"step", step}}};
  failures.type = health::MetricType::counter;
  health::record(store, failures, {at, ok ? 0.0 : 1.0, {}});
}

void run_maintain(const Globals& globals, const MaintainArgs& args) {
  const std::string notify = notify_command(args.notify);
  const health::Millis timeout = health::parse_duration(args.notify_timeout);
  const health::Millis interval = backup_interval();
  const auto cleanup = cleanup_options(CleanupArgs{}, health::now_ms());
  const std::string dir = backup_dir(globals, "");
  const health::Millis keep = backup_retention();
  const std::string node = node_name(globals);

  auto store = open_store(globals, health::OpenMode::create);
  int worst = 0;
  std::string out;
  // Runs one step: its failure is reported and recorded, and the next runs.
  const auto step = [&](const std::string& name, const std::function<std::string()>& work) {
    const auto start = std::chrono::steady_clock::now();
    const health::Millis at = health::now_ms();
    bool ok = true;
    std::string line;
    try {
      line = work();
    } catch (const health::Error& error) {
      ok = false;
      worst = std::max(worst, k_exit_step_failed);
      line = std::string("failed: ") + error.what();
      std::fprintf(stderr, "healthctl: warning: maintain step %s failed: %s\n", name.c_str(), error.what());
    }
    const auto duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    out += name + ": " + line + " (" + std::to_string(duration) + " ms)\n";
    try {
      record_step(store, node, name, at, duration, ok);
    } catch (const health::Error& error) {
      std::fprintf(stderr, "healthctl: warning: cannot record maintain step %s: %s\n", name.c_str(), error.what());
    }
  };

  step("check", [&] {
    const health::Millis now = health::now_ms();
    const auto result = health::run_check(store, now, "maintain");
    std::string text;
    for (const auto& change : result.changes) text += "\n  " + describe_change(change);
    if (!notify.empty())
      for (const auto& delivery : health::deliver_events(store, notify, result.changes, timeout, now))
        if (delivery.outcome.kind != health::HookOutcome::Kind::delivered)
          std::fprintf(stderr, "healthctl: warning: notify hook for issue %lld (%s): %s\n",
                       static_cast<long long>(delivery.change.issue.id), delivery.change.event->kind.c_str(),
                       delivery.outcome.detail.c_str());
    const auto status = health::health_report(store, {}, now).status;
    worst = std::max(worst, health::plugin_exit_code(status));
    return std::string(health::to_string(status)) + ", " + std::to_string(result.evaluations.size()) +
           " thresholds, " + std::to_string(result.changes.size()) + " changes" + text;
  });
  step("cleanup", [&] {
    const auto report = health::cleanup(store, cleanup);
    return "removed " + std::to_string(report.samples_removed) + " samples and " +
           std::to_string(report.issues_removed) + " resolved issues, longest lock " +
           std::to_string(report.longest_lock_ms) + " ms";
  });
  step("backup", [&] {
    const health::Millis now = health::now_ms();
    const auto last = health::backup_status(store).last_success;
    if (last && last->at > now - interval)
      return "not due (last " + health::format_time(last->at) + ", every " + health::format_duration(interval) + ")";
    return "created " + health::create_backup(store, dir, now, node).file.path;
  });
  step("prune", [&] {
    const auto result = health::prune_backups(dir, keep, 1, health::now_ms(), false);
    return "removed " + std::to_string(result.removed.size()) + ", kept " + std::to_string(result.kept.size());
  });
  if (!globals.quiet) write_out(out);
  set_exit_status(worst);
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
