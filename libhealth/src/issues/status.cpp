#include <health/status.hpp>

#include <health/format.hpp>
#include <health/names.hpp>
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

// Perfdata units the plugin convention knows; others are left off.
std::string_view perf_unit(std::string_view unit) {
  if (unit == "percent" || unit == "%") return "%";
  for (const std::string_view known : {"s", "ms", "us", "B", "KB", "MB", "TB", "c"})
    if (unit == known) return known;
  if (unit == "bytes") return "B";
  return "";
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
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

HealthReport health_report(Store& store, const std::vector<std::string>& only, Millis now) {
  ReadSnapshot snapshot(store);
  HealthReport report;
  report.checked_at = now;
  const auto wanted = [&only](const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  std::map<std::string, ComponentHealth> components;
  for (const auto& info : list_components(store))
    components[info.component].component = info.component;
  IssueFilter filter;
  filter.components = only;
  for (auto& issue : list_issues(store, filter)) {
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

std::string status_json(const HealthReport& report) {
  std::string out = "{";
  append_json_member(out, "status", to_string(report.status));
  append_json_member(out, "checked_at", format_time(report.checked_at));
  append_json_member(out, "active_issue_count", static_cast<double>(report.active_issue_count));
  append_json_member(out, "critical_issue_count", static_cast<double>(report.critical_issue_count));
  append_json_key(out, "components");
  out += '{';
  for (const auto& health : report.components) {
    append_json_key(out, health.component);
    out += '{';
    append_json_member(out, "status", to_string(health.status));
    append_json_key(out, "issues");
    out += '[';
    for (std::size_t i = 0; i < health.issues.size(); ++i) {
      if (i > 0) out += ',';
      append_issue_json(out, health.issues[i], report.checked_at);
    }
    out += "]}";
  }
  out += '}';
  append_json_key(out, "no_data");
  out += '[';
  bool first = true;
  for (const auto& threshold : report.thresholds) {
    if (threshold.last_state != CheckState::no_data) continue;
    out += first ? "{" : ",{";
    first = false;
    append_json_member(out, "component", threshold.key.component);
    append_json_member(out, "metric", threshold.key.metric);
    append_json_key(out, "labels");
    append_labels_json(out, threshold.key.labels);
    out += '}';
  }
  out += "]}\n";
  return out;
}

std::string status_nagios(const HealthReport& report) {
  static constexpr std::string_view k_words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  std::string out = "HEALTH ";
  out += k_words[plugin_exit_code(report.status)];
  std::vector<std::string> problems;
  for (const auto& health : report.components)
    for (const auto& issue : health.issues) {
      // Plugin output is one line, and '|' starts the perfdata.
      std::string reason = issue.reason;
      for (auto& c : reason)
        if (c == '\n' || c == '\r' || c == '|') c = ' ';
      problems.push_back(health.component + ": " + reason);
    }
  if (problems.empty()) {
    out += " - " + std::to_string(report.components.size()) + " components healthy";
  } else {
    out += " - ";
    for (std::size_t i = 0; i < problems.size(); ++i) out += (i > 0 ? ", " : "") + problems[i];
  }
  std::string perf;
  for (const auto& threshold : report.thresholds) {
    if (!threshold.last_value) continue;
    std::string label = threshold.key.component + "." + threshold.key.metric;
    if (!threshold.key.labels.empty()) label += "{" + format_labels(threshold.key.labels) + "}";
    std::string quoted;
    for (const char c : label) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    perf += (perf.empty() ? "" : " ") + ("'" + quoted + "'=") + statistic_text(*threshold.last_value);
    perf += perf_unit(threshold.unit);
    perf += ";" + (threshold.warn ? threshold.warn->text() : "") + ";" +
            (threshold.crit ? threshold.crit->text() : "") + ";;";
  }
  if (!perf.empty()) out += " | " + perf;
  return out + "\n";
}

std::string status_text(const HealthReport& report) {
  std::string out = upper(to_string(report.status)) + ": " + std::to_string(report.active_issue_count) +
                    " open issue" + (report.active_issue_count == 1 ? "" : "s") + " (" +
                    std::to_string(report.critical_issue_count) + " critical), " +
                    std::to_string(report.components.size()) + " component" +
                    (report.components.size() == 1 ? "" : "s") + "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& health : report.components) {
    if (health.issues.empty()) {
      rows.push_back({health.component, std::string(to_string(health.status)), "", ""});
      continue;
    }
    for (const auto& issue : health.issues)
      rows.push_back({health.component, std::string(to_string(health.status)),
                      "#" + std::to_string(issue.id) + " " + std::string(to_string(issue.severity)) +
                          (issue.status == IssueStatus::acknowledged ? " (acknowledged)" : ""),
                      issue.reason});
  }
  for (const auto& threshold : report.thresholds)
    if (threshold.last_state == CheckState::no_data)
      rows.push_back({threshold.key.component, "no data", threshold.key.metric,
                      "no samples in the last " + format_duration(threshold.window_ms)});
  if (!rows.empty()) out += format_table({"COMPONENT", "STATUS", "ISSUE", "REASON"}, rows);
  return out;
}

} // namespace health
