// threshold, check, issue and status end to end: the monitoring-plugin exit
// codes, the nagios line, notify hooks that fail or hang, and the error paths.

#include "checks.hpp"
#include "perfdata.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <pwd.h>
#include <unistd.h>

using nlohmann::json;
using test::check_error;

namespace {

// A critical p95 and a warning error count, evaluated by check.
void breach(const test::Sandbox& box) {
  REQUIRE(box.healthctl({"threshold", "set", "database", "query_ms", "--warn", "500", "--crit", "1000", "--agg",
                         "p95", "--window", "10m"})
              .exit_code == 0);
  for (const char* value : {"100", "2500", "3000"})
    REQUIRE(box.healthctl({"record", "database", "query_ms", value, "-t", "timer"}).exit_code == 0);
}

} // namespace

TEST_CASE("status: healthy, degraded and critical exit 0, 1 and 2", "[cli][status]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "requests"}).exit_code == 0);
  auto result = box.healthctl({"status"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "HEALTHY: 0 open issues (0 critical), 1 component\n"
                      "COMPONENT  STATUS   ISSUE  REASON\n"
                      "web        healthy\n");
  CHECK(box.healthctl({"status", "--format", "nagios"}).out == "HEALTH OK - 1 components healthy\n");

  REQUIRE(box.healthctl({"issue", "report", "web", "errors", "--severity", "warning", "--reason", "5xx up"})
              .exit_code == 0);
  result = box.healthctl({"status", "--format", "nagios"});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "HEALTH WARNING - web: 5xx up\n");

  breach(box);
  REQUIRE(box.healthctl({"check"}).exit_code == 2);
  result = box.healthctl({"status", "--format", "nagios"});
  CHECK(result.exit_code == 2);
  CHECK(result.out == "HEALTH CRITICAL - database: p95 query_ms 2950 ms outside 0..1000, web: 5xx up | "
                      "'database.query_ms'=2950ms;500;1000\n");
  const auto doc = json::parse(box.healthctl({"status", "--format", "json"}).out);
  CHECK(doc["status"] == "critical");
  CHECK(doc["active_issue_count"] == 2);
  CHECK(doc["critical_issue_count"] == 1);
  CHECK(doc["components"]["web"]["status"] == "degraded");
  CHECK(doc["components"]["web"]["issues"][0]["reason"] == "5xx up");
  result = box.healthctl({"status", "-c", "web"});
  CHECK(result.exit_code == 1);
}

TEST_CASE("status: the nagios perfdata follows the plugin guidelines item by item", "[cli][status]") {
  test::Sandbox box;
  const auto ok = [&](std::vector<std::string> args) { REQUIRE(box.healthctl(args).exit_code == 0); };
  // Label values with what the perfdata grammar reserves, and two that a
  // careless spelling would make one.
  const std::string reserved = "route=/api;v=1,x='y'|z%";
  ok({"record", "web", "resp", "50", "-t", "timer", "-l", "method=GET", "-l", reserved});
  ok({"threshold", "set", "web", "resp", "-l", "method=GET", "-l", reserved, "--warn", "100", "--crit", "200"});
  for (const std::string route : {"route=/a=b", "route=/a:b"}) {
    ok({"record", "web", "hits", "3", "-t", "gauge", "-l", route});
    ok({"threshold", "set", "web", "hits", "-l", route, "--crit", "~:10"});
  }
  ok({"record", "disk", "used", "1234567", "-t", "gauge", "--unit", "B"});
  ok({"threshold", "set", "disk", "used", "--warn", "1000000000", "--crit", "2000000000"});
  ok({"record", "host", "cpu", "42.5", "-t", "gauge", "--unit", "percent"});
  ok({"threshold", "set", "host", "cpu", "--warn", "80", "--crit", "@90:100"});
  ok({"record", "queue", "wait", "0.000025", "-t", "gauge", "--unit", "s"});
  ok({"threshold", "set", "queue", "wait", "--warn", "0.000001:"});
  ok({"record", "app", "load", "7", "-t", "gauge", "--unit", "requests"});
  ok({"threshold", "set", "app", "load", "--crit", "5"});
  REQUIRE(box.healthctl({"check"}).exit_code == 2);

  const auto result = box.healthctl({"status", "--format", "nagios"});
  CHECK(result.exit_code == 2);
  INFO("output: " << result.out);
  const auto line = test::parse_plugin_line(result.out);
  std::map<std::string, test::PerfItem> items;
  for (const auto& item : line.perfdata) CHECK(items.emplace(item.label, item).second); // labels distinct
  REQUIRE(items.size() == 7);

  const auto& resp = items.at("web.resp[method:GET,route:/api%3Bv%3D1%2Cx%3D%27y%27%7Cz%25]");
  CHECK((resp.value + resp.uom) == "50ms");
  CHECK((resp.warn + " " + resp.crit) == "100 200");
  CHECK(items.count("web.hits[route:/a%3Db]") == 1);
  CHECK(items.count("web.hits[route:/a:b]") == 1);

  const auto& disk = items.at("disk.used");
  CHECK((disk.value + disk.uom) == "1234567B");
  CHECK((disk.warn + " " + disk.crit) == "1000000000 2000000000");
  CHECK((disk.min + disk.max).empty());

  const auto& cpu = items.at("host.cpu");
  CHECK((cpu.value + cpu.uom) == "42.5%");
  CHECK((cpu.warn + " " + cpu.crit) == "80 @90:100");
  CHECK((cpu.min + " " + cpu.max) == "0 100");

  const auto& wait = items.at("queue.wait");
  CHECK((wait.value + wait.uom) == "0.000025s");
  CHECK(wait.warn == "0.000001:");

  const auto& load = items.at("app.load"); // a unit plugins don't know: left off
  CHECK((load.value + load.uom + " " + load.crit) == "7 5");
  CHECK(result.out.find("; ") == std::string::npos); // no trailing empty fields
  CHECK(result.out.find(";\n") == std::string::npos);
}

