#include <health/jobs.hpp>

#include <health/error.hpp>
#include <health/notify.hpp>

#include <chrono>
#include <functional>

namespace health {

namespace {

// Keeps `warning` in the report and passes it on at once.
void warn(const MaintainOptions& options, MaintainReport& report, std::string warning) {
  if (options.on_warning) options.on_warning(warning);
  report.warnings.push_back(std::move(warning));
}

// Runs one step of `report`: times it, catches its failure (reported, and
// the next step still runs) and records it as metrics.
void run_step(Store& store, const MaintainOptions& options, MaintainReport& report, const std::string& name,
              const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  const Millis at = now_ms();
  MaintainStep step;
  step.name = name;
  try {
    work();
  } catch (const Error& error) {
    step.ok = false;
    step.error = error.what();
    warn(options, report, "maintain step " + name + " failed: " + step.error);
  }
  step.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  report.steps.push_back(step);
  try {
    record_maintain_step(store, options.node, step, at);
  } catch (const Error& error) {
    warn(options, report, "cannot record maintain step " + name + ": " + error.what());
  }
}

void check_step(Store& store, const MaintainOptions& options, MaintainReport& report) {
  const Millis now = now_ms();
  auto result = run_check(store, now, "maintain");
  if (!options.notify_command.empty())
    for (const auto& delivery :
         deliver_events(store, options.notify_command, result.changes, options.notify_timeout, now))
      if (delivery.outcome.kind != HookOutcome::Kind::delivered)
        warn(options, report, "notify hook for issue " + std::to_string(delivery.change.issue.id) + " (" +
                                  delivery.change.event->kind + "): " + delivery.outcome.detail);
  report.status = health_report(store, {}, now).status;
  report.check = std::move(result);
}

void backup_step(Store& store, const MaintainOptions& options, MaintainReport& report) {
  const Millis now = now_ms();
  const BackupDue due = backup_due(backup_status(store), now, options.backup_interval);
  if (due.due) report.backup_created = create_backup(store, options.backup_dir, now, options.node).file.path;
  report.backup = due;
}

} // namespace

MaintainReport run_maintain(Store& store, const MaintainOptions& options) {
  MaintainReport report;
  report.backup_interval = options.backup_interval;
  run_step(store, options, report, "check", [&] { check_step(store, options, report); });
  run_step(store, options, report, "cleanup", [&] { report.cleanup = cleanup(store, options.cleanup); });
  run_step(store, options, report, "backup", [&] { backup_step(store, options, report); });
  run_step(store, options, report, "prune", [&] {
    report.prune = prune_backups(options.backup_dir, backup_owner(store), options.backup_retention, 1, now_ms(), false);
  });
  return report;
}

} // namespace health
