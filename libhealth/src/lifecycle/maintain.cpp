#include <health/maintain.hpp>

#include <health/recorder.hpp>

#include <algorithm>

namespace health {

namespace {

constexpr int k_exit_step_failed = 3; // the monitoring-plugin UNKNOWN

} // namespace

BackupDue backup_due(const BackupStatus& status, Millis now, Millis interval) {
  BackupDue due;
  if (status.last_success) due.last_success = status.last_success->at;
  due.due = !due.last_success || *due.last_success <= now - interval;
  return due;
}

int maintain_exit_code(const MaintainReport& report) {
  int worst = report.check ? plugin_exit_code(report.status) : 0;
  for (const auto& step : report.steps)
    if (!step.ok) worst = std::max(worst, k_exit_step_failed);
  return worst;
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
