#include <health/maintain.hpp>

#include <health/recorder.hpp>

#include <algorithm>

namespace health {

namespace {


} // namespace

BackupDue backup_due(const BackupStatus& status, Millis now, Millis interval) {
  BackupDue due;
  if (status.last_success) due.last_success = status.last_success->at;
  due.due = !due.last_success || *due.last_success <= now - interval;
  return due;
}

int maintain_exit_code(const MaintainReport& report) {
  const bool failed = std::any_of(report.steps.begin(), report.steps.end(), [](const MaintainStep& step) {
    return !step.ok;
  });
  return failed ? 1 : 0;
}

void record_maintain_step(Store& store, const std::string& node, const MaintainStep& step, Millis at) {
  SeriesSpec timer;
  timer.key = {node, "healthctl", "maintain_step_ms", {{"step", step.name}}};
  timer.type = MetricType::timer;
  timer.unit = "ms";
  record(store, timer, {at, static_cast<double>(step.duration_ms), {}});
  SeriesSpec failures;
  failures.key = {node, "healthctl", "maintain_step_failures", {{"step", step.name}}};
  failures.type = MetricType::counter;
  record(store, failures, {at, step.ok ? 0.0 : 1.0, {}});
}

} // namespace health
