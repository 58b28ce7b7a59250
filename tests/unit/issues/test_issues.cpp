#include <health/error.hpp>
#include <health/format.hpp>
#include <health/issues.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>
#include <health/status.hpp>
#include <health/thresholds.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>

using health::k_minute_ms;
using health::k_second_ms;
using health::Millis;
using health::Severity;
using nlohmann::json;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

struct Fixture : test::StoreFixture {

  health::IssueChange report(Severity severity, Millis at, const std::string& reason = "slow",
                             const std::string& metric = "query_ms") {
    health::IssueReport r;
    r.key = {"database", metric, {}};
    r.severity = severity;
    r.reason = reason;
    r.value = 1;
    r.actor = "test";
    r.at = at;
    return health::report_issue(store, r);
  }

  void sample(const std::string& name, health::MetricType type, Millis ts, double value) {
    health::SeriesSpec spec;
    spec.key = {"node-1", "database", name, {}};
    spec.type = type;
    spec.unit = type == health::MetricType::timer ? "ms" : "";
    health::record(store, spec, {ts, value, {}});
  }

  void threshold(const std::string& metric, const char* warn, const char* crit, health::Agg agg,
                 Millis for_ms = 0) {
    health::Threshold t;
    t.key = {"database", metric, {}};
    if (warn != nullptr) t.warn = health::AlertRange::parse(warn);
    if (crit != nullptr) t.crit = health::AlertRange::parse(crit);
    t.agg = agg;
    t.window_ms = 5 * k_minute_ms;
    t.for_ms = for_ms;
    health::set_threshold(store, t);
  }

  std::vector<std::string> kinds(std::int64_t id) {
    std::vector<std::string> out;
    for (const auto& event : health::get_issue(store, id).events) out.push_back(event.kind);
    return out;
  }

  health::CheckResult check(Millis now) { return health::run_check(store, now, "check"); }
};

health::ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const health::Error& error) {
    return error.kind();
  }
  FAIL("no error");
  return health::ErrorKind::runtime;
}

} // namespace

TEST_CASE("issues: a manual report opens once, then updates, escalates and de-escalates", "[issues]") {
  Fixture f;
  const auto opened = f.report(Severity::warning, k_t0);
  REQUIRE(opened.event);
  CHECK(opened.event->kind == "opened");
  const auto again = f.report(Severity::warning, k_t0 + k_minute_ms, "still slow");
  CHECK(again.issue.id == opened.issue.id); // deduplicated
  CHECK(again.event->kind == "updated");
  CHECK(again.issue.occurrences == 2);
  CHECK(again.issue.reason == "still slow");
  const auto up = f.report(Severity::critical, k_t0 + 2 * k_minute_ms);
  CHECK(up.event->kind == "escalated");
  CHECK(up.event->previous_severity == Severity::warning);
  CHECK(up.issue.severity == Severity::critical);
  const auto down = f.report(Severity::warning, k_t0 + 3 * k_minute_ms);
  CHECK(down.event->kind == "de-escalated");
  const auto issue = health::get_issue(f.store, opened.issue.id);
  CHECK(issue.first_detected == k_t0);
  CHECK(issue.last_updated == k_t0 + 3 * k_minute_ms);
  CHECK(issue.duration_minutes(k_t0 + 10 * k_minute_ms) == 10);
  CHECK(f.kinds(issue.id) == std::vector<std::string>{"opened", "updated", "escalated", "de-escalated"});
  CHECK(health::list_issues(f.store, {}).size() == 1);
}

TEST_CASE("issues: resolve, reopen within the hour, a new issue after it", "[issues]") {
  Fixture f;
  const auto id = f.report(Severity::warning, k_t0).issue.id;
  const auto resolved = health::resolve_issue(f.store, id, "fixed", "ops", k_t0 + k_minute_ms);
  CHECK(resolved.event->kind == "resolved");
  CHECK(resolved.issue.resolved_at == k_t0 + k_minute_ms);
  CHECK_FALSE(health::resolve_issue(f.store, id, "", "ops", k_t0 + 2 * k_minute_ms).event); // no-op
  const auto reopened = f.report(Severity::critical, k_t0 + 30 * k_minute_ms);
  CHECK(reopened.issue.id == id);
  CHECK(reopened.event->kind == "reopened");
  CHECK_FALSE(reopened.issue.resolved_at.has_value());
  health::resolve_issue(f.store, {"database", "query_ms", {}}, "fixed again", "ops", k_t0 + 40 * k_minute_ms);
  const auto fresh = f.report(Severity::warning, k_t0 + 40 * k_minute_ms + health::k_reopen_window_ms + 1);
  CHECK(fresh.issue.id != id);
  CHECK(fresh.event->kind == "opened");
  CHECK(f.kinds(id) == std::vector<std::string>{"opened", "resolved", "reopened", "resolved"});
  health::IssueFilter all;
  all.which = health::IssueFilter::Which::all;
  CHECK(health::list_issues(f.store, all).size() == 2);
  all.which = health::IssueFilter::Which::resolved;
  CHECK(health::list_issues(f.store, all).size() == 1);
}

