#include <health/render.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using health::Millis;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

health::Threshold a_threshold() {
  health::Threshold t;
  t.key = {"database", "query_ms", {{"db", "main"}}};
  t.warn = health::AlertRange::parse("500");
  t.agg = health::Agg::p95;
  t.window_ms = 600000;
  t.description = "query latency";
  t.last_state = health::CheckState::warning;
  t.last_value = 612.5;
  t.pending_since = k_t0;
  return t;
}

} // namespace

TEST_CASE("check: the json says what changed, what was evaluated, which jobs are stale and which hooks ran", "[render]") {
  health::CheckResult result;
  result.checked_at = k_t0;
  health::Evaluation evaluation;
  evaluation.threshold = a_threshold();
  evaluation.state = health::CheckState::warning;
  evaluation.value = 612.5;
  evaluation.reason = "p95 query_ms 612.5 ms outside 0..500";
  evaluation.pending = true;
  result.evaluations = {evaluation};
  health::JobCheck job;
  job.node = "web-1";
  job.name = "backup";
  job.key = {"backup", "last_success", {{"job", "backup"}}};
  job.stale_after = 26 * health::k_hour_ms;
  job.stale = true;
  job.reason = "job backup has never succeeded in the 1d2h since its first run (stale after 1d2h)";
  result.jobs = {job};
  const std::vector<health::HookRun> hooks = {{3, 9, "timeout", "timed out after 10s"}};
  const auto text = health::render_check(result, health::HealthStatus::degraded, hooks, health::Format::json);
  CHECK(text == R"({"checked_at":"2025-01-15T00:00:00.000Z","status":"degraded","changes":[],"evaluations":[)"
                R"({"component":"database","metric":"query_ms","labels":{"db":"main"},"agg":"p95","value":612.5,)"
                R"("state":"warning","pending":true,"reason":"p95 query_ms 612.5 ms outside 0..500"}],)"
                R"("jobs":[{"job":"backup","node":"web-1","component":"backup","labels":{"job":"backup"},)"
                R"("stale_after":"1d2h","last_success":null,"state":"stale",)"
                R"x("reason":"job backup has never succeeded in the 1d2h since its first run (stale after 1d2h)"}],)x"
                R"("notifications":[{"issue_id":3,"event_id":9,"outcome":"timeout","detail":"timed out after 10s"}]})"
                "\n");
  CHECK(health::render_check(result, health::HealthStatus::degraded, hooks, health::Format::text).empty());
}

TEST_CASE("thresholds: the table shows what the last check saw", "[render]") {
  CHECK(health::render_thresholds({a_threshold()}, health::Format::table) ==
        "COMPONENT  METRIC    LABELS   AGG  WARN  CRIT  WINDOW  FOR  ENABLED  LAST                     DESCRIPTION\n"
        "database   query_ms  db=main  p95  500   -     10m     0s   yes      warning 612.5 (pending)  query latency\n");
  const auto doc = nlohmann::ordered_json::parse(health::render_thresholds({a_threshold()}, health::Format::json));
  CHECK(doc["thresholds"][0].dump() ==
        R"({"component":"database","metric":"query_ms","labels":{"db":"main"},"warn":"500","crit":null,)"
        R"("agg":"p95","window":"10m","for":"0s","enabled":true,"description":"query latency"})");
}
