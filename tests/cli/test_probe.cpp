// probe end to end: against an HTTP server of the test's own on a loopback
// port (that can fail, be slow or hang), a closed port, files aged with
// touch -d, a query on an SQLite file, and monitoring plugins; the breaker's
// whole cycle, dependencies, issues, hooks, and every error a user can hit.

#include "checks.hpp"
#include "http_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

using nlohmann::json;
using test::check_error;
using Server = test::HttpServer;

namespace {

void add(const test::Sandbox& box, std::vector<std::string> args) {
  args.insert(args.begin(), {"probe", "add"});
  const auto result = box.healthctl(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
}

// `probe run --format json` with `args`: its document, and the exit code.
std::pair<json, int> run(const test::Sandbox& box, std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"probe", "run", "--format", "json"});
  const auto result = box.healthctl(args);
  INFO(result.err);
  REQUIRE(result.exit_code <= 3);
  return {json::parse(result.out), result.exit_code};
}

const json& probe_in(const json& doc, const std::string& name) {
  for (const auto& each : doc["probes"])
    if (each["name"] == name) return each;
  FAIL("no probe " << name << " in " << doc.dump());
  throw std::logic_error("unreachable");
}

json issues(const test::Sandbox& box) {
  const auto result = box.healthctl({"issue", "list", "--format", "json"});
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

// Whether process `pid` runs: it exists and is not a zombie (killed, its
// new parent not yet reaping it).
bool alive(const std::string& pid) {
  const std::string stat = test::slurp("/proc/" + pid + "/stat");
  const auto paren = stat.rfind(") ");
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] != 'Z';
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("probe: an http probe passes, fails on status and body, opens an issue and resolves it", "[cli][probe]") {
  if (test::without_net()) return;
  test::Sandbox box;
  Server server(200, "{\"status\":\"up\"}");
  add(box, {"web", "--http", server.url("/health"), "--body-contains", "up", "--header", "X-Probe: yes"});
  auto [doc, code] = run(box);
  CHECK(code == 0);
  CHECK(probe_in(doc, "web")["result"] == "ok");
  CHECK_THAT(probe_in(doc, "web")["message"].get<std::string>(), Catch::StartsWith("HTTP 200 in "));
  CHECK_THAT(server.heads().at(0), Catch::Contains("X-Probe: yes"));

  server.set_status(503);
  std::tie(doc, code) = run(box, {"web"});
  CHECK(code == 2);
  CHECK(probe_in(doc, "web")["message"] == "HTTP 503, expected 200-399");
  auto open = issues(box);
  REQUIRE(open.size() == 1);
  CHECK(open[0]["component"] == "web");
  CHECK(open[0]["metric"] == "up");
  CHECK(open[0]["labels"] == json{{"probe", "web"}});
  CHECK(open[0]["reason"] == "probe web: HTTP 503, expected 200-399");
  CHECK(box.healthctl({"status"}).exit_code == 1);

  server.set_status(200);
  server.set_body("{\"status\":\"down\"}");
  std::tie(doc, code) = run(box, {"web"});
  CHECK(probe_in(doc, "web")["message"] == "HTTP 200 but the body lacks 'up'");
  server.set_body("up");
  std::tie(doc, code) = run(box, {"web"});
  CHECK(code == 0);
  CHECK(issues(box).empty());
  CHECK(box.healthctl({"status"}).exit_code == 0);
}

TEST_CASE("probe: a slow or hanging server fails at the timeout, never a second past it", "[cli][probe]") {
  if (test::without_net()) return;
  test::Sandbox box;
  Server server(200, "ok");
  server.set_delay(30000);
  add(box, {"slow", "--http", server.url("/"), "--timeout", "1s"});
  const auto start = std::chrono::steady_clock::now();
  const auto [doc, code] = run(box);
  const double took = seconds_since(start);
  CHECK(code == 2);
  CHECK(probe_in(doc, "slow")["message"].get<std::string>().find("within 1s") != std::string::npos);
  // The attempt itself: at its timeout, under a second past it. The command
  // adds two process starts (healthctl hands over to healthctl-net).
  CHECK(probe_in(doc, "slow")["latency_ms"].get<double>() >= 1000);
  CHECK(probe_in(doc, "slow")["latency_ms"].get<double>() < 2000);
  CHECK(took < 4.0);
}

TEST_CASE("probe: a server that trickles its answer a byte at a time fails at the timeout too", "[cli][probe]") {
  if (test::without_net()) return;
  test::Sandbox box;
  Server server(200, "ok");
  server.set_trickle(300);
  add(box, {"drip", "--http", server.url("/"), "--timeout", "1s"});
  const auto start = std::chrono::steady_clock::now();
  const auto [doc, code] = run(box);
  CHECK(code == 2);
  CHECK(probe_in(doc, "drip")["message"] == "no answer within 1s (the check was abandoned)");
  CHECK(probe_in(doc, "drip")["latency_ms"].get<double>() < 2000);
  CHECK(seconds_since(start) < 4.0);
}

TEST_CASE("probe: a body regex is POSIX extended and a large body cannot break it", "[cli][probe]") {
  if (test::without_net()) return;
  test::Sandbox box;
  std::string body;
  for (int i = 0; i < 100000; ++i) body += "ab";
  Server server(200, body + "\n{\"status\": \"up\"}");
  add(box, {"status", "--http", server.url("/"), "--body-regex", "\"status\": *\"(up|ok)\""});
  add(box, {"never", "--http", server.url("/"), "--body-regex", "(a|b)*c"});
  const auto [doc, code] = run(box);
  CHECK(probe_in(doc, "status")["result"] == "ok");
  CHECK(probe_in(doc, "never")["message"] == "HTTP 200 but the body does not match /(a|b)*c/");
  check_error(box.healthctl({"probe", "add", "bad", "--http", server.url("/"), "--body-regex", "(unclosed"}), 2,
              "--body-regex '(unclosed' is not a regular expression");
}

TEST_CASE("probe: retries back off between attempts, and tcp names what failed", "[cli][probe]") {
  test::Sandbox box;
  const std::string closed = "127.0.0.1:" + std::to_string(test::closed_port());
  add(box, {"db", "--tcp", closed, "--retries", "2"});
  const auto start = std::chrono::steady_clock::now();
  const auto [doc, code] = run(box);
  const double took = seconds_since(start);
  CHECK(code == 2);
  CHECK(probe_in(doc, "db")["attempts"] == 3);
  CHECK(probe_in(doc, "db")["message"] == "cannot connect to " + closed + ": Connection refused");
  CHECK(took >= 0.5); // 0.25..0.5 s, then 0.5..1 s
  CHECK(took < 4.0);

  Server server(200, "ok");
  const std::string open_port = server.url("").substr(7); // 127.0.0.1:PORT
  add(box, {"listener", "--tcp", open_port});
  const auto [again, again_code] = run(box, {"listener"});
  CHECK(again_code == 0);
  CHECK_THAT(probe_in(again, "listener")["message"].get<std::string>(), Catch::StartsWith("connected to "));
}

TEST_CASE("probe: a file probe checks existence, age and size", "[cli][probe]") {
  test::Sandbox box;
  const std::string path = box.write_file("out.csv", "a,b\n1,2\n");
  add(box, {"etl", "--file", path, "--max-age", "1h", "--min-size", "4"});
  CHECK(run(box).first["probes"][0]["result"] == "ok");
  REQUIRE(box.run({"touch", "-d", "2 hours ago", path}).exit_code == 0);
  auto [doc, code] = run(box, {"etl"});
  CHECK(code == 2);
  CHECK_THAT(probe_in(doc, "etl")["message"].get<std::string>(), Catch::Matches(".*out.csv is 2h0?m?\\d*s? old, more than 1h"));
  box.write_file("out.csv", "a");
  std::tie(doc, code) = run(box, {"etl"});
  CHECK(probe_in(doc, "etl")["message"] == path + " holds 1 bytes, fewer than 4");
  std::filesystem::remove(path);
  std::tie(doc, code) = run(box, {"etl"});
  CHECK(probe_in(doc, "etl")["message"] == path + ": No such file or directory");
}

TEST_CASE("probe: a sqlite probe grades a query's number against its ranges", "[cli][probe]") {
  test::Sandbox box;
  const std::string other = (box.dir() / "app.db").string();
  REQUIRE(box.healthctl({"--db", other, "record", "jobs", "done", "7", "--type", "gauge"}).exit_code == 0);
  add(box, {"rows", "--sqlite", other, "--query", "SELECT count(*) FROM series", "--warn", "2:", "--crit", "@5:10"});
  auto [doc, code] = run(box);
  CHECK(code == 1);
  CHECK(probe_in(doc, "rows")["message"] == "value 1 below 2");
  add(box, {"crit", "--sqlite", other, "--query", "SELECT 7", "--crit", "@5:10"});
  std::tie(doc, code) = run(box, {"crit"});
  CHECK(code == 2);
  CHECK(probe_in(doc, "crit")["message"] == "value 7 inside 5..10");
  add(box, {"writes", "--sqlite", other, "--query", "DELETE FROM series"});
  std::tie(doc, code) = run(box, {"writes"});
  CHECK(code == 3);
  CHECK_THAT(probe_in(doc, "writes")["message"].get<std::string>(), Catch::Contains("read-only"));
  // Each failing probe has an issue of its own.
  CHECK(issues(box).size() == 3);
}

TEST_CASE("probe: the circuit opens after failures, skips runs, half-opens and closes after its trials", "[cli][probe]") {
  test::Sandbox box;
  const std::string path = (box.dir() / "flag").string();
  add(box, {"flag", "--file", path, "--every", "1s", "--breaker-after", "2", "--breaker-open", "1s",
            "--breaker-trials", "2"});
  run(box, {"flag"});
  auto [doc, code] = run(box, {"flag"});
  CHECK(probe_in(doc, "flag")["circuit"] == "open");
  std::tie(doc, code) = run(box, {"flag"});
  CHECK(probe_in(doc, "flag")["what"] == "circuit_open");
  CHECK_THAT(probe_in(doc, "flag")["note"].get<std::string>(), Catch::Contains("probe reset flag"));
  CHECK(code == 0);
  box.write_file("flag", "x");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::tie(doc, code) = run(box, {"flag"});
  CHECK(probe_in(doc, "flag")["circuit"] == "half-open");
  std::tie(doc, code) = run(box, {"flag"});
  CHECK(probe_in(doc, "flag")["circuit"] == "closed");
  const auto shown = json::parse(box.healthctl({"probe", "show", "flag", "--format", "json"}).out);
  CHECK(shown["state"]["circuit"] == "closed");
  // Each change is a note on the probe's issue.
  const auto issue = json::parse(box.healthctl({"issue", "show", "1", "--format", "json"}).out);
  std::vector<std::string> notes;
  for (const auto& event : issue["events"])
    if (event["kind"] == "note") notes.push_back(event["note"]);
  CHECK(notes == std::vector<std::string>{"circuit opened for 1s after 2 consecutive failures",
                                          "circuit half-open: trial runs begin",
                                          "circuit closed after 2 successful trial runs"});
  const auto export_out = box.healthctl({"export", "-c", "flag", "-m", "circuit_state", "--format", "csv"});
  CHECK(std::count(export_out.out.begin(), export_out.out.end(), '\n') == 5); // header and 0, 2, 1, 0
}

TEST_CASE("probe: a probe is skipped while a dependency is down and says so", "[cli][probe]") {
  test::Sandbox box;
  const std::string closed = "127.0.0.1:" + std::to_string(test::closed_port());
  add(box, {"db", "--tcp", closed});
  add(box, {"api", "--file", box.write_file("ok", "1"), "--depends-on", "db"});
  auto [doc, code] = run(box);
  CHECK(probe_in(doc, "api")["what"] == "dependency_down");
  CHECK(probe_in(doc, "api")["note"] == "depends on db, which is down (db failed)");
  const auto text = box.healthctl({"probe", "run", "api"});
  CHECK(text.out == "api  skipped  depends on db, which is down (db is failing)\n");
}

TEST_CASE("probe: list, show, export and import, config as code", "[cli][probe]") {
  test::Sandbox box;
  add(box, {"db", "--tcp", "db.internal:5432", "--every", "30s", "-l", "env=prod", "--critical-after", "3"});
  add(box, {"etl", "--file", "/data/out.csv", "--max-age", "26h", "--depends-on", "db", "--disable"});
  const auto list = box.healthctl({"probe", "list"});
  CHECK_THAT(list.out, Catch::StartsWith("NAME"));
  CHECK_THAT(list.out, Catch::Contains("db.internal:5432"));
  const auto exported = box.healthctl({"probe", "export"});
  REQUIRE(exported.exit_code == 0);
  const auto doc = json::parse(exported.out);
  CHECK(doc["probes"][0]["every"] == "30s");
  CHECK(doc["probes"][1]["max_age"] == "1d2h");
  CHECK(doc["probes"][1]["enabled"] == false);

  test::Sandbox other;
  const auto imported = other.healthctl({"probe", "import", "-"}, exported.out);
  CHECK(imported.exit_code == 0);
  CHECK(imported.err == "imported 2 probes from stdin\n");
  CHECK(other.healthctl({"probe", "export"}).out == exported.out);
  const auto shown = other.healthctl({"probe", "show", "db"});
  CHECK_THAT(shown.out, Catch::Contains("series: db {env=prod;probe=db}"));
  CHECK_THAT(shown.out, Catch::Contains("critical after 3"));
}

TEST_CASE("probe: a notify hook gets the issue events of a run", "[cli][probe]") {
  test::Sandbox box;
  add(box, {"gone", "--file", (box.dir() / "missing").string()});
  const std::string log = (box.dir() / "hook.log").string();
  const auto result = box.healthctl({"probe", "run", "-q", "--notify", "cat >> " + log});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  const auto events = test::slurp(log);
  CHECK_THAT(events, Catch::Contains("\"kind\":\"opened\""));
  CHECK_THAT(events, Catch::Contains("probe gone: "));
}

TEST_CASE("probe: errors say what is wrong, with their exit codes, and change nothing", "[cli][probe]") {
  test::Sandbox box;
  check_error(box.healthctl({"probe", "add", "x"}), 2, "probe add needs what to check");
  check_error(box.healthctl({"probe", "add", "x", "--tcp", "a:1", "--file", "f"}), 2,
              "probe add checks one thing at a time");
  check_error(box.healthctl({"probe", "add", "x", "--tcp", "nohost"}), 2, "'nohost' is not HOST:PORT");
  check_error(box.healthctl({"probe", "add", "x", "--tcp", "a:1", "--every", "soon"}), 2, "soon");
  check_error(box.healthctl({"probe", "add", "x", "--tcp", "a:1", "--max-age", "1h"}), 2,
              "--max-age applies to --file probes only");
  check_error(box.healthctl({"probe", "add", "x", "--tcp", "a:1", "--retries", "-1"}), 2, "--retries");
  CHECK_FALSE(std::filesystem::exists(box.db())); // refused before the database is made
  check_error(box.healthctl({"probe", "list"}), 66, "");
  add(box, {"db", "--tcp", "a:1"});
  check_error(box.healthctl({"probe", "add", "db", "--tcp", "a:2"}), 2, "probe db exists");
  check_error(box.healthctl({"probe", "add", "web", "--tcp", "a:2", "--depends-on", "cache"}), 2,
              "probe web depends on cache, which is not a probe");
  add(box, {"web", "--tcp", "a:2", "--depends-on", "db"});
  check_error(box.healthctl({"probe", "rm", "db"}), 2, "probe web depends on db");
  check_error(box.healthctl({"probe", "show", "nope"}), 66, "no probe named nope");
  check_error(box.healthctl({"probe", "run", "nope"}), 66, "no probe named nope");
  check_error(box.healthctl({"probe", "import", "-"}, "{\"probes\":[{\"name\":\"a\"}]}"), 65,
              "stdin: probe 1: 'kind' is not one of http, tcp, exec, file, sqlite");
  check_error(box.healthctl({"probe", "import", (box.dir() / "none.json").string()}), 66, "cannot read");
  check_error(box.healthctl({"probe", "list", "--format", "csv"}), 2, "csv");
  CHECK(json::parse(box.healthctl({"probe", "export"}).out)["probes"].size() == 2);
}

TEST_CASE("probe: a plugin's exit status grades it, its first line is the message, its perfdata are series", "[cli][probe]") {
  test::Sandbox box;
  add(box, {"disk", "--exec",
            "echo 'DISK WARNING - / at 85% | used=85%;80;90 free=2GB'; echo 'more text'; exit 1"});
  add(box, {"broken", "--exec", "exit 7"});
  auto [doc, code] = run(box);
  CHECK(code == 3);
  CHECK(probe_in(doc, "disk")["result"] == "warning");
  CHECK(probe_in(doc, "disk")["message"] == "DISK WARNING - / at 85%");
  CHECK(probe_in(doc, "broken")["result"] == "unknown");
  CHECK(probe_in(doc, "broken")["message"] == "exit status 7, no output");
  const auto exported = box.healthctl({"export", "-c", "disk", "--format", "ndjson"});
  CHECK_THAT(exported.out, Catch::Contains(R"("name":"used","labels":{"probe":"disk"},"type":"gauge","unit":"percent","value":85)"));
  CHECK_THAT(exported.out, Catch::Contains(R"("name":"free","labels":{"probe":"disk"},"type":"gauge","unit":"bytes","value":2147483648)"));
  CHECK(issues(box).size() == 2);
}

TEST_CASE("probe: a plugin past its timeout is killed with its children, within a second", "[cli][probe]") {
  test::Sandbox box;
  const std::string pid_file = (box.dir() / "child.pid").string();
  add(box, {"hang", "--exec", "sleep 30 & echo $! > " + pid_file + "; wait", "--timeout", "1s"});
  const auto start = std::chrono::steady_clock::now();
  const auto [doc, code] = run(box);
  const double took = seconds_since(start);
  CHECK(code == 2);
  CHECK(probe_in(doc, "hang")["message"] == "no answer within 1s: the plugin was killed");
  CHECK(probe_in(doc, "hang")["latency_ms"].get<double>() < 2000);
  CHECK(took < 4.0);
  const std::string pid = test::slurp(pid_file);
  REQUIRE_FALSE(pid.empty());
  CHECK_FALSE(alive(pid.substr(0, pid.find('\n')))); // no orphan left
}

TEST_CASE("probe: probes run in parallel up to --jobs", "[cli][probe]") {
  test::Sandbox box;
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) add(box, {name, "--exec", "sleep 1"});
  auto start = std::chrono::steady_clock::now();
  CHECK(run(box, {"--jobs", "6"}).second == 0);
  CHECK(seconds_since(start) < 3.5); // one after the other: 6 s
  start = std::chrono::steady_clock::now();
  CHECK(run(box, {"--all", "--jobs", "2"}).second == 0);
  CHECK(seconds_since(start) >= 3.0);
}