TEST_CASE("issues: acknowledge, and escalation makes an acknowledged issue active again", "[issues]") {
  Fixture f;
  const auto id = f.report(Severity::warning, k_t0).issue.id;
  const auto acked = health::acknowledge_issue(f.store, id, "looking", "ann", k_t0 + 1);
  CHECK(acked.issue.status == health::IssueStatus::acknowledged);
  CHECK(acked.event->actor == "ann");
  CHECK(acked.event->note == "looking");
  CHECK_FALSE(health::acknowledge_issue(f.store, id, "", "ann", k_t0 + 2).event);
  const auto escalated = health::escalate_issue(f.store, id, Severity::critical, "worse", "bob", k_t0 + 3);
  CHECK(escalated.issue.status == health::IssueStatus::active);
  CHECK(escalated.event->kind == "escalated");
  CHECK_FALSE(health::escalate_issue(f.store, id, Severity::critical, "", "bob", k_t0 + 4).event);
  CHECK(kind_of([&] { health::get_issue(f.store, 99); }) == health::ErrorKind::not_found);
  CHECK(kind_of([&] { health::acknowledge_issue(f.store, 99, "", "", 0); }) == health::ErrorKind::not_found);
  // Nothing open for a key: nothing to do, no error.
  CHECK_FALSE(health::resolve_issue(f.store, {"database", "other", {}}, "", "", 0).has_value());
}

TEST_CASE("issues: an issue as it stood at each moment of its history", "[issues]") {
  Fixture f;
  const auto id = f.report(Severity::warning, k_t0, "slow").issue.id;
  health::acknowledge_issue(f.store, id, "looking", "ann", k_t0 + 10);
  health::escalate_issue(f.store, id, Severity::critical, "worse", "bob", k_t0 + 20);
  health::resolve_issue(f.store, id, "fixed", "ops", k_t0 + 30);
  f.report(Severity::warning, k_t0 + 40, "slow again"); // reopened
  const auto issue = health::get_issue(f.store, id);
  using health::IssueStatus;

  CHECK_FALSE(health::issue_as_of(issue, k_t0 - 1));
  const auto opened = health::issue_as_of(issue, k_t0);
  REQUIRE(opened);
  CHECK(opened->status == IssueStatus::active);
  CHECK(opened->severity == Severity::warning);
  CHECK(opened->reason == "slow");
  CHECK(opened->events.size() == 1);
  CHECK(opened->last_updated == k_t0);
  CHECK(opened->occurrences == 1);
  CHECK(health::issue_as_of(issue, k_t0 + 15)->status == IssueStatus::acknowledged);
  const auto escalated = health::issue_as_of(issue, k_t0 + 25);
  CHECK(escalated->status == IssueStatus::active);
  CHECK(escalated->severity == Severity::critical);
  CHECK(escalated->reason == "worse");
  const auto resolved = health::issue_as_of(issue, k_t0 + 35);
  CHECK(resolved->status == IssueStatus::resolved);
  CHECK(resolved->resolved_at == k_t0 + 30);
  CHECK(resolved->events.size() == 4);
  const auto reopened = health::issue_as_of(issue, k_t0 + 40);
  CHECK(reopened->status == IssueStatus::active);
  CHECK(reopened->severity == Severity::warning);
  CHECK_FALSE(reopened->resolved_at);
  CHECK(reopened->reason == "slow again");
  const auto now = health::issue_as_of(issue, k_t0 + 1000);
  CHECK(now->events.size() == issue.events.size());
  CHECK(now->reason == issue.reason);
  CHECK(now->occurrences == issue.occurrences);

  // The status then: critical while escalated, healthy once resolved.
  CHECK(health::health_report_as_of(f.store, {}, k_t0 + 25).status == health::HealthStatus::critical);
  CHECK(health::health_report_as_of(f.store, {}, k_t0 + 35).status == health::HealthStatus::healthy);
  CHECK(health::health_report_as_of(f.store, {}, k_t0 + 35).active_issue_count == 0);
  CHECK(health::health_report_as_of(f.store, {}, k_t0 + 1000).status ==
        health::health_report(f.store, {}, k_t0 + 1000).status);
}

