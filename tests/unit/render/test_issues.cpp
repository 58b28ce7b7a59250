#include <health/error.hpp>
#include <health/render.hpp>

#include "json_keys.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using health::Millis;
using health::Severity;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

health::Issue an_issue() {
  health::Issue issue;
  issue.id = 7;
  issue.key = {"database", "query_ms", {{"db", "main"}}};
  issue.severity = Severity::critical;
  issue.reason = "p95 query_ms 2500 ms outside 0..1000";
  issue.current_value = 2500;
  issue.threshold_value = 1000.5;
  issue.first_detected = k_t0;
  issue.last_updated = k_t0 + 60000;
  issue.occurrences = 3;
  issue.source = health::IssueSource::threshold;
  health::IssueEvent event;
  event.id = 11;
  event.at = k_t0 + 60000;
  event.kind = "escalated";
  event.actor = "check";
  event.previous_severity = Severity::warning;
  event.severity = Severity::critical;
  event.value = 2500;
  issue.events = {event};
  return issue;
}

} // namespace

TEST_CASE("issues: the issue json has the fields of DESIGN.md in their order", "[render]") {
  const auto text = health::render_issue(an_issue(), k_t0 + 90 * 60000, health::Format::json);
  CHECK(text.back() == '\n');
  const auto doc = nlohmann::ordered_json::parse(text);
  CHECK(test::json_keys(doc) ==
        std::vector<std::string>{"id", "component", "metric", "labels", "severity", "status", "reason",
                                 "current_value", "threshold_value", "first_detected", "last_updated", "resolved_at",
                                 "occurrences", "source", "duration_minutes", "events"});
  CHECK(test::json_keys(doc["events"][0]) ==
        std::vector<std::string>{"id", "at", "kind", "actor", "note", "previous_severity", "severity", "value"});
  CHECK_THAT(text, Catch::Contains(R"("current_value":2500,"threshold_value":1000.5,)"));
  CHECK_THAT(text,
             Catch::Contains(R"("resolved_at":null,"occurrences":3,"source":"threshold","duration_minutes":90,)"));
}

TEST_CASE("issues: a hook's payload is the event and the issue without its events", "[render]") {
  const auto issue = an_issue();
  const auto doc = nlohmann::ordered_json::parse(health::render_event_payload(issue, issue.events[0], k_t0));
  CHECK(test::json_keys(doc) == std::vector<std::string>{"event", "issue"});
  CHECK(doc["event"]["kind"] == "escalated");
  CHECK(doc["issue"]["events"].empty());
}

TEST_CASE("issues: lines for people say what changed", "[render]") {
  const auto issue = an_issue();
  const health::IssueChange change{issue, issue.events[0]};
  CHECK(health::render_check_change(change) ==
        "escalated issue 7: database query_ms {db=main} warning -> critical: p95 query_ms 2500 ms outside 0..1000\n");
  CHECK(health::render_issue_change(change, k_t0, health::Format::text) ==
        "escalated issue 7 (database query_ms {db=main}, critical, active)\n");
  CHECK(health::render_issue_change({issue, std::nullopt}, k_t0, health::Format::text) ==
        "unchanged issue 7 (database query_ms {db=main}, critical, active)\n");
  CHECK_THROWS_AS(health::render_issue(issue, k_t0, health::Format::csv), health::Error);
}

TEST_CASE("issues: a list in json is an array with one issue a line", "[render]") {
  const auto text = health::render_issues({an_issue(), an_issue()}, k_t0, health::Format::json);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(nlohmann::json::parse(text).size() == 2);
  CHECK(health::render_issues({}, k_t0, health::Format::json) == "[]\n");
}

TEST_CASE("status: the status json and the plugin line of a report", "[render]") {
  health::HealthReport report;
  report.status = health::HealthStatus::critical;
  report.checked_at = k_t0;
  report.active_issue_count = 1;
  report.critical_issue_count = 1;
  report.components = {{"database", health::HealthStatus::critical, {an_issue()}}, {"web", {}, {}}};
  const auto doc = nlohmann::ordered_json::parse(health::render_status(report, health::Format::json));
  CHECK(test::json_keys(doc) == std::vector<std::string>{"status", "checked_at", "active_issue_count",
                                                        "critical_issue_count", "components", "no_data"});
  CHECK(test::json_keys(doc["components"]) == std::vector<std::string>{"database", "web"});
  CHECK(health::render_status(report, health::Format::nagios) ==
        "HEALTH CRITICAL - database: p95 query_ms 2500 ms outside 0..1000\n");
  CHECK(health::render_status(report, health::Format::text) ==
        "CRITICAL: 1 open issue (1 critical), 2 components\n"
        "COMPONENT  STATUS    ISSUE        REASON\n"
        "database   critical  #7 critical  p95 query_ms 2500 ms outside 0..1000\n"
        "web        healthy\n");
  CHECK(health::render_status_unknown("no database") == "HEALTH UNKNOWN - no database\n");
}
