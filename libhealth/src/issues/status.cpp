#include <health/status.hpp>

#include <health/error.hpp>

#include <health/query.hpp>

#include <algorithm>
#include <map>

namespace health {

namespace {

HealthStatus worse(HealthStatus a, HealthStatus b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

HealthStatus status_of(const Issue& issue) {
  return issue.severity == Severity::critical ? HealthStatus::critical : HealthStatus::degraded;
}

} // namespace

std::string_view to_string(HealthStatus status) {
  switch (status) {
  case HealthStatus::healthy: return "healthy";
  case HealthStatus::degraded: return "degraded";
  case HealthStatus::critical: return "critical";
  case HealthStatus::unknown: return "unknown";
  }
  return "unknown";
}

int plugin_exit_code(HealthStatus status) { return static_cast<int>(status); }

std::map<std::string, HealthStatus> component_statuses(Store& store) {
  std::map<std::string, HealthStatus> out;
  for (const auto& issue : list_issues(store, IssueFilter{})) {
    auto& status = out.try_emplace(issue.key.component, HealthStatus::healthy).first->second;
    status = worse(status, status_of(issue));
  }
  return out;
}

namespace {

// The report of `only` (every component when empty) at `now` from the open
// issues `open`, inside the caller's snapshot.
HealthReport report_of(Store& store, const std::vector<std::string>& only, Millis now, std::vector<Issue> open) {
  HealthReport report;
  report.checked_at = now;
  const auto wanted = [&only](const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  std::map<std::string, ComponentHealth> components;
  for (auto& name : list_component_names(store)) components[name].component = name;
  for (auto& issue : open) {
    auto& health = components[issue.key.component];
    health.component = issue.key.component;
    health.status = worse(health.status, status_of(issue));
    ++report.active_issue_count;
    if (issue.severity == Severity::critical) ++report.critical_issue_count;
    health.issues.push_back(std::move(issue));
  }
  for (auto& threshold : list_thresholds(store)) {
    components[threshold.key.component].component = threshold.key.component;
    if (wanted(threshold.key.component)) report.thresholds.push_back(std::move(threshold));
  }
  for (const auto& name : only)
    if (components.count(name) == 0)
      throw Error(ErrorKind::not_found, "no component '" + name + "' in the database", "see 'healthctl components'");
  for (auto& [name, health] : components) {
    if (!wanted(name)) continue;
    std::stable_sort(health.issues.begin(), health.issues.end(), [](const Issue& a, const Issue& b) {
      return a.severity == Severity::critical && b.severity != Severity::critical;
    });
    report.status = worse(report.status, health.status);
    report.components.push_back(std::move(health));
  }
  return report;
}

} // namespace

HealthReport health_report(Store& store, const std::vector<std::string>& only, Millis now) {
  ReadSnapshot snapshot(store);
  IssueFilter filter;
  filter.components = only;
  return report_of(store, only, now, list_issues(store, filter));
}

HealthReport health_report_as_of(Store& store, const std::vector<std::string>& only, Millis at) {
  ReadSnapshot snapshot(store);
  IssueFilter filter;
  filter.which = IssueFilter::Which::all;
  filter.components = only;
  std::vector<Issue> open;
  for (auto& listed : list_issues(store, filter)) {
    if (listed.first_detected > at) continue;
    if (listed.last_updated <= at) { // as it is now: nothing changed since
      if (listed.open()) open.push_back(std::move(listed));
      continue;
    }
    auto then = issue_as_of(get_issue(store, listed.id), at);
    if (!then || !then->open()) continue;
    then->events.clear(); // as list_issues gives them
    open.push_back(std::move(*then));
  }
  return report_of(store, only, at, std::move(open));
}

} // namespace health
