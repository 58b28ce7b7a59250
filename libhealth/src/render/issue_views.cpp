// Issues: their json (also inside status, analyze and hook payloads), the
// issue commands' text and tables.

#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

#include <cmath>

namespace health {

namespace {

Json severity_json(const std::optional<Severity>& severity) {
  return severity ? Json(to_string(*severity)) : Json(nullptr);
}

std::string optional_number(const std::optional<double>& value) {
  return value ? display_number(*value) : "-";
}

std::string whole_minutes(const Issue& issue, Millis now) {
  return display_number(std::round(issue.duration_minutes(now)));
}

// The event timeline of `issue show`: a table indented by two spaces.
std::string events_table(const std::vector<IssueEvent>& events) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& event : events) {
    std::string severity = event.severity ? std::string(to_string(*event.severity)) : "-";
    if (event.previous_severity && event.previous_severity != event.severity)
      severity = std::string(to_string(*event.previous_severity)) + " -> " + severity;
    rows.push_back({"  " + format_time(event.at), event.kind, severity, event.actor.empty() ? "-" : event.actor,
                    event.note.empty() ? "-" : event.note});
  }
  return format_table({"  AT", "EVENT", "SEVERITY", "BY", "NOTE"}, rows);
}

std::string issue_text(const Issue& issue, Millis now) {
  std::string out = "issue " + std::to_string(issue.id) + ": " + key_text(issue.key) + "\n";
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"severity", std::string(to_string(issue.severity))},
      {"status", std::string(to_string(issue.status))},
      {"reason", issue.reason},
      {"value", optional_number(issue.current_value)},
      {"threshold", optional_number(issue.threshold_value)},
      {"first detected", format_time(issue.first_detected)},
      {"last updated", format_time(issue.last_updated)},
      {"resolved", issue.resolved_at ? format_time(*issue.resolved_at) : "-"},
      {"duration", whole_minutes(issue, now) + " minutes"},
      {"occurrences", std::to_string(issue.occurrences)},
      {"source", std::string(to_string(issue.source))}};
  for (const auto& [name, value] : fields) out += "  " + name + ":" + std::string(16 - name.size(), ' ') + value + "\n";
  return out + "events:\n" + events_table(issue.events);
}

std::string issues_table(const std::vector<Issue>& issues, Millis now) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& issue : issues)
    rows.push_back({std::to_string(issue.id), issue.key.component, issue.key.metric,
                    issue.key.labels.empty() ? "-" : format_labels(issue.key.labels),
                    std::string(to_string(issue.severity)), std::string(to_string(issue.status)),
                    std::to_string(issue.occurrences), format_time(issue.first_detected), whole_minutes(issue, now),
                    issue.reason});
  return format_table(
      {"ID", "COMPONENT", "METRIC", "LABELS", "SEVERITY", "STATUS", "SEEN", "FIRST_DETECTED", "MINUTES", "REASON"},
      rows);
}

} // namespace

Json event_json(const IssueEvent& event) {
  return Json{{"id", event.id},
              {"at", format_time(event.at)},
              {"kind", event.kind},
              {"actor", event.actor},
              {"note", event.note},
              {"previous_severity", severity_json(event.previous_severity)},
              {"severity", severity_json(event.severity)},
              {"value", statistic_json(event.value)}};
}

Json issue_json(const Issue& issue, Millis now) {
  Json events = Json::array();
  for (const auto& event : issue.events) events.push_back(event_json(event));
  return Json{{"id", issue.id},
              {"component", issue.key.component},
              {"metric", issue.key.metric},
              {"labels", labels_json(issue.key.labels)},
              {"severity", to_string(issue.severity)},
              {"status", to_string(issue.status)},
              {"reason", issue.reason},
              {"current_value", statistic_json(issue.current_value)},
              {"threshold_value", statistic_json(issue.threshold_value)},
              {"first_detected", format_time(issue.first_detected)},
              {"last_updated", format_time(issue.last_updated)},
              {"resolved_at", time_json(issue.resolved_at)},
              {"occurrences", issue.occurrences},
              {"source", to_string(issue.source)},
              {"duration_minutes", statistic_json(std::round(issue.duration_minutes(now) * 10) / 10)},
              {"events", std::move(events)}};
}

std::string render_issue(const Issue& issue, Millis now, Format format) {
  if (format == Format::json) return json_text(issue_json(issue, now)) + "\n";
  if (format == Format::text) return issue_text(issue, now);
  unsupported("an issue", format);
}

std::string render_issues(const std::vector<Issue>& issues, Millis now, Format format) {
  if (format == Format::table) return issues_table(issues, now);
  if (format != Format::json) unsupported("a list of issues", format);
  std::string out = "[";
  for (const auto& issue : issues) {
    if (out.size() > 1) out += ",\n";
    append_json(out, issue_json(issue, now));
  }
  return out + "]\n";
}

std::string render_issue_change(const IssueChange& change, Millis now, Format format) {
  const auto& issue = change.issue;
  if (format == Format::json) return render_issue(issue, now, format);
  if (format != Format::text) unsupported("an issue change", format);
  const std::string what = change.event ? change.event->kind : "unchanged";
  return what + " issue " + std::to_string(issue.id) + " (" + key_text(issue.key) + ", " +
         std::string(to_string(issue.severity)) + ", " + std::string(to_string(issue.status)) + ")\n";
}

std::string render_nothing_to_resolve(const IssueKey& key, Format format) {
  if (format == Format::json) return "null\n";
  if (format != Format::text) unsupported("an issue change", format);
  return "nothing to resolve: no open issue for " + key_text(key) + "\n";
}

std::string render_event_payload(const Issue& issue, const IssueEvent& event, Millis now) {
  Issue without_events = issue;
  without_events.events.clear();
  return json_text(Json{{"event", event_json(event)}, {"issue", issue_json(without_events, now)}}) + "\n";
}

std::string render_check_change(const IssueChange& change) {
  const auto& issue = change.issue;
  const auto& event = *change.event;
  std::string out = event.kind + " issue " + std::to_string(issue.id) + ": " + key_text(issue.key) + " ";
  if (event.previous_severity && event.previous_severity != event.severity)
    out += std::string(to_string(*event.previous_severity)) + " -> ";
  out += std::string(to_string(issue.severity)) + ": ";
  out += event.kind == "resolved" ? event.note : issue.reason;
  return out + "\n";
}

} // namespace health