TEST_CASE("check: a breach opens, worsens, eases and ends, with an event each time", "[check]") {
  Fixture f;
  f.threshold("query_ms", "500", "1000", health::Agg::avg);
  // No samples yet: avg has no data, nothing opens.
  auto result = f.check(k_t0);
  CHECK(result.evaluations.at(0).state == health::CheckState::no_data);
  CHECK(result.changes.empty());

  f.sample("query_ms", health::MetricType::timer, k_t0 + 1 * k_minute_ms, 700);
  result = f.check(k_t0 + 2 * k_minute_ms);
  REQUIRE(result.changes.size() == 1);
  const auto id = result.changes[0].issue.id;
  CHECK(result.changes[0].event->kind == "opened");
  CHECK(result.changes[0].issue.severity == Severity::warning);
  CHECK(result.changes[0].issue.reason == "avg query_ms 700 ms outside 0..500");
  CHECK(result.changes[0].issue.threshold_value == 500);

  // Still breached at the same severity: updated, no event.
  result = f.check(k_t0 + 3 * k_minute_ms);
  CHECK(result.changes.empty());
  CHECK(health::get_issue(f.store, id).occurrences == 2);

  f.sample("query_ms", health::MetricType::timer, k_t0 + 3 * k_minute_ms, 2000); // avg 1350
  result = f.check(k_t0 + 4 * k_minute_ms);
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].event->kind == "escalated");

  // Both samples leave the 5 minute window; a calm one arrives.
  f.sample("query_ms", health::MetricType::timer, k_t0 + 8 * k_minute_ms + 30 * k_second_ms, 800);
  result = f.check(k_t0 + 9 * k_minute_ms);
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].event->kind == "de-escalated");

  f.sample("query_ms", health::MetricType::timer, k_t0 + 13 * k_minute_ms + 40 * k_second_ms, 100);
  result = f.check(k_t0 + 14 * k_minute_ms); // only the 100 in the window
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].event->kind == "resolved");
  CHECK(result.changes[0].event->note == "back in range: avg query_ms 100 ms in range");

  f.sample("query_ms", health::MetricType::timer, k_t0 + 15 * k_minute_ms, 5000);
  result = f.check(k_t0 + 15 * k_minute_ms + 1);
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].event->kind == "reopened");
  CHECK(result.changes[0].issue.id == id);
  CHECK(f.kinds(id) ==
        std::vector<std::string>{"opened", "escalated", "de-escalated", "resolved", "reopened"});
}

TEST_CASE("check: --for holds an issue back until the breach has lasted", "[check]") {
  Fixture f;
  f.threshold("errors", "5", nullptr, health::Agg::sum, 2 * k_minute_ms);
  for (int i = 0; i < 12; ++i) f.sample("errors", health::MetricType::counter, k_t0 + i * 30 * k_second_ms, 1);
  SECTION("a breach that holds opens after `for`") {
    auto result = f.check(k_t0 + 6 * k_minute_ms);
    CHECK(result.changes.empty());
    CHECK(result.evaluations[0].pending);
    CHECK(result.evaluations[0].state == health::CheckState::warning);
    result = f.check(k_t0 + 7 * k_minute_ms); // 1 minute: still pending
    CHECK(result.changes.empty());
    for (int i = 12; i < 20; ++i) f.sample("errors", health::MetricType::counter, k_t0 + i * 30 * k_second_ms, 1);
    result = f.check(k_t0 + 8 * k_minute_ms); // 2 minutes of breach
    REQUIRE(result.changes.size() == 1);
    CHECK(result.changes[0].event->kind == "opened");
  }
  SECTION("a breach that does not hold never opens, and starts over") {
    auto result = f.check(k_t0 + 6 * k_minute_ms);
    CHECK(result.evaluations[0].pending);
    result = f.check(k_t0 + 20 * k_minute_ms); // window empty: sum 0, in range
    CHECK(result.evaluations[0].state == health::CheckState::ok);
    CHECK_FALSE(result.evaluations[0].pending);
    f.sample("errors", health::MetricType::counter, k_t0 + 20 * k_minute_ms, 9);
    result = f.check(k_t0 + 21 * k_minute_ms);
    CHECK(result.evaluations[0].pending); // pending anew, not from the first breach
    CHECK(result.changes.empty());
  }
}

