// analyze end to end: every view in both formats, the byte budget, the
// file left as it was, and the error paths with their exit codes.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;
using nlohmann::ordered_json;
using test::check_error;

namespace {

// Two days of one sample a minute: api/latency_ms eight times higher for the
// 20 minutes from 6 hours ago, and worker/heartbeat silent for 3 hours.
void seed(const test::Sandbox& box) {
  std::string csv = "ts,component,name,type,unit,value\n";
  for (int minute = 2 * 1440; minute > 0; --minute) {
    const std::string ts = "-" + std::to_string(minute) + "m";
    const int latency = (100 + (minute * 37) % 11) * (minute <= 360 && minute > 340 ? 8 : 1);
    csv += ts + ",api,latency_ms,timer,ms," + std::to_string(latency) + "\n";
    if (minute > 180) csv += ts + ",worker,heartbeat,gauge,,1\n";
  }
  REQUIRE(box.healthctl({"ingest", "--format", "csv", "-q", "-"}, csv).exit_code == 0);
}

json run_json(const test::Sandbox& box, std::vector<std::string> args) {
  args.insert(args.begin(), "analyze");
  const auto result = box.healthctl(args);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.empty());
  return json::parse(result.out);
}

} // namespace

TEST_CASE("analyze: the document finds the spike and the silent reporter, and changes nothing", "[cli][analyze]") {
  test::Sandbox box;
  seed(box);
  const auto before = test::slurp(box.db());
  const auto result = box.healthctl({"analyze"});
  REQUIRE(result.exit_code == 0);
  const auto doc = ordered_json::parse(result.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"generated_at", "window", "baseline", "status", "issues", "components",
                                         "trends", "anomalies", "stale", "recent_changes", "backup_status", "uptime",
                                         "suggested_actions", "notes"});
  REQUIRE(doc["anomalies"].size() == 1);
  CHECK(doc["anomalies"][0]["metric"] == "latency_ms");
  CHECK(doc["anomalies"][0]["direction"] == "above");
  REQUIRE(doc["stale"].size() == 1);
  CHECK(doc["stale"][0]["metric"] == "heartbeat");
  CHECK(doc["stale"][0]["expected_interval"] == "1m");
  CHECK(doc["suggested_actions"][0]["because"] == "stale worker/heartbeat");
  CHECK(test::slurp(box.db()) == before);

  const auto brief = box.healthctl({"analyze", "--format", "markdown"});
  CHECK(brief.exit_code == 0);
  CHECK_THAT(brief.out, Catch::StartsWith("# Health brief: HEALTHY\n"));
  CHECK_THAT(brief.out, Catch::Contains("- Anomaly: api/latency_ms p95 "));
  CHECK_THAT(brief.out, Catch::Contains("- Stale: worker/heartbeat last seen "));

  const auto only = run_json(box, {"-c", "worker"});
  CHECK(only["components"].size() == 1);
  CHECK(only["anomalies"].empty());
  CHECK(only["stale"].size() == 1);
}

TEST_CASE("analyze: --until looks back at a window that ended in the past", "[cli][analyze]") {
  test::Sandbox box;
  seed(box);
  // 4 hours ago the spike (6 hours ago) was in the window and the heartbeat
  // (silent for 3 hours) was alive.
  const auto then = run_json(box, {"--until", "4h"});
  REQUIRE(then["anomalies"].size() == 1);
  CHECK(then["anomalies"][0]["metric"] == "latency_ms");
  CHECK(then["stale"].empty());
  // 7 hours ago the spike had not happened yet.
  CHECK(run_json(box, {"--until", "7h"})["anomalies"].empty());
  // A duration in --since counts back from --until.
  const auto window = run_json(box, {"--until", "2025-01-15T12:00:00Z", "--since", "2h"})["window"];
  CHECK(window["since"] == "2025-01-15T10:00:00.000Z");
  CHECK(window["until"] == "2025-01-15T12:00:00.000Z");
  const auto trends = run_json(box, {"trends", "--until", "2025-01-15T12:00:00Z", "--period", "1h"})["period"];
  CHECK(trends["since"] == "2025-01-15T11:00:00.000Z");
  CHECK(trends["until"] == "2025-01-15T12:00:00.000Z");
}

