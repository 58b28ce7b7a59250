// Health status: text for people, the status json, and the
// monitoring-plugin line with perfdata.

#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

namespace health {

namespace {

// Perfdata units the plugin convention knows; others are left off.
std::string_view perf_unit(std::string_view unit) {
  if (unit == "percent" || unit == "%") return "%";
  for (const std::string_view known : {"s", "ms", "us", "B", "KB", "MB", "TB", "c"})
    if (unit == known) return known;
  if (unit == "bytes") return "B";
  return "";
}

// `'database.query_ms'=2500ms;500;1000;;` for a threshold check has evaluated.
std::string perfdata(const Threshold& threshold) {
  std::string label = threshold.key.component + "." + threshold.key.metric;
  if (!threshold.key.labels.empty()) label += "{" + format_labels(threshold.key.labels) + "}";
  std::string quoted;
  for (const char c : label) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return "'" + quoted + "'=" + statistic_text(*threshold.last_value) + std::string(perf_unit(threshold.unit)) +
         ";" + (threshold.warn ? threshold.warn->text() : "") + ";" + (threshold.crit ? threshold.crit->text() : "") +
         ";;";
}

std::string status_nagios(const HealthReport& report) {
  static constexpr std::string_view k_words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  std::string out = "HEALTH ";
  out += k_words[plugin_exit_code(report.status)];
  std::string problems;
  for (const auto& health : report.components)
    for (const auto& issue : health.issues) {
      // Plugin output is one line, and '|' starts the perfdata.
      std::string reason = issue.reason;
      for (auto& c : reason)
        if (c == '\n' || c == '\r' || c == '|') c = ' ';
      problems += (problems.empty() ? "" : ", ") + health.component + ": " + reason;
    }
  if (problems.empty())
    out += " - " + std::to_string(report.components.size()) + " components healthy";
  else
    out += " - " + problems;
  std::string perf;
  for (const auto& threshold : report.thresholds)
    if (threshold.last_value) perf += (perf.empty() ? "" : " ") + perfdata(threshold);
  if (!perf.empty()) out += " | " + perf;
  return out + "\n";
}

std::string status_text(const HealthReport& report) {
  std::string out = upper(to_string(report.status)) + ": " +
                    count_text(report.active_issue_count, "open issue", "open issues") + " (" +
                    std::to_string(report.critical_issue_count) + " critical), " +
                    count_text(report.components.size(), "component", "components") + "\n";
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

} // namespace

Json status_json(const HealthReport& report) {
  Json components = Json::object();
  for (const auto& health : report.components) {
    Json issues = Json::array();
    for (const auto& issue : health.issues) issues.push_back(issue_json(issue, report.checked_at));
    components[health.component] = Json{{"status", to_string(health.status)}, {"issues", std::move(issues)}};
  }
  Json no_data = Json::array();
  for (const auto& threshold : report.thresholds)
    if (threshold.last_state == CheckState::no_data)
      no_data.push_back(Json{{"component", threshold.key.component},
                             {"metric", threshold.key.metric},
                             {"labels", labels_json(threshold.key.labels)}});
  return Json{{"status", to_string(report.status)},
              {"checked_at", format_time(report.checked_at)},
              {"active_issue_count", report.active_issue_count},
              {"critical_issue_count", report.critical_issue_count},
              {"components", std::move(components)},
              {"no_data", std::move(no_data)}};
}

std::string render_status(const HealthReport& report, Format format) {
  switch (format) {
  case Format::text: return status_text(report);
  case Format::json: return json_text(status_json(report)) + "\n";
  case Format::nagios: return status_nagios(report);
  default: unsupported("the health status", format);
  }
}

std::string render_status_unknown(std::string_view why) { return "HEALTH UNKNOWN - " + std::string(why) + "\n"; }

} // namespace health