TEST_CASE("probe: the monitoring plugins' own check_tcp runs as an exec probe, its time recorded", "[cli][probe]") {
  const char* plugin = "/usr/lib/nagios/plugins/check_tcp";
  if (!std::filesystem::exists(plugin)) {
    WARN("monitoring-plugins-basic is not installed: skipped");
    return;
  }
  test::Sandbox box;
  Server server(200, "ok");
  const std::string port = server.url("").substr(std::string("http://127.0.0.1:").size());
  add(box, {"tcp", "--exec", std::string(plugin) + " -H 127.0.0.1 -p " + port});
  add(box, {"closed", "--exec",
            std::string(plugin) + " -H 127.0.0.1 -p " + std::to_string(test::closed_port())});
  const auto [doc, code] = run(box);
  CHECK(code == 2);
  CHECK_THAT(probe_in(doc, "tcp")["message"].get<std::string>(), Catch::StartsWith("TCP OK"));
  CHECK(probe_in(doc, "closed")["result"] == "critical");
  const auto exported = box.healthctl({"export", "-c", "tcp", "-m", "time", "--format", "ndjson"});
  CHECK_THAT(exported.out, Catch::Contains(R"("name":"time","labels":{"probe":"tcp"},"type":"gauge","unit":"s")"));
}