TEST_CASE("analyze: --max-bytes fits the budget with valid json and the strongest finding", "[cli][analyze]") {
  test::Sandbox box;
  seed(box);
  const auto result = box.healthctl({"analyze", "--max-bytes", "2500"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.size() <= 2500);
  const auto doc = json::parse(result.out);
  CHECK(doc["anomalies"][0]["metric"] == "latency_ms");
  CHECK(doc["stale"][0]["metric"] == "heartbeat");
  CHECK_THAT(doc["notes"].back().get<std::string>(), Catch::StartsWith("Left out to fit 2500 bytes: "));
  const auto brief = box.healthctl({"analyze", "--format", "markdown", "--max-bytes", "2500"});
  CHECK(brief.out.size() <= 2500);
  CHECK_THAT(brief.out, Catch::Contains("Anomaly: api/latency_ms"));
}

TEST_CASE("analyze: diagnose, trends, compare, incident and recommendations", "[cli][analyze]") {
  test::Sandbox box;
  seed(box);

  const auto diagnosis = run_json(box, {"diagnose", "api"});
  CHECK(diagnosis["component"] == "api");
  REQUIRE(diagnosis["components"].size() == 1);
  CHECK(diagnosis["components"][0]["series"][0]["history"].size() >= 40);
  CHECK(diagnosis["anomalies"].size() == 1);
  CHECK_THAT(box.healthctl({"analyze", "diagnose", "api", "--format", "markdown"}).out,
             Catch::StartsWith("# Diagnosis of api: HEALTHY\n"));

  const auto trends = run_json(box, {"trends", "--period", "12h"});
  REQUIRE(trends["trends"].size() == 2); // heartbeat still reported 9 of the 12 hours
  for (const auto& trend : trends["trends"])
    for (const char* key : {"component", "metric", "labels", "direction", "change_pct", "slope_per_hour", "strength"})
      CHECK(trend.contains(key));

  const auto compare = run_json(box, {"compare", "--baseline", "1d", "--current", "12h"});
  REQUIRE(compare["series"].size() == 2);
  CHECK(compare["series"][0]["metric"] == "latency_ms"); // the spike moved its average most
  // Times were relative to the ingest, a moment before: one sample may cross a border.
  CHECK(compare["series"][0]["current"]["count"].get<int>() >= 719);
  CHECK(compare["series"][0]["current"]["count"].get<int>() <= 720);
  CHECK(compare["series"][0]["baseline"]["count"].get<int>() >= 1439);
  CHECK(compare["series"][0]["baseline"]["count"].get<int>() <= 1441);
  CHECK(compare["series"][0]["change_pct"].get<double>() > 10);
  CHECK_THAT(box.healthctl({"analyze", "compare", "--format", "markdown"}).out, Catch::StartsWith("# Current "));

  const auto actions = run_json(box, {"recommendations"});
  REQUIRE(actions["suggested_actions"].size() >= 2);
  CHECK(actions["suggested_actions"][0]["because"] == "stale worker/heartbeat");
  CHECK_THAT(actions["suggested_actions"][1]["because"].get<std::string>(), Catch::StartsWith("anomaly api/latency_ms at "));
  const auto brief = box.healthctl({"analyze", "recommendations", "--format", "markdown"}).out;
  CHECK_THAT(brief, Catch::StartsWith("# Recommendations: HEALTHY\n\n## Suggested actions\n\n1. Check that whatever reports worker/heartbeat"));

  REQUIRE(box.healthctl({"issue", "report", "api", "latency_ms", "--severity", "critical", "--reason", "slow"}).exit_code == 0);
  const auto incident = run_json(box, {"incident", "1"});
  CHECK(incident["issue"]["id"] == 1);
  CHECK(incident["issue"]["events"].size() == 1);
  REQUIRE(incident["series"].size() == 1);
  CHECK(incident["series"][0]["metric"] == "latency_ms");
  CHECK(incident["series"][0]["before"]["count"].get<int>() >= 59); // the hour before it opened
  CHECK(incident["series"][0]["buckets"].size() >= 30);
  CHECK_THAT(box.healthctl({"analyze", "incident", "1", "--format", "markdown"}).out,
             Catch::StartsWith("# Incident: issue 1 api/latency_ms\n"));
  // The open critical issue now leads: status, what is wrong, and the first action.
  const auto doc = run_json(box, {});
  CHECK(doc["status"]["status"] == "critical");
  CHECK(doc["issues"]["active"].size() == 1);
  CHECK(doc["suggested_actions"][0]["because"] == "issue 1");
}

TEST_CASE("analyze: errors name the problem and exit with its code", "[cli][analyze][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({"analyze"}), 66, "no database at");
  seed(box);
  check_error(box.healthctl({"analyze", "-c", "nope"}), 66, "no component 'nope' in the database");
  check_error(box.healthctl({"analyze", "diagnose", "nope"}), 66, "no component 'nope' in the database");
  check_error(box.healthctl({"analyze", "incident", "7"}), 66, "no issue 7");
  check_error(box.healthctl({"analyze", "incident", "seven"}), 2, "invalid issue id 'seven'");
  check_error(box.healthctl({"analyze", "--max-bytes", "lots"}), 2, "invalid --max-bytes 'lots'");
  check_error(box.healthctl({"analyze", "--max-bytes", "0"}), 2, "invalid --max-bytes '0'");
  check_error(box.healthctl({"analyze", "--since", "2099-01-01"}), 2, "--since '2099-01-01' is not in the past");
  check_error(box.healthctl({"analyze", "--until", "2099-01-01"}), 2, "--until '2099-01-01' is in the future");
  check_error(box.healthctl({"analyze", "--until", "soon"}), 2, "soon");
  check_error(box.healthctl({"analyze", "trends", "--until", "2025-01-15T12:00:00Z", "--period", "2025-01-15T13:00:00Z"}),
              2, "--period '2025-01-15T13:00:00Z' is not before --until");
  check_error(box.healthctl({"analyze", "incident", "1", "--until", "1h"}), 2, "analyze incident takes no --until");
  check_error(box.healthctl({"analyze", "--baseline", "3mo"}), 2, "3mo");
  check_error(box.healthctl({"analyze", "trends", "--period", "soon"}), 2, "soon");
  check_error(box.healthctl({"analyze", "--format", "csv"}), 2, "csv");
  check_error(box.healthctl({"analyze", "diagnose"}), 2, "missing COMPONENT");
}
