#pragma once
// Health status: a component is critical with an open critical issue, else
// degraded with an open warning issue, else healthy; the overall status is
// the worst component. Open means active or acknowledged: acknowledging an
// issue says someone is on it, not that it is over.

#include <health/issues.hpp>
#include <health/store.hpp>
#include <health/thresholds.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

enum class HealthStatus { healthy, degraded, critical, unknown };
std::string_view to_string(HealthStatus status);
// 0 healthy, 1 degraded, 2 critical, 3 unknown: the monitoring-plugin codes.
int plugin_exit_code(HealthStatus status);

struct ComponentHealth {
  std::string component;
  HealthStatus status = HealthStatus::healthy;
  std::vector<Issue> issues; // open ones, critical first
};

struct HealthReport {
  HealthStatus status = HealthStatus::healthy;
  Millis checked_at = 0;
  std::size_t active_issue_count = 0;
  std::size_t critical_issue_count = 0;
  std::vector<ComponentHealth> components; // every known component, by name
  std::vector<Threshold> thresholds;       // for perfdata and "no data"
};

// The status of every component (or of those in `components`, when not
// empty) from the open issues and the state check left in the thresholds.
// Throws Error(not_found) for a component in `components` that the database
// does not know (no series, open issue or threshold): a mistyped name is
// not healthy.
HealthReport health_report(Store& store, const std::vector<std::string>& components, Millis now);

// As health_report, from the issues open at `at` (issue_as_of):
// how things stood then. The thresholds and their state are those of now.
HealthReport health_report_as_of(Store& store, const std::vector<std::string>& components, Millis at);

// The status of each component that has open issues (the others are
// healthy), from the open issues alone.
std::map<std::string, HealthStatus> component_statuses(Store& store);

} // namespace health