TEST_CASE("check: every aggregate, and no data", "[check]") {
  Fixture f;
  for (int i = 1; i <= 100; ++i) f.sample("latency", health::MetricType::timer, k_t0 + i * 2 * k_second_ms, i);
  const Millis now = k_t0 + 4 * k_minute_ms;
  const std::vector<std::pair<health::Agg, double>> expected = {
      {health::Agg::avg, 50.5},  {health::Agg::min, 1},     {health::Agg::max, 100},
      {health::Agg::sum, 5050},  {health::Agg::count, 100}, {health::Agg::last, 100},
      {health::Agg::p50, 50.5},  {health::Agg::p95, 95.05}, {health::Agg::p99, 99.01},
      {health::Agg::rate, 5050.0 / 300}};
  for (const auto& [agg, value] : expected) {
    f.threshold("latency", "1e9", nullptr, agg);
    const auto result = f.check(now);
    INFO(health::to_string(agg));
    CHECK(result.evaluations.at(0).value.value() == Approx(value));
  }
  // An empty window: count, sum and rate are 0 and alert if 0 is out of range;
  // the others have no data and leave the open issue as it is.
  f.threshold("latency", "10:", nullptr, health::Agg::count);
  auto result = f.check(now + health::k_hour_ms);
  CHECK(result.evaluations[0].value == 0);
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].issue.reason == "count latency 0 below 10");
  f.threshold("latency", "10:", nullptr, health::Agg::avg);
  result = f.check(now + 2 * health::k_hour_ms);
  CHECK(result.evaluations[0].state == health::CheckState::no_data);
  CHECK(result.changes.empty());
  CHECK(health::list_issues(f.store, {}).size() == 1); // kept open
  const auto report = health::health_report(f.store, {}, now);
  CHECK(report.status == health::HealthStatus::degraded);
  CHECK_THAT(health::render_status(report, health::Format::json), Catch::Contains(R"("no_data":[{"component":"database","metric":"latency")"));
}

TEST_CASE("check: people read 4 significant digits, machines the whole value", "[check]") {
  Fixture f;
  // avg of 14, 14 and 15.8131868131868: 14.6043956043956 connections.
  f.sample("conns", health::MetricType::gauge, k_t0 + 1, 14);
  f.sample("conns", health::MetricType::gauge, k_t0 + 2, 14);
  f.sample("conns", health::MetricType::gauge, k_t0 + 3, 15.8131868131868);
  f.threshold("conns", "0:3", nullptr, health::Agg::avg);
  const auto result = f.check(k_t0 + k_minute_ms);
  const double avg = result.evaluations.at(0).value.value();
  REQUIRE(result.changes.size() == 1);
  CHECK(result.changes[0].issue.reason == "avg conns 14.6 outside 0..3");
  const auto report = health::health_report(f.store, {}, k_t0 + k_minute_ms);
  const std::string nagios = health::render_status(report, health::Format::nagios);
  CHECK_THAT(nagios, Catch::StartsWith("HEALTH WARNING - database: avg conns 14.6 outside 0..3 | "));
  CHECK_THAT(nagios, Catch::Contains("'database.conns'=" + health::plain_decimal_text(avg) + ";3\n"));
  CHECK(std::strtod(health::plain_decimal_text(avg).c_str(), nullptr) == avg);
  const auto doc = json::parse(health::render_check(result, report.status, {}, health::Format::json));
  CHECK(doc["evaluations"][0]["value"].get<double>() == avg); // the whole value, not 14.6
}

