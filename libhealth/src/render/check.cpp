// Thresholds and what check did with them.

#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

namespace health {

namespace {

// `{"component","metric","labels"}` of a series, for more members to follow.
Json series_json(const IssueKey& key) {
  return Json{{"component", key.component}, {"metric", key.metric}, {"labels", labels_json(key.labels)}};
}

Json alert_range_json(const std::optional<AlertRange>& range) { return range ? Json(range->text()) : Json(nullptr); }

// What the last check saw: `critical 2500`, `warning 12 (pending)`, or -.
std::string last_seen(const Threshold& t) {
  if (!t.last_state) return "-";
  std::string out(to_string(*t.last_state));
  if (t.last_value) out.append(" ").append(display_number(*t.last_value));
  if (t.pending_since && *t.last_state != CheckState::ok) out += " (pending)";
  return out;
}

std::string thresholds_table(const std::vector<Threshold>& thresholds) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : thresholds)
    rows.push_back({t.key.component, t.key.metric, t.key.labels.empty() ? "-" : format_labels(t.key.labels),
                    std::string(to_string(t.agg)), t.warn ? t.warn->text() : "-", t.crit ? t.crit->text() : "-",
                    format_duration(t.window_ms), format_duration(t.for_ms), t.enabled ? "yes" : "no", last_seen(t),
                    t.description.empty() ? "-" : t.description});
  return format_table(
      {"COMPONENT", "METRIC", "LABELS", "AGG", "WARN", "CRIT", "WINDOW", "FOR", "ENABLED", "LAST", "DESCRIPTION"},
      rows);
}

} // namespace

Json check_document(const CheckResult& result, HealthStatus status, const std::vector<HookRun>& hooks) {
  Json changes = Json::array();
  for (const auto& change : result.changes) {
    Json item = series_json(change.issue.key);
    item["issue_id"] = change.issue.id;
    item["event"] = event_json(*change.event);
    item["reason"] = change.issue.reason;
    changes.push_back(std::move(item));
  }
  Json evaluations = Json::array();
  for (const auto& evaluation : result.evaluations) {
    Json item = series_json(evaluation.threshold.key);
    item["agg"] = to_string(evaluation.threshold.agg);
    item["value"] = statistic_json(evaluation.value);
    item["state"] = to_string(evaluation.state);
    item["pending"] = evaluation.pending;
    item["reason"] = evaluation.reason;
    evaluations.push_back(std::move(item));
  }
  Json jobs = Json::array();
  for (const auto& job : result.jobs)
    jobs.push_back(Json{{"job", job.name},
                        {"node", job.node},
                        {"component", job.key.component},
                        {"labels", labels_json(job.key.labels)},
                        {"stale_after", format_duration(job.stale_after)},
                        {"last_success", job.last_success ? Json(format_time(*job.last_success)) : Json(nullptr)},
                        {"state", job.stale ? "stale" : "ok"},
                        {"reason", job.reason}});
  Json notifications = Json::array();
  for (const auto& hook : hooks)
    notifications.push_back(Json{
        {"issue_id", hook.issue_id}, {"event_id", hook.event_id}, {"outcome", hook.outcome}, {"detail", hook.detail}});
  return Json{{"checked_at", format_time(result.checked_at)},
              {"status", to_string(status)},
              {"changes", std::move(changes)},
              {"evaluations", std::move(evaluations)},
              {"jobs", std::move(jobs)},
              {"notifications", std::move(notifications)}};
}

namespace {

std::string check_json(const CheckResult& result, HealthStatus status, const std::vector<HookRun>& hooks) {
  return json_text(check_document(result, status, hooks)) + "\n";
}

} // namespace

std::string render_thresholds(const std::vector<Threshold>& thresholds, Format format) {
  if (format == Format::table) return thresholds_table(thresholds);
  if (format != Format::json) unsupported("a list of thresholds", format);
  Json list = Json::array();
  for (const auto& t : thresholds) {
    Json item = series_json(t.key);
    item["warn"] = alert_range_json(t.warn);
    item["crit"] = alert_range_json(t.crit);
    item["agg"] = to_string(t.agg);
    item["window"] = format_duration(t.window_ms);
    item["for"] = format_duration(t.for_ms);
    item["enabled"] = t.enabled;
    item["description"] = t.description;
    list.push_back(std::move(item));
  }
  return dump_json(Json{{"thresholds", std::move(list)}}, 2) + "\n";
}

std::string render_check(const CheckResult& result, HealthStatus status, const std::vector<HookRun>& hooks,
                         Format format) {
  if (format == Format::json) return check_json(result, status, hooks);
  if (format != Format::text) unsupported("a check", format);
  std::string out;
  for (const auto& change : result.changes) out += render_check_change(change);
  return out;
}

} // namespace health