TEST_CASE("status: every failure is unknown, exit 3", "[cli][status]") {
  test::Sandbox box;
  auto result = box.healthctl({"status", "--format", "nagios"});
  CHECK(result.exit_code == 3);
  CHECK(result.out == "HEALTH UNKNOWN - no database at " + box.db() + "\n");
  CHECK_THAT(result.err, Catch::StartsWith("healthctl: error: no database at"));
  CHECK(box.healthctl({"status"}).exit_code == 3);
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  check_error(box.healthctl({"status", "--bogus"}), 3, "--bogus");
  check_error(box.healthctl({"--db", box.db(), "status", "--format", "yaml"}), 3, "unsupported format 'yaml'");
  check_error(box.healthctl({"check", "--notify-timeout", "soon"}), 3, "invalid duration 'soon'");

  // A mistyped component is not healthy: UNKNOWN, on stdout for the poller too.
  REQUIRE(box.healthctl({"record", "database", "queries"}).exit_code == 0);
  result = box.healthctl({"status", "-c", "databse", "--format", "nagios"});
  CHECK(result.exit_code == 3);
  CHECK(result.out == "HEALTH UNKNOWN - no component 'databse' in the database\n");
  CHECK(result.err == "healthctl: error: no component 'databse' in the database (see 'healthctl components')\n");
  check_error(box.healthctl({"status", "-c", "databse"}), 3, "no component 'databse' in the database");
  result = box.healthctl({"status", "-c", "database", "--format", "nagios"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "HEALTH OK - 1 components healthy\n");
}

TEST_CASE("check: prints what changed and exits with the status", "[cli][check]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  auto result = box.healthctl({"check"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  breach(box);
  result = box.healthctl({"check"});
  CHECK(result.exit_code == 2);
  CHECK(result.out == "opened issue 1: database query_ms critical: p95 query_ms 2950 ms outside 0..1000\n");
  result = box.healthctl({"check", "--format", "json"});
  CHECK(result.exit_code == 2);
  const auto doc = json::parse(result.out);
  CHECK(doc["status"] == "critical");
  CHECK(doc["changes"].empty()); // unchanged since the last check
  CHECK(doc["evaluations"][0]["state"] == "critical");
  CHECK(doc["evaluations"][0]["value"] == 2950);
  result = box.healthctl({"issue", "show", "1", "--format", "json"});
  CHECK(json::parse(result.out)["occurrences"] == 2);
}

TEST_CASE("check: the notify hook gets each event, a failing or hanging one fails nothing", "[cli][check]") {
  test::Sandbox box;
  breach(box);
  const auto events = (box.dir() / "events.ndjson").string();
  SECTION("a working hook, from --notify") {
    auto result = box.healthctl({"check", "--notify", "cat >> '" + events + "'"});
    CHECK(result.exit_code == 2);
    const auto event = json::parse(test::slurp(events));
    CHECK(event["event"]["kind"] == "opened");
    CHECK(event["event"]["previous_severity"].is_null());
    CHECK(event["event"]["severity"] == "critical");
    CHECK(event["issue"]["metric"] == "query_ms");
    CHECK(event["issue"]["source"] == "threshold");
  }
  SECTION("from HEALTH_NOTIFY_CMD") {
    box.env["HEALTH_NOTIFY_CMD"] = "cat >> '" + events + "'";
    CHECK(box.healthctl({"check"}).exit_code == 2);
    CHECK(json::parse(test::slurp(events))["event"]["kind"] == "opened");
  }
  SECTION("a failing hook") {
    auto result = box.healthctl({"check", "--notify", "echo oops >&2; exit 4"});
    CHECK(result.exit_code == 2);
    CHECK(result.out == "opened issue 1: database query_ms critical: p95 query_ms 2950 ms outside 0..1000\n");
    CHECK_THAT(result.err, Catch::Contains("oops\n"));
    CHECK_THAT(result.err, Catch::Contains("healthctl: warning: notify hook for issue 1 (opened) failed: exit "
                                           "status 4 (recorded; the next check tries again)\n"));
    // The next check delivers the event it could not deliver.
    result = box.healthctl({"check", "--notify", "cat >> '" + events + "'"});
    CHECK(result.exit_code == 2);
    CHECK(json::parse(test::slurp(events))["event"]["kind"] == "opened");
    const auto log = box.healthctl({"sql", "SELECT outcome FROM notifications ORDER BY id", "--format", "csv"});
    CHECK(log.out == "outcome\nfailed\ndelivered\n");
  }
  SECTION("a hanging hook") {
    auto result = box.healthctl({"check", "--notify", "sleep 30", "--notify-timeout", "300ms"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("notify hook for issue 1 (opened) hung: timed out after 300ms"));
    CHECK(json::parse(box.healthctl({"issue", "show", "1", "--format", "json"}).out)["events"].size() == 1);
  }
}

TEST_CASE("issue: report, update, acknowledge, escalate and resolve", "[cli][issue]") {
  test::Sandbox box;
  auto result = box.healthctl({"issue", "report", "backup", "nightly", "--severity", "warning", "--reason",
                               "took 3 hours", "--value", "10800", "--by", "cron"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "opened issue 1 (backup nightly, warning, active)\n");
  result = box.healthctl({"issue", "report", "backup", "nightly", "--severity", "warning", "--reason", "again"});
  CHECK(result.out == "updated issue 1 (backup nightly, warning, active)\n");
  CHECK(box.healthctl({"issue", "ack", "1", "--note", "on it", "--by", "ann"}).out ==
        "acknowledged issue 1 (backup nightly, warning, acknowledged)\n");
  CHECK(box.healthctl({"issue", "escalate", "1"}).out == "escalated issue 1 (backup nightly, critical, active)\n");
  CHECK(box.healthctl({"issue", "resolve", "backup", "nightly", "--note", "disk swapped"}).out ==
        "resolved issue 1 (backup nightly, critical, resolved)\n");
  const auto issue = json::parse(box.healthctl({"issue", "show", "1", "--format", "json"}).out);
  CHECK(issue["status"] == "resolved");
  CHECK(issue["occurrences"] == 2);
  CHECK(issue["current_value"] == 10800);
  std::vector<std::string> kinds;
  for (const auto& event : issue["events"]) kinds.push_back(event["kind"]);
  CHECK(kinds == std::vector<std::string>{"opened", "updated", "acknowledged", "escalated", "resolved"});
  CHECK(issue["events"][0]["actor"] == "cron");
  // No --by and no USER (as under cron): the account healthctl runs as.
  REQUIRE(box.env.count("USER") == 0);
  const passwd* account = ::getpwuid(::geteuid());
  REQUIRE(account != nullptr);
  CHECK(issue["events"][1]["actor"] == account->pw_name);
  CHECK(issue["events"][2]["note"] == "on it");
  CHECK(issue["events"][4]["note"] == "disk swapped");
  CHECK(json::parse(box.healthctl({"issue", "list", "--format", "json"}).out).empty());
  CHECK(json::parse(box.healthctl({"issue", "list", "--status", "all", "--format", "json"}).out).size() == 1);
  const auto text = box.healthctl({"issue", "show", "1"}).out;
  CHECK_THAT(text, Catch::StartsWith("issue 1: backup nightly\n  severity:        critical\n"));
  CHECK_THAT(text, Catch::Contains("escalated     warning -> critical"));
}

TEST_CASE("issue and threshold: errors name the problem with their exit codes", "[cli][issue]") {
  test::Sandbox box;
  check_error(box.healthctl({"issue", "show", "1"}), 66, "no database at");
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  check_error(box.healthctl({"issue", "show", "7"}), 66, "no issue 7 (see 'healthctl issue list --status all')");
  check_error(box.healthctl({"issue", "ack", "x1"}), 2, "invalid issue id 'x1'");
  // Nothing open is no failure: cron scripts resolve after every success.
  auto nothing = box.healthctl({"issue", "resolve", "db", "q", "-l", "route=/api"});
  CHECK(nothing.exit_code == 0);
  CHECK(nothing.out == "nothing to resolve: no open issue for db q {route=/api}\n");
  CHECK(nothing.err.empty());
  nothing = box.healthctl({"issue", "resolve", "db", "q", "-q"});
  CHECK((nothing.exit_code == 0 && nothing.out.empty() && nothing.err.empty()));
  CHECK(box.healthctl({"issue", "resolve", "db", "q", "--format", "json"}).out == "null\n");
  check_error(box.healthctl({"issue", "report", "db", "q", "--severity", "bad", "--reason", "r"}), 2,
              "invalid severity 'bad' (use warning or critical)");
  check_error(box.healthctl({"issue", "report", "db", "q", "--severity", "warning"}), 2, "missing --reason");
  check_error(box.healthctl({"issue", "list", "--status", "open"}), 2, "invalid --status 'open'");
  check_error(box.healthctl({"threshold", "set", "db", "q", "--warn", "10:5"}), 2,
              "invalid range '10:5': its start is above its end");
  check_error(box.healthctl({"threshold", "set", "db", "q"}), 2, "a threshold needs --warn, --crit or both");
  check_error(box.healthctl({"threshold", "set", "db", "q", "--warn", "1", "--agg", "median"}), 2,
              "unknown aggregate 'median'");
  check_error(box.healthctl({"threshold", "rm", "db", "q"}), 66, "no threshold for db q");
  check_error(box.healthctl({"threshold", "import", "missing.json"}), 66, "cannot read 'missing.json'");

  // An import with one bad entry imports nothing.
  const auto file = box.write_file("rules.json", R"({"thresholds":[
      {"component":"db","metric":"q","warn":"5"},
      {"component":"db","metric":"r","crit":"oops"}]})");
  check_error(box.healthctl({"threshold", "import", file}), 65,
              file + ": threshold 2: invalid range 'oops': 'oops' is not a number (nothing was imported)");
  CHECK(json::parse(box.healthctl({"threshold", "export"}).out)["thresholds"].empty());
  const auto good = box.write_file("good.json", R"({"thresholds":[{"component":"db","metric":"q","warn":"5"}]})");
  auto result = box.healthctl({"threshold", "import", good});
  CHECK(result.exit_code == 0);
  CHECK(result.err == "imported 1 threshold from " + good + "\n");
  CHECK(json::parse(box.healthctl({"threshold", "export"}).out)["thresholds"][0]["warn"] == "5");
}

TEST_CASE("check: checks running at once open one issue, with one event", "[cli][check]") {
  test::Sandbox box;
  breach(box);
  std::vector<pid_t> checks;
  for (int i = 0; i < 6; ++i) checks.push_back(box.start({test::healthctl_path(), "check"}));
  int opened_lines = 0;
  for (const pid_t pid : checks) {
    const auto result = box.finish(pid);
    CHECK(result.exit_code == 2);
    CHECK(result.err.empty());
    opened_lines += result.out.rfind("opened issue 1:", 0) == 0 ? 1 : 0;
  }
  CHECK(opened_lines == 1);
  const auto all = json::parse(box.healthctl({"issue", "list", "--status", "all", "--format", "json"}).out);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["occurrences"] == 6);
  CHECK(json::parse(box.healthctl({"issue", "show", "1", "--format", "json"}).out)["events"].size() == 1);
}