TEST_CASE("status: the worst component wins, and the plugin line carries perfdata", "[status]") {
  Fixture f;
  f.sample("query_ms", health::MetricType::timer, k_t0, 2500);
  f.threshold("query_ms", "500", "1000", health::Agg::p95);
  auto report = health::health_report(f.store, {}, k_t0);
  CHECK(report.status == health::HealthStatus::healthy);
  CHECK(health::plugin_exit_code(report.status) == 0);
  CHECK(health::render_status(report, health::Format::nagios) == "HEALTH OK - 1 components healthy\n");
  f.check(k_t0 + 1);
  report = health::health_report(f.store, {}, k_t0 + 2);
  CHECK(report.status == health::HealthStatus::critical);
  CHECK(health::plugin_exit_code(report.status) == 2);
  CHECK(health::render_status(report, health::Format::nagios) ==
        "HEALTH CRITICAL - database: p95 query_ms 2500 ms outside 0..1000 | "
        "'database.query_ms'=2500ms;500;1000\n");
  const auto doc = json::parse(health::render_status(report, health::Format::json));
  CHECK(doc["status"] == "critical");
  CHECK(doc["active_issue_count"] == 1);
  CHECK(doc["critical_issue_count"] == 1);
  CHECK(doc["components"]["database"]["status"] == "critical");
  CHECK(doc["components"]["database"]["issues"][0]["threshold_value"] == 1000);
  CHECK(doc["components"]["database"]["issues"][0]["source"] == "threshold");
  // A manual warning elsewhere does not lower the overall status.
  health::IssueReport manual;
  manual.key = {"web", "errors", {}};
  manual.reason = "users | complain\nloudly";
  manual.at = k_t0 + 3;
  health::report_issue(f.store, manual);
  report = health::health_report(f.store, {}, k_t0 + 4);
  CHECK(report.status == health::HealthStatus::critical);
  CHECK_THAT(health::render_status(report, health::Format::nagios), Catch::Contains("web: users   complain loudly |"));
  report = health::health_report(f.store, {"web"}, k_t0 + 4);
  CHECK(report.status == health::HealthStatus::degraded);
}

TEST_CASE("thresholds: import is all or nothing and round-trips export", "[thresholds]") {
  Fixture f;
  const std::string good = R"({"thresholds":[
    {"component":"database","metric":"query_ms","warn":"500","crit":"1000","agg":"p95","window":"10m","for":"2m"},
    {"component":"web","metric":"errors","labels":{"route":"/api"},"crit":"~:20","agg":"sum","enabled":false}]})";
  const auto parsed = health::parse_thresholds_json(good, "rules.json");
  health::import_thresholds(f.store, parsed);
  const auto listed = health::list_thresholds(f.store);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].window_ms == 10 * k_minute_ms);
  CHECK(listed[0].for_ms == 2 * k_minute_ms);
  CHECK(listed[1].key.labels == health::Labels{{"route", "/api"}});
  CHECK_FALSE(listed[1].enabled);
  const auto exported = health::render_thresholds(listed, health::Format::json);
  CHECK(health::parse_thresholds_json(exported, "x").size() == 2);
  CHECK(health::render_thresholds(health::parse_thresholds_json(exported, "x"), health::Format::json) == exported);

  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"thresholds":[{"component":"a","metric":"b","warn":"1"},{"component":"a","metric":"c","warn":"10:5"}]})",
            "rules.json: threshold 2: invalid range '10:5': its start is above its end"},
           {R"({"thresholds":[{"component":"a","metric":"b"}]})",
            "rules.json: threshold 1: a threshold needs --warn, --crit or both"},
           {R"({"thresholds":[{"component":"a","metric":"b","warn":"1","colour":"red"}]})",
            "rules.json: threshold 1: unknown field 'colour'"},
           {R"({"thresholds":[{"component":"a","metric":"b","warn":"1","window":"1mo"}]})",
            "rules.json: threshold 1: invalid duration '1mo'"},
           {R"({"thresholds":[{"component":"a","metric":"b","warn":"1"},{"component":"a","metric":"b","warn":"2"}]})",
            "rules.json: threshold 2: a second threshold for a b"},
           {R"([1,2])", "rules.json: expected {\"thresholds\":[...]}"},
           {R"({"thresholds":[)", "rules.json: not JSON (byte 16)"}}) {
    INFO(text);
    try {
      health::parse_thresholds_json(text, "rules.json");
      FAIL("accepted");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::bad_data);
      CHECK_THAT(std::string(error.what()), Catch::StartsWith(message));
    }
  }
}
