#pragma once
// maintain's policy: the one cron entry runs check (with its hooks), cleanup,
// a backup when one is due and backup prune, each step timed, recorded as
// metrics under component healthctl, and reported; a failed step is reported
// and the next one still runs. run_maintain (jobs.hpp) carries it out.

#include <health/backup.hpp>
#include <health/cleanup.hpp>
#include <health/status.hpp>
#include <health/store.hpp>
#include <health/thresholds.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace health {

struct MaintainOptions {
  std::string node;              // recorded as, for the step metrics and backups
  std::string notify_command;    // the hook for check's events; empty: none
  Millis notify_timeout = 10 * k_second_ms;
  CleanupOptions cleanup;
  std::string backup_dir;
  Millis backup_interval = k_day_ms; // a backup is due this long after the last success
  Millis backup_retention = 30 * k_day_ms;
  // Called with each warning as it happens (see MaintainReport::warnings),
  // so a caller can show it while later steps run; may be empty.
  std::function<void(const std::string&)> on_warning;
};

// One step as it ran: `error` is the failure's message when it failed.
struct MaintainStep {
  std::string name; // check, cleanup, backup or prune
  bool ok = true;
  std::string error;
  Millis duration_ms = 0;
};

// Whether a backup is due at `now`: when no backup ever succeeded, or the
// last success is `interval` old or older.
struct BackupDue {
  bool due = true;
  std::optional<Millis> last_success;
};
BackupDue backup_due(const BackupStatus& status, Millis now, Millis interval);

// What a maintain run did. A step's result is set when the step succeeded.
struct MaintainReport {
  std::vector<MaintainStep> steps; // in the order they ran
  std::optional<CheckResult> check;
  HealthStatus status = HealthStatus::unknown; // after check
  std::optional<CleanupReport> cleanup;
  std::optional<BackupDue> backup;             // whether one was due
  Millis backup_interval = 0;
  std::string backup_created;                  // the new backup's path, if one was taken
  std::optional<PruneResult> prune;
  // One line each, in the order they happened: failed steps, hooks that did
  // not deliver, step metrics that could not be recorded. For stderr.
  std::vector<std::string> warnings;
};

// The exit code of a run: 0 when every step ran, 1 when one failed, whatever
// the health (that stays with status and check), so that a scheduler (a
// systemd timer, cron's mail) reports a failure of maintenance only.
int maintain_exit_code(const MaintainReport& report);

// Records `step` as healthctl/maintain_step_ms (a timer) and
// healthctl/maintain_step_failures (a counter: 0 or 1), labelled
// step=<name>, node `node`, at `at`.
void record_maintain_step(Store& store, const std::string& node, const MaintainStep& step, Millis at);

} // namespace health
