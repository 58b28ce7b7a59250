// serve end to end: the built healthctl serve in a sandbox on an ephemeral
// loopback port (tests/support/serve_process.hpp), asked over plain sockets.
// Every endpoint under three prefixes, the bodies against the CLI's output
// for the same question, the status codes of each health, the API key, the
// rate limit, the cache and its sharing of requests in flight, the body
// limit, writes, errors and headers, HEAD, the query timeout, the stop on
// SIGTERM, the usage errors, the log and its file (SIGHUP). A real
// Prometheus scrapes serve in check_prometheus_scrape.sh.

#include "checks.hpp"
#include "http_server.hpp"
#include "serve_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using nlohmann::json;
using test::DatabaseLock;
using test::http_get;
using test::http_request;
using test::HttpAnswer;
using test::HttpConnection;
using test::ServeProcess;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string k_json = "application/json; charset=utf-8";
const std::string k_ndjson = "application/x-ndjson; charset=utf-8";
const std::string k_csv = "text/csv; charset=utf-8";
const std::string k_markdown = "text/markdown; charset=utf-8";
const std::string k_prometheus = "text/plain; version=0.0.4; charset=utf-8";
const std::vector<std::string> k_prefixes{"/health/", "/api/v1/health/", "/services/user-service/health/"};

// Two hours of three series, a point a minute up to the minute before T0 (a
// whole minute in the past, in epoch seconds, which it returns): a gauge
// with a unit, a counter with a label and a timer. Healthy.
long long seed(const test::Sandbox& box) {
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const long long t0 = now / 60 * 60 - 60;
  std::string lines;
  for (int i = 0; i < 120; ++i) {
    const long long ts = (t0 - (120 - i) * 60) * 1000;
    const auto at = std::to_string(ts);
    lines += R"({"ts_ms":)" + at + R"(,"component":"app","name":"temperature","type":"gauge","unit":"C","value":)" +
             std::to_string(20 + i % 7) + "}\n";
    lines += R"({"ts_ms":)" + at +
             R"(,"component":"api","name":"requests","type":"counter","unit":"","labels":{"route":"/a"},"value":)" +
             std::to_string(i % 5) + "}\n";
    lines += R"({"ts_ms":)" + at + R"(,"component":"db","name":"query_ms","type":"timer","unit":"ms","value":)" +
             std::to_string(10 + i % 13) + "}\n";
  }
  const auto ingested = box.healthctl({"ingest", "-q"}, lines);
  INFO(ingested.err);
  REQUIRE(ingested.exit_code == 0);
  return t0;
}

enum class Seed {
  samples,   // seed()'s
  with_issue // and issue 1, a warning on db/query_ms reported and resolved: still healthy
};

void copy_database(const test::Sandbox& from, const test::Sandbox& to) {
  namespace fs = std::filesystem;
  for (const char* suffix : {"", "-wal"}) {
    const fs::path file = from.db() + suffix;
    if (fs::exists(file)) fs::copy_file(file, to.db() + suffix, fs::copy_options::overwrite_existing);
  }
}

// Copies a seeded database into `box`, made once for the whole run (a
// healthctl run costs half a second under ASan); returns its T0.
long long seeded(const test::Sandbox& box, Seed kind = Seed::samples) {
  struct Made {
    test::Sandbox box;
    long long t0 = 0;
  };
  static std::unique_ptr<Made> samples;
  static std::unique_ptr<Made> with_issue;
  if (!samples) {
    auto fresh = std::make_unique<Made>();
    fresh->t0 = seed(fresh->box);
    samples = std::move(fresh);
  }
  if (kind == Seed::with_issue && !with_issue) {
    auto fresh = std::make_unique<Made>();
    copy_database(samples->box, fresh->box);
    fresh->t0 = samples->t0;
    REQUIRE(fresh->box.healthctl({"issue", "report", "db", "query_ms", "--severity", "warning", "--reason", "slow"})
                .exit_code == 0);
    REQUIRE(fresh->box.healthctl({"issue", "resolve", "1"}).exit_code == 0);
    with_issue = std::move(fresh);
  }
  const auto& made = kind == Seed::samples ? samples : with_issue;
  copy_database(made->box, box);
  return made->t0;
}

// Epoch seconds as healthctl prints times: 2026-01-02T03:04:05.000Z.
std::string rfc3339(long long seconds) {
  const auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  ::gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &parts);
  return text;
}

// `key` of every JSON object in `text` with its string value masked.
std::string mask(const std::string& text, const std::string& key) {
  return std::regex_replace(text, std::regex("\"" + key + "\":\"[^\"]*\""), "\"" + key + "\":\"*\"");
}

std::string cli_out(const test::Sandbox& box, const std::vector<std::string>& args) {
  const auto run = box.healthctl(args);
  INFO("healthctl " << args.front() << ": " << run.err);
  REQUIRE(run.exit_code == 0);
  return run.out;
}

// The headers every answer carries.
void check_common(const HttpAnswer& answer) {
  CHECK(answer.header("X-Content-Type-Options") == "nosniff");
  CHECK(answer.header("X-Frame-Options") == "DENY");
  CHECK(answer.header("Content-Security-Policy") == "default-src 'none'");
  CHECK(answer.header("Referrer-Policy") == "no-referrer");
  CHECK(answer.has("Cache-Control"));
  CHECK_THAT(answer.header("Content-Type"), Catch::EndsWith("charset=utf-8"));
}

// An error answer: `status`, JSON {"error","hint"} with `what` in the error,
// never cached.
void check_error_answer(const HttpAnswer& answer, int status, const std::string& what) {
  INFO("answer " << answer.status << ": " << answer.body);
  CHECK(answer.status == status);
  check_common(answer);
  CHECK(answer.header("Content-Type") == k_json);
  CHECK(answer.header("Cache-Control") == "no-store");
  const auto body = json::parse(answer.body, nullptr, false);
  REQUIRE(body.is_object());
  REQUIRE(body.contains("error"));
  REQUIRE(body["error"].is_string());
  CHECK_THAT(body["error"].get<std::string>(), Catch::Contains(what));
  REQUIRE(body.contains("hint"));
  REQUIRE(body["hint"].is_string());
  CHECK_FALSE(body["hint"].get<std::string>().empty());
}

// GET that must answer 200 with the common headers.
HttpAnswer get_ok(int port, const std::string& target, const test::Headers& headers = {}) {
  auto answer = http_get(port, target, headers);
  INFO("GET " << target << " answered " << answer.status << ": " << answer.body);
  REQUIRE(answer.status == 200);
  check_common(answer);
  return answer;
}

// The body's kind matches its Content-Type: JSON parses, every NDJSON line
// parses, CSV starts with a header line, markdown has a heading or a table.
void check_body_kind(const std::string& type, const std::string& body) {
  INFO(body.substr(0, 300));
  REQUIRE_FALSE(body.empty());
  if (type == k_json) {
    CHECK_FALSE(json::parse(body, nullptr, false).is_discarded());
  } else if (type == k_ndjson) {
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) CHECK_FALSE(json::parse(line, nullptr, false).is_discarded());
  } else if (type == k_csv) {
    CHECK(body.find(',') < body.find('\n'));
  } else if (type == k_markdown) {
    CHECK((body.front() == '#' || body.find("\n| --- |") != std::string::npos));
  }
}

// Runs `healthctl serve ARGS...` expected to end at start (a usage error,
// say): fails, and stops it, when it still runs after 10 s.
test::RunResult run_to_end(const test::Sandbox& box, const std::vector<std::string>& args) {
  ServeProcess serve(box, args, ServeProcess::Wait::nothing);
  const auto code = serve.wait(10s);
  INFO("log: " << serve.log());
  REQUIRE(code.has_value()); // else it serves: stopped and failed here
  return {*code, serve.out(), serve.log()};
}

} // namespace

TEST_CASE("serve: every endpoint answers alike under /health/, /api/v1/health/ and /services/user-service/health/",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box, Seed::with_issue);
  ServeProcess serve(box, {"--cache-ttl", "60s", "--rate-limit", "0"});
  const std::vector<std::pair<std::string, std::string>> endpoints{
      {"status", k_json},
      {"status/summary", k_json},
      {"metrics", k_json},
      {"", k_json},
      {"metrics?components=app,db", k_json},
      {"app", k_json},
      {"app/status", k_json},
      {"export", k_json},
      {"export?format=ndjson&since=3h", k_ndjson},
      {"export?format=csv&step=10m&agg=avg", k_csv},
      {"summary", k_json},
      {"summary?format=csv", k_csv},
      {"summary?format=markdown&components=db", k_markdown},
      {"issues", k_json},
      {"issues?state=all&severity=warning", k_json},
      {"claude/analyze", k_json},
      {"claude/analyze?format=markdown", k_markdown},
      {"claude/diagnose/db", k_json},
      {"claude/diagnose/db?format=markdown", k_markdown},
      {"claude/recommendations", k_json},
      {"claude/recommendations?format=markdown", k_markdown},
      {"claude/incident-report/1", k_json},
      {"claude/incident-report/1?format=markdown", k_markdown},
      {"claude/trends?period=1h", k_json},
      {"claude/trends?period=1h&format=markdown", k_markdown},
      {"claude/compare?baseline=1h&current=30m", k_json},
      {"claude/compare?baseline=1h&current=30m&format=markdown", k_markdown},
  };
  for (const auto& [endpoint, type] : endpoints) {
    std::vector<HttpAnswer> answers;
    for (const auto& prefix : k_prefixes) answers.push_back(get_ok(serve.port(), prefix + endpoint));
    INFO("endpoint " << endpoint);
    CHECK(answers[0].header("Content-Type") == type);
    check_body_kind(type, answers[0].body);
    const bool status = endpoint.rfind("status", 0) == 0 || endpoint.find("/status") != std::string::npos;
    CHECK(answers[0].header("Cache-Control") == (status ? "no-store" : "max-age=60"));
    // One answer made, then taken from the cache under the other prefixes:
    // the three are one endpoint.
    CHECK(answers[0].header("X-Cache") == "miss");
    for (std::size_t i = 1; i < answers.size(); ++i) {
      CHECK(answers[i].header("X-Cache") == "hit");
      CHECK(answers[i].header("Content-Type") == type);
      CHECK(answers[i].body == answers[0].body);
    }
  }
  // The Prometheus exposition at /metrics, and at any path ending in /metrics
  // outside /health/.
  const auto exposition = get_ok(serve.port(), "/metrics");
  CHECK(exposition.header("Content-Type") == k_prometheus);
  CHECK_THAT(exposition.body, Catch::Contains("# TYPE temperature gauge"));
  for (const char* path : {"/api/v1/metrics", "/services/user-service/metrics"}) {
    const auto other = get_ok(serve.port(), path);
    CHECK(other.header("Content-Type") == k_prometheus);
    CHECK(other.body == exposition.body);
  }
  // Every endpoint made once (the other two prefixes were hits).
  CHECK(serve.wait_for_log(" hit", 2 * (endpoints.size() + 1)));
  CHECK(test::lines_with(serve.log(), " miss").size() == endpoints.size() + 1);
}

TEST_CASE("serve: status, metrics, export, summary, issues and /metrics equal the CLI's output", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  const long long t0 = seeded(box, Seed::with_issue);
  const std::string until = "@" + std::to_string(t0);
  const std::string since = "@" + std::to_string(t0 - 7200);
  ServeProcess serve(box, {"--cache-ttl", "0", "--rate-limit", "0"});
  const auto body = [&](const std::string& target) { return get_ok(serve.port(), target).body; };

  // status: the summary is status --format json, the brief its top.
  const auto status_cli = cli_out(box, {"status", "--format", "json"});
  CHECK(mask(body("/health/status/summary"), "checked_at") == mask(status_cli, "checked_at"));
  const auto brief = json::parse(body("/health/status"));
  const auto full = json::parse(status_cli);
  CHECK(brief.size() == 4);
  for (const char* key : {"status", "active_issue_count", "critical_issue_count"}) CHECK(brief[key] == full[key]);
  CHECK(brief["checked_at"].is_string());
  // The status of one component is the whole one's component.
  const auto db = json::parse(body("/health/db/status"));
  CHECK(db["components"].size() == 1);
  CHECK(db["components"]["db"] == full["components"]["db"]);

  // metrics, and a component: the filter of the same list.
  const auto metrics_cli = cli_out(box, {"metrics", "--format", "json"});
  CHECK(body("/health/metrics") == metrics_cli);
  CHECK(body("/health/") == metrics_cli);
  json app = json::array();
  for (const auto& series : json::parse(metrics_cli))
    if (series["component"] == "app") app.push_back(series);
  CHECK(json::parse(body("/health/app")) == app);
  CHECK(json::parse(body("/health/metrics?components=app")) == app);

  // export over a fixed past range, byte for byte.
  CHECK(body("/health/export?since=" + since + "&until=" + until + "&format=csv") ==
        cli_out(box, {"export", "--since", since, "--until", until, "--format", "csv"}));
  // json (the default) and ndjson: the same range and samples.
  const auto document = json::parse(body("/health/export?since=" + since + "&until=" + until));
  CHECK(document["range"]["since"] == rfc3339(t0 - 7200));
  CHECK(document["range"]["until"] == rfc3339(t0));
  CHECK(document["components"].size() == 3);
  CHECK(test::lines_with(body("/health/export?since=" + since + "&until=" + until + "&format=ndjson"), "\"ts\"")
            .size() == 360);

  CHECK(body("/health/summary?since=" + since + "&until=" + until) ==
        cli_out(box, {"summary", "--since", since, "--until", until, "--format", "json"}));
  CHECK(body("/health/issues?state=all") == cli_out(box, {"issue", "list", "--status", "all", "--format", "json"}));
  CHECK(body("/health/issues") == "[]\n"); // the one issue is resolved
  CHECK(body("/metrics") == cli_out(box, {"export", "--format", "prometheus"}));
}

TEST_CASE("serve: the claude views equal healthctl analyze's, in json and markdown", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  const long long t0 = seeded(box, Seed::with_issue);
  const std::string until = "@" + std::to_string(t0);
  ServeProcess serve(box, {"--cache-ttl", "0", "--rate-limit", "0"});
  const auto body = [&](const std::string& target) { return get_ok(serve.port(), target).body; };
  const std::string end = "until=" + until;
  CHECK(body("/health/claude/analyze?" + end) == cli_out(box, {"analyze", "--until", until}));
  CHECK(body("/health/claude/analyze?format=markdown&" + end) ==
        cli_out(box, {"analyze", "--until", until, "--format", "markdown"}));
  CHECK(body("/health/claude/diagnose/db?format=markdown&" + end) ==
        cli_out(box, {"analyze", "diagnose", "db", "--until", until, "--format", "markdown"}));
  CHECK(body("/health/claude/trends?period=1h&" + end) ==
        cli_out(box, {"analyze", "trends", "--period", "1h", "--until", until}));
  CHECK(body("/health/claude/compare?baseline=1h&current=30m&format=markdown&" + end) ==
        cli_out(box, {"analyze", "compare", "--baseline", "1h", "--current", "30m", "--until", until, "--format",
                      "markdown"}));
  CHECK(mask(body("/health/claude/incident-report/1"), "generated_at") ==
        mask(cli_out(box, {"analyze", "incident", "1"}), "generated_at"));
}

TEST_CASE("serve: status is 200 healthy, 503 critical, 200 again once resolved, degraded as --degraded-status says",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess lenient(box, {"--cache-ttl", "0"});
  ServeProcess strict(box, {"--cache-ttl", "0", "--degraded-status", "503"});
  const auto expect = [&](const ServeProcess& serve, int code, const std::string& health) {
    for (const auto& prefix : k_prefixes) {
      for (const char* endpoint : {"status", "status/summary", "app/status"}) {
        const auto answer = http_get(serve.port(), prefix + endpoint);
        INFO(prefix << endpoint << ": " << answer.body);
        CHECK(answer.status == code);
        check_common(answer);
        CHECK(answer.header("Content-Type") == k_json);
        CHECK(answer.header("Cache-Control") == "no-store");
        CHECK(json::parse(answer.body)["status"] == health);
      }
    }
    // db has no issue.
    const auto db = http_get(serve.port(), "/health/db/status");
    CHECK(db.status == 200);
    CHECK(json::parse(db.body)["status"] == "healthy");
  };
  expect(lenient, 200, "healthy");
  expect(strict, 200, "healthy");
  REQUIRE(box.healthctl({"issue", "report", "app", "temperature", "--severity", "warning", "--reason", "warm"})
              .exit_code == 0);
  expect(lenient, 200, "degraded");
  expect(strict, 503, "degraded");
  REQUIRE(box.healthctl({"issue", "escalate", "1"}).exit_code == 0);
  expect(lenient, 503, "critical");
  expect(strict, 503, "critical");
  CHECK(json::parse(http_get(lenient.port(), "/health/status").body)["critical_issue_count"] == 1);
  REQUIRE(box.healthctl({"issue", "resolve", "app", "temperature"}).exit_code == 0);
  expect(lenient, 200, "healthy");
  expect(strict, 200, "healthy");

  // An unknown component: 404, for its metrics and its status.
  check_error_answer(http_get(lenient.port(), "/health/nosuch"), 404, "no component 'nosuch'");
  check_error_answer(http_get(lenient.port(), "/api/v1/health/nosuch/status"), 404, "nosuch");
}

TEST_CASE("serve: with HEALTH_API_KEY every endpoint but status needs the key, as X-API-Key or a Bearer token",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  box.env["HEALTH_API_KEY"] = "s3cret-key";
  ServeProcess serve(box, {});
  for (const char* target : {"/health/metrics", "/metrics", "/health/app", "/health/export", "/health/issues",
                             "/api/v1/health/claude/analyze"}) {
    INFO(target);
    const auto refused = http_get(serve.port(), target);
    check_error_answer(refused, 401, "needs the API key");
    CHECK(refused.header("WWW-Authenticate") == "Bearer");
    check_error_answer(http_get(serve.port(), target, {{"X-API-Key", "s3cret-kez"}}), 401, "wrong");
    check_error_answer(http_get(serve.port(), target, {{"Authorization", "Bearer s3cret"}}), 401, "wrong");
    get_ok(serve.port(), target, {{"X-API-Key", "s3cret-key"}});
    get_ok(serve.port(), target, {{"Authorization", "Bearer s3cret-key"}});
  }
  // status is public: without a key, and even with a wrong one.
  for (const char* target : {"/health/status", "/health/status/summary", "/health/app/status"}) {
    INFO(target);
    get_ok(serve.port(), target);
    get_ok(serve.port(), target, {{"X-API-Key", "nope"}});
  }
  CHECK_THAT(get_ok(serve.port(), "/health/metrics", {{"X-API-Key", "s3cret-key"}}).body,
             Catch::Contains(R"("name":"temperature")"));
}

TEST_CASE("serve: --public none closes status too, and --api-key-file beats HEALTH_API_KEY", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  box.env["HEALTH_API_KEY"] = "env-key";
  const auto file = box.write_file("api-key", "file-key\nnot this line\n");
  ServeProcess serve(box, {"--api-key-file", file, "--public", "none"});
  check_error_answer(http_get(serve.port(), "/health/status"), 401, "needs the API key");
  check_error_answer(http_get(serve.port(), "/health/app/status"), 401, "needs the API key");
  check_error_answer(http_get(serve.port(), "/health/status", {{"X-API-Key", "env-key"}}), 401, "wrong");
  check_error_answer(http_get(serve.port(), "/health/metrics", {{"X-API-Key", "env-key"}}), 401, "wrong");
  check_error_answer(http_get(serve.port(), "/health/metrics", {{"X-API-Key", "not this line"}}), 401, "wrong");
  get_ok(serve.port(), "/health/status", {{"X-API-Key", "file-key"}});
  get_ok(serve.port(), "/health/metrics", {{"Authorization", "Bearer file-key"}});
}

TEST_CASE("serve: past --rate-limit a client gets 429 with Retry-After", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--rate-limit", "5"});
  for (int i = 0; i < 5; ++i) get_ok(serve.port(), i % 2 == 0 ? "/health/status" : "/health/metrics");
  for (const char* target : {"/health/status", "/metrics"}) {
    const auto limited = http_get(serve.port(), target);
    check_error_answer(limited, 429, "too many requests");
    INFO("Retry-After: " << limited.header("Retry-After"));
    const auto seconds = std::stoi(limited.header("Retry-After"));
    CHECK(seconds >= 1);
    CHECK(seconds <= 60);
  }
}

TEST_CASE("serve: an identical request within --cache-ttl comes from the cache, a different one does not",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--cache-ttl", "1s"});
  const auto made = Clock::now();
  const auto first = get_ok(serve.port(), "/health/export?since=3h&format=csv");
  const auto received = Clock::now(); // the answer expires before this + 1 s
  CHECK(first.header("X-Cache") == "miss");
  CHECK(first.header("Cache-Control") == "max-age=1");
  // The same request: the query in another order, under another prefix.
  const auto again = get_ok(serve.port(), "/api/v1/health/export?format=csv&since=3h");
  CHECK(again.header("X-Cache") == "hit");
  CHECK(again.body == first.body);
  // Another value, another parameter, another format: made anew.
  CHECK(get_ok(serve.port(), "/health/export?since=4h&format=csv").header("X-Cache") == "miss");
  CHECK(get_ok(serve.port(), "/health/export?since=3h&format=csv&metrics=temperature").header("X-Cache") == "miss");
  CHECK(get_ok(serve.port(), "/health/export?since=3h&format=ndjson").header("X-Cache") == "miss");
  REQUIRE(Clock::now() - made < 1s); // else this machine is too slow for the test
  // Past the TTL, the answer is made again.
  std::this_thread::sleep_until(received + 1100ms);
  const auto expired = get_ok(serve.port(), "/health/export?since=3h&format=csv");
  CHECK(expired.header("X-Cache") == "miss");
  CHECK(expired.body == first.body);
  CHECK(get_ok(serve.port(), "/health/export?since=3h&format=csv").header("X-Cache") == "hit");
}

TEST_CASE("serve: eight concurrent identical requests run the work once and share its answer", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  // A cache of 1 ms keeps no answer for a later request: only requests in
  // flight together can share one.
  // Twice the workers there are requests, so none of the eight waits for a
  // worker (a waiting one would arrive after the work is done).
  ServeProcess serve(box, {"--cache-ttl", "1ms", "--rate-limit", "0", "--threads", "16"});
  std::vector<HttpAnswer> answers(8);
  std::vector<std::string> failures(8);
  {
    // The database locked: the first request waits on it in its worker
    // until the lock goes, so all eight are in flight together.
    DatabaseLock lock(box.db());
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < answers.size(); ++i)
      clients.emplace_back([&, i] {
        try {
          answers[i] = http_get(serve.port(), "/health/metrics");
        } catch (const std::exception& error) {
          failures[i] = error.what();
        }
      });
    std::this_thread::sleep_for(700ms);
    lock.release();
    for (auto& client : clients) client.join();
  }
  int misses = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    INFO("request " << i << ": " << failures[i] << answers[i].body);
    CHECK(failures[i].empty());
    CHECK(answers[i].status == 200);
    CHECK(answers[i].body == answers[0].body);
    misses += answers[i].header("X-Cache") == "miss" ? 1 : 0;
  }
  CHECK(misses == 1);
  CHECK_THAT(answers[0].body, Catch::Contains(R"("name":"query_ms")"));
  // The log: eight requests, one of them made.
  REQUIRE(serve.wait_for_log("GET /health/metrics", 8));
  INFO(serve.log());
  CHECK(test::lines_with(serve.log(), "GET /health/metrics").size() == 8);
  CHECK(test::lines_with(serve.log(), " miss").size() == 1);
  CHECK(test::lines_with(serve.log(), " hit").size() == 7);
  // Once made, the answer is not kept: the next request makes it again.
  std::this_thread::sleep_for(5ms);
  CHECK(get_ok(serve.port(), "/health/metrics").header("X-Cache") == "miss");
}

TEST_CASE("serve: a request body over --max-body is refused with 413 in JSON", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--max-body", "1KB", "--allow-write"});
  const std::string big(4096, 'x');
  for (const char* target : {"/health/ingest", "/health/record"})
    check_error_answer(http_request(serve.port(), "POST", target, {{"Content-Type", "application/x-ndjson"}}, big), 413,
                       "too large");
  // Under the limit, the body is read (and found wanting: 422, not 413).
  check_error_answer(http_request(serve.port(), "POST", "/health/ingest", {}, std::string(900, 'x') + "\n"), 422,
                     "body:1");
}

TEST_CASE("serve: without --allow-write POST ingest and record are 403 and the database is unchanged",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--cache-ttl", "0"});
  const auto before = get_ok(serve.port(), "/health/export?since=1d&format=csv").body;
  const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count() -
                                 1000);
  check_error_answer(http_request(serve.port(), "POST", "/health/ingest", {},
                                  R"({"ts_ms":)" + ts + R"(,"component":"w","name":"a","type":"gauge","value":1})"
                                                        "\n"),
                     403, "writes are off");
  check_error_answer(http_request(serve.port(), "POST", "/api/v1/health/record", {{"Content-Type", "application/json"}},
                                  R"({"component":"w","name":"b","value":2})"),
                     403, "writes are off");
  CHECK_THAT(http_request(serve.port(), "POST", "/health/record", {}, "{}").body, Catch::Contains("--allow-write"));
  // The database as serve reads it, and as healthctl does.
  CHECK(get_ok(serve.port(), "/health/export?since=1d&format=csv").body == before);
  CHECK(cli_out(box, {"export", "--since", "1d", "--format", "csv"}) == before);
}

TEST_CASE("serve: with --allow-write POST ingest and record add samples, all or nothing", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--allow-write"});
  // The metrics, cached before the writes.
  CHECK(get_ok(serve.port(), "/health/metrics").header("X-Cache") == "miss");
  CHECK(get_ok(serve.port(), "/health/metrics").header("X-Cache") == "hit");

  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto at = [&](int seconds_ago) { return std::to_string(now - seconds_ago * 1000); };
  const std::string ndjson =
      R"({"ts_ms":)" + at(30) + R"(,"component":"web","name":"latency","type":"timer","unit":"ms","value":12.5})" "\n" +
      R"({"ts_ms":)" + at(20) + R"(,"component":"web","name":"latency","type":"timer","unit":"ms","value":14})" "\n";
  const auto ingested =
      http_request(serve.port(), "POST", "/health/ingest", {{"Content-Type", "application/x-ndjson"}}, ndjson);
  INFO(ingested.body);
  REQUIRE(ingested.status == 200);
  check_common(ingested);
  CHECK(ingested.header("Content-Type") == k_json);
  CHECK(ingested.header("Cache-Control") == "no-store");
  const auto report = json::parse(ingested.body);
  CHECK(report["samples"] == 2);
  CHECK(report["duplicates"] == 0);
  CHECK(report["series"] == 1);
  CHECK(report["new_series"] == 1);
  // The same again: duplicates, nothing new.
  const auto again = json::parse(http_request(serve.port(), "POST", "/health/ingest", {}, ndjson).body);
  CHECK(again["samples"] == 0);
  CHECK(again["duplicates"] == 2);

  // record: one object without ts (now), then an array.
  const auto one =
      http_request(serve.port(), "POST", "/services/x/health/record", {{"Content-Type", "application/json"}},
                   R"({"component":"web","name":"up","type":"gauge","value":1,"labels":{"zone":"a"}})");
  INFO(one.body);
  REQUIRE(one.status == 200);
  CHECK(json::parse(one.body)["samples"] == 1);
  const auto many = http_request(serve.port(), "POST", "/health/record", {},
                                 R"([{"component":"web","name":"hits","value":2,"ts_ms":)" + at(10) +
                                     R"(},{"component":"web","name":"hits","value":3,"ts_ms":)" + at(5) + "}]");
  INFO(many.body);
  REQUIRE(many.status == 200);
  CHECK(json::parse(many.body)["samples"] == 2);
  // CSV, chosen by its Content-Type.
  const auto csv = http_request(serve.port(), "POST", "/health/ingest", {{"Content-Type", "text/csv"}},
                                "ts_ms,component,name,type,value\n" + at(3) + ",web,queue,gauge,7\n");
  INFO(csv.body);
  CHECK(csv.status == 200);

  // Everything landed, as export says.
  const auto rows = cli_out(box, {"export", "--since", "1h", "-c", "web", "--format", "csv"});
  INFO(rows);
  CHECK(test::lines_with(rows, ",web,latency,").size() == 2);
  CHECK(test::lines_with(rows, ",web,up,zone=a,gauge,").size() == 1);
  CHECK(test::lines_with(rows, ",web,hits,").size() == 2);
  CHECK(test::lines_with(rows, ",web,queue,").size() == 1);
  // A write empties the cache: the metrics now name web.
  const auto metrics = get_ok(serve.port(), "/health/metrics");
  CHECK(metrics.header("X-Cache") == "miss");
  CHECK_THAT(metrics.body, Catch::Contains(R"("component":"web")"));

  // A bad line among good ones: 422, and nothing of the body written.
  const std::string bad =
      R"({"ts_ms":)" + at(2) + R"(,"component":"web","name":"fresh","type":"gauge","value":1})" "\n" +
      R"({"ts_ms":)" + at(1) + R"(,"component":"web","name":"fresh","type":"gauge"})" "\n";
  check_error_answer(http_request(serve.port(), "POST", "/health/ingest", {}, bad), 422, "body:2");
  check_error_answer(http_request(serve.port(), "POST", "/health/record", {}, "[1,2"), 422, "not JSON");
  check_error_answer(
      http_request(serve.port(), "POST", "/health/record", {},
                   R"([{"component":"web","name":"fresh","value":1},{"component":"web","name":"fresh","value":2,"type":"gauge"}])"),
      422, "not a gauge");
  CHECK_THAT(http_get(serve.port(), "/health/web").body, !Catch::Contains("fresh"));

  // The wrong method: 405 with Allow.
  const auto get_ingest = http_get(serve.port(), "/health/ingest");
  check_error_answer(get_ingest, 405, "GET");
  CHECK(get_ingest.header("Allow") == "POST");
  const auto post_status = http_request(serve.port(), "POST", "/health/status", {}, "");
  check_error_answer(post_status, 405, "POST");
  CHECK(post_status.header("Allow") == "GET, HEAD");
  const auto delete_metrics = http_request(serve.port(), "DELETE", "/health/metrics");
  check_error_answer(delete_metrics, 405, "DELETE");
  CHECK(delete_metrics.header("Allow") == "GET, HEAD");
}

TEST_CASE("serve: errors are JSON with error and hint, a bad parameter or time is a 400 that names it",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--cache-ttl", "7s", "--rate-limit", "0"});
  check_error_answer(http_get(serve.port(), "/nothing/here"), 404, "no endpoint at /nothing/here");
  check_error_answer(http_get(serve.port(), "/health/app/other"), 404, "no endpoint");
  check_error_answer(http_get(serve.port(), "/health/claude/unknown"), 404, "no endpoint");
  check_error_answer(http_get(serve.port(), "/health/claude/incident-report/99"), 404, "no issue 99");
  check_error_answer(http_get(serve.port(), "/health/claude/incident-report/x"), 400, "invalid issue id 'x'");
  check_error_answer(http_get(serve.port(), "/health/export?format=xml"), 400, "invalid format 'xml'");
  check_error_answer(http_get(serve.port(), "/health/issues?state=open"), 400, "invalid state 'open'");
  check_error_answer(http_request(serve.port(), "PUT", "/health/status", {}, ""), 405, "PUT");
  // A parameter the endpoint does not take.
  for (const char* target : {"/health/status?verbose=1", "/health/app?since=1h", "/health/metrics?component=app",
                             "/health/export?sinse=1h", "/health/summary?step=5m", "/health/issues?format=csv",
                             "/health/claude/analyze?period=1h", "/metrics?x=1"}) {
    INFO(target);
    const std::string query = std::string(target).substr(std::string(target).find('?') + 1);
    check_error_answer(http_get(serve.port(), target), 400, "unknown parameter '" + query.substr(0, query.find('=')) + "'");
  }
  // A bad time.
  check_error_answer(http_get(serve.port(), "/health/export?since=yesterdayish"), 400, "invalid time 'yesterdayish'");
  check_error_answer(http_get(serve.port(), "/health/summary?since=1h&until=2h"), 400, "until");
  check_error_answer(http_get(serve.port(), "/health/claude/analyze?since=forever"), 400, "forever");
  check_error_answer(http_get(serve.port(), "/health/claude/trends?until=now%2B1h"), 400, "until");
  check_error_answer(http_get(serve.port(), "/health/issues?since=soon"), 400, "soon");
  // The answers that are not errors: max-age of the TTL but for status.
  CHECK(get_ok(serve.port(), "/health/metrics").header("Cache-Control") == "max-age=7");
  CHECK(get_ok(serve.port(), "/metrics").header("Cache-Control") == "max-age=7");
  CHECK(get_ok(serve.port(), "/health/summary?format=markdown").header("Cache-Control") == "max-age=7");
  CHECK(get_ok(serve.port(), "/health/status").header("Cache-Control") == "no-store");
  CHECK(get_ok(serve.port(), "/health/app/status").header("Cache-Control") == "no-store");
}

TEST_CASE("serve: SIGTERM lets the requests in flight finish with 200, refuses new connections and exits 0",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--grace", "8s"});
  // In flight: a request whose work waits on the locked database, and one
  // still being sent when the signal comes.
  std::optional<DatabaseLock> lock(box.db());
  HttpAnswer slow;
  std::string slow_failure;
  std::atomic<bool> slow_done{false};
  std::thread client([&] {
    try {
      slow = http_get(serve.port(), "/health/export?since=3h&format=csv");
    } catch (const std::exception& error) {
      slow_failure = error.what();
    }
    slow_done = true;
  });
  // The client thread ends, whatever fails below: the lock goes first.
  const std::unique_ptr<void, std::function<void(void*)>> join(&client, [&](void*) {
    lock.reset();
    if (client.joinable()) client.join();
  });
  HttpConnection partial(serve.port());
  partial.send("GET /health/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(slow_done);

  const auto signalled = Clock::now();
  serve.signal(SIGTERM);
  CHECK(serve.wait_for_log("stopping on SIGTERM"));
  // The listener closes just after that line.
  bool refused = false;
  for (const auto deadline = Clock::now() + 2s; !refused && Clock::now() < deadline;)
    refused = !test::accepts(serve.port());
  CHECK(refused);
  CHECK_FALSE(serve.wait(0ms).has_value()); // still finishing
  partial.send("Connection: close\r\n\r\n");
  lock.reset();
  client.join();
  CHECK(slow_done);
  INFO(slow_failure << serve.log());
  CHECK(slow.status == 200);
  CHECK_THAT(slow.body, Catch::StartsWith("ts,ts_ms,node,component,name,labels,type,unit,value"));
  CHECK(test::lines_with(slow.body, ",app,temperature,").size() >= 100);
  const auto metrics = partial.read_answer();
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains(R"("name":"temperature")"));
  const auto code = serve.wait(8s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(Clock::now() - signalled < 8s);
  CHECK(serve.wait_for_log("stopped", 1, 0ms));
}

TEST_CASE("serve: an idle keep-alive connection does not hold up the stop on SIGTERM", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {});
  // A client like Prometheus: one request, the connection kept open.
  HttpConnection idle(serve.port());
  idle.send_request("GET", "/metrics", {}, {}, true);
  REQUIRE(idle.read_answer().status == 200);
  const auto signalled = Clock::now();
  serve.signal(SIGTERM);
  // No request is in flight: it ends at once (well within 3 s; cpp-httplib
  // keeps an idle connection 5 s).
  const auto code = serve.wait(3s);
  INFO("ended after " << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled).count()
                      << " ms; log: " << serve.log());
  CHECK(code.has_value());
  CHECK(code.value_or(-1) == 0);
  CHECK(idle.closed_by_server(0ms));
}

TEST_CASE("serve: HEAD answers as GET does, without the body", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {});
  for (const char* target : {"/health/status", "/health/metrics", "/metrics", "/health/nosuch"}) {
    INFO(target);
    const auto get = http_get(serve.port(), target);
    HttpConnection connection(serve.port());
    connection.send_request("HEAD", target);
    const auto head = connection.read_answer(true);
    CHECK(head.status == get.status);
    check_common(head);
    CHECK(head.header("Content-Type") == get.header("Content-Type"));
    // RFC 9110 8.6: a Content-Length in the answer to HEAD is the GET's.
    if (head.has("Content-Length")) CHECK(head.header("Content-Length") == std::to_string(get.body.size()));
    CHECK(connection.closed_by_server(2s)); // no body came before the end
  }
}

TEST_CASE("serve: bad options exit 2 with a message", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  test::check_error(run_to_end(box, {"--listen", "nonsense"}), 2, "invalid --listen 'nonsense'");
  test::check_error(run_to_end(box, {"--degraded-status", "404"}), 2, "--degraded-status");
  test::check_error(run_to_end(box, {"--format", "json"}), 2, "serve takes no --format");
  test::check_error(run_to_end(box, {"--public", "bogus"}), 2, "invalid --public 'bogus'");
}

TEST_CASE("serve: a missing database exits 66 and a port in use 1", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  box.env["HEALTH_DB_PATH"] = (box.dir() / "missing.db").string();
  test::check_error(run_to_end(box, {}), 66, "no database at");
  box.env["HEALTH_DB_PATH"] = box.db();
  seeded(box);
  // A port held by another program's listening socket.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&address), size) == 0);
  REQUIRE(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  REQUIRE(::listen(holder, 1) == 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const auto in_use = run_to_end(box, {"--listen", taken});
  ::close(holder);
  test::check_error(in_use, 1, "cannot listen on " + taken);
}

TEST_CASE("serve: a second serve on the port of a running one exits 1 with cannot listen on", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess first(box, {});
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  ServeProcess second(box, {"--listen", taken}, ServeProcess::Wait::nothing);
  // It ends at once with the error, or (wrongly) says it listens.
  std::optional<int> code;
  for (const auto deadline = Clock::now() + 10s; !code && Clock::now() < deadline;) {
    code = second.wait(20ms);
    if (!test::lines_with(second.log(), "listening on").empty()) break;
  }
  INFO("the second serve's log: " << second.log());
  CHECK(code.has_value()); // it must not share the port with the first
  CHECK(code.value_or(-1) == 1);
  CHECK_THAT(second.log(), Catch::Contains("cannot listen on " + taken));
}

TEST_CASE("serve: --log-format json access lines are JSON with ts, client, method, path, status, bytes, duration_ms",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--log-format", "json"});
  const auto metrics = get_ok(serve.port(), "/health/metrics?components=app");
  get_ok(serve.port(), "/health/metrics?components=app");
  CHECK(http_get(serve.port(), "/health/nosuch").status == 404);
  CHECK(http_request(serve.port(), "POST", "/health/ingest", {}, "x").status == 403);
  REQUIRE(serve.wait_for_log("\"client\"", 4));
  std::vector<json> access;
  std::istringstream lines(serve.log());
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    const auto entry = json::parse(line, nullptr, false);
    REQUIRE(entry.is_object());
    REQUIRE(entry.contains("ts"));
    CHECK(std::regex_match(entry["ts"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    if (entry.contains("client")) access.push_back(entry);
  }
  REQUIRE(access.size() == 4);
  for (const auto& entry : access) {
    INFO(entry.dump());
    for (const char* key : {"client", "method", "path", "status", "bytes", "duration_ms"}) REQUIRE(entry.contains(key));
    CHECK(entry["client"] == "127.0.0.1");
    CHECK(entry["method"].is_string());
    CHECK(entry["path"].is_string());
    CHECK(entry["status"].is_number_unsigned());
    CHECK(entry["bytes"].is_number_unsigned());
    CHECK(entry["duration_ms"].is_number());
    CHECK(entry["duration_ms"].get<double>() >= 0);
  }
  // Each worker logs once its answer is sent, so the next request's line
  // may come first: find each line by its request.
  const auto line_of = [&](const std::string& method, const std::string& path, int nth = 0) {
    for (const auto& entry : access)
      if (entry["method"] == method && entry["path"] == path && nth-- == 0) return entry;
    return json();
  };
  const auto first = line_of("GET", "/health/metrics");
  const auto second = line_of("GET", "/health/metrics", 1);
  CHECK(first["status"] == 200);
  CHECK(first["bytes"] == metrics.body.size());
  CHECK(std::set<std::string>{first.value("cache", ""), second.value("cache", "")} ==
        std::set<std::string>{"miss", "hit"});
  CHECK(line_of("GET", "/health/nosuch")["status"] == 404);
  CHECK(line_of("POST", "/health/ingest")["status"] == 403);
}

TEST_CASE("serve: with --log-format json the start is the event listening with its address", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--log-format", "json"});
  const auto lines = test::lines_with(serve.log(), "listening");
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  const auto event = json::parse(lines[0], nullptr, false);
  REQUIRE(event.is_object());
  CHECK(event.value("event", "") == "listening");
  CHECK(event.value("address", "") == "127.0.0.1:" + std::to_string(serve.port()));
}

TEST_CASE("serve: a request past --query-timeout is interrupted with 503 and Retry-After", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--query-timeout", "1ms", "--cache-ttl", "0"});
  const auto answer = http_get(serve.port(), "/health/claude/analyze?since=3h");
  check_error_answer(answer, 503, "");
  CHECK(answer.header("Retry-After") == "1");
}

TEST_CASE("serve: a POST without Content-Length has an empty body and is answered at once", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--timeout", "2s"});
  // RFC 9112 6.3: no Content-Length and no Transfer-Encoding is a body of 0
  // bytes (curl -X POST sends such a request).
  HttpConnection connection(serve.port());
  const auto sent = Clock::now();
  connection.send("POST /health/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const auto answer = connection.read_answer();
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  INFO("answered after " << waited.count() << " ms");
  CHECK(waited < 1s); // not after --timeout
  check_error_answer(answer, 403, "writes are off");
}

TEST_CASE("serve: a malformed request is refused with 400 in JSON with error and hint", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {});
  HttpConnection connection(serve.port());
  connection.send("NOT A REQUEST\r\n\r\n");
  check_error_answer(connection.read_answer(), 400, "");
}

TEST_CASE("serve: --log-file gets the log, and SIGHUP opens it again after it was moved", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  const auto file = (box.dir() / "serve.log").string();
  const auto moved = (box.dir() / "serve.log.1").string();
  ServeProcess serve(box, {"--log-file", file, "--listen", "127.0.0.1:0"}, ServeProcess::Wait::nothing);
  // The listening line goes to the file: read the port there.
  const auto deadline = Clock::now() + 20s;
  std::smatch match;
  std::string text;
  static const std::regex listening(R"(listening on 127\.0\.0\.1:([0-9]+))");
  while (!std::regex_search(text = test::slurp(file), match, listening) && Clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  INFO("log file: " << text << "stderr: " << serve.log());
  REQUIRE(match.size() == 2);
  const int port = std::stoi(match[1]);
  CHECK(serve.log().empty()); // nothing on stderr
  get_ok(port, "/health/status");
  std::filesystem::rename(file, moved);
  get_ok(port, "/health/metrics");
  // (Its line follows the answer: still into the moved file.)
  for (const auto until = Clock::now() + 5s;
       test::lines_with(test::slurp(moved), "GET /health/metrics").empty() && Clock::now() < until;)
    std::this_thread::sleep_for(10ms);
  serve.signal(SIGHUP);
  // Once reopened, lines go to a new file of the first name.
  bool reopened = false;
  for (const auto until = Clock::now() + 5s; !reopened && Clock::now() < until;) {
    get_ok(port, "/health/issues");
    reopened = !test::lines_with(test::slurp(file), "GET /health/issues").empty();
    if (!reopened) std::this_thread::sleep_for(50ms);
  }
  CHECK(reopened);
  const auto old_lines = test::slurp(moved);
  CHECK(test::lines_with(old_lines, "GET /health/status 200").size() == 1);
  CHECK(test::lines_with(old_lines, "GET /health/metrics 200").size() == 1);
  CHECK(test::lines_with(test::slurp(file), "GET /health/status").empty());
  REQUIRE(serve.stop().value_or(-1) == 0);
  CHECK(test::lines_with(test::slurp(file), "stopped").size() == 1);
}

TEST_CASE("serve: no body is read before the request passed its checks, and only a plain one with a length",
          "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  box.env["HEALTH_API_KEY"] = "s3cret";
  ServeProcess serve(box, {"--allow-write"});
  // Without the key: 401 at once, though the body announced never comes.
  {
    test::HttpConnection connection(serve.port());
    connection.send("POST /health/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    check_error_answer(connection.read_answer(), 401, "needs the API key");
  }
  // A chunked body has no length to check first: 411; a compressed one could
  // unpack without bound, and a form is no body of samples: 415.
  {
    test::HttpConnection connection(serve.port());
    connection.send("POST /health/ingest HTTP/1.1\r\nHost: x\r\nX-API-Key: s3cret\r\nTransfer-Encoding: chunked\r\n\r\n");
    check_error_answer(connection.read_answer(), 411, "Content-Length");
  }
  check_error_answer(
      http_request(serve.port(), "POST", "/health/ingest", {{"X-API-Key", "s3cret"}, {"Content-Encoding", "gzip"}}, "x"),
      415, "compressed");
  check_error_answer(http_request(serve.port(), "POST", "/health/ingest",
                                  {{"X-API-Key", "s3cret"}, {"Content-Type", "multipart/form-data; boundary=b"}}, "x"),
                     415, "forms");
  // curl's default Content-Type for --data is a form's: the body is still
  // the body, whatever its size.
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += R"({"ts":"-)" + std::to_string(i + 1) + R"(s","component":"app","name":"jobs","type":"counter","value":1})" "\n";
  REQUIRE(lines.size() > 8192);
  const auto ingested = http_request(serve.port(), "POST", "/health/ingest",
                                     {{"X-API-Key", "s3cret"}, {"Content-Type", "application/x-www-form-urlencoded"}}, lines);
  INFO(ingested.body);
  CHECK(ingested.status == 200);
  // A GET with a Content-Length of 0 is a GET.
  CHECK(http_request(serve.port(), "GET", "/health/status", {{"Content-Length", "0"}}).status == 200);
}

TEST_CASE("serve: bytes that are not UTF-8 in a path or parameter get a JSON error, not a failure", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--log-format", "json"});
  check_error_answer(http_get(serve.port(), "/health/%FF/status"), 404, "no component");
  check_error_answer(http_get(serve.port(), "/health/status?%FF=1"), 400, "unknown parameter");
  // The log keeps the path as sent: a line break in it cannot forge a line.
  check_error_answer(http_get(serve.port(), "/x%0A2026-01-01T00:00:00.000Z%20forged"), 404, "no endpoint");
  REQUIRE(serve.wait_for_log("forged"));
  CHECK(test::lines_with(serve.log(), "forged").size() == 1);
  CHECK_THAT(serve.log(), Catch::Contains(R"("path":"/x%0A2026-01-01T00:00:00.000Z%20forged")"));
}

TEST_CASE("serve: an empty HEALTH_API_KEY is refused rather than taken for no key", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  box.env["HEALTH_API_KEY"] = "";
  const auto run = box.healthctl({"serve", "--listen", "127.0.0.1:0"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("HEALTH_API_KEY is set but empty"));
}

TEST_CASE("serve: a second SIGTERM during the grace period ends the wait at once", "[cli][serve]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seeded(box);
  ServeProcess serve(box, {"--grace", "30s"});
  // In flight: a request still being sent, which would hold the stop for
  // the whole grace period.
  HttpConnection partial(serve.port());
  partial.send("GET /health/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  std::this_thread::sleep_for(200ms);
  serve.signal(SIGTERM);
  REQUIRE(serve.wait_for_log("stopping on SIGTERM"));
  CHECK_FALSE(serve.wait(300ms).has_value()); // waiting for that request
  const auto second = Clock::now();
  serve.signal(SIGTERM);
  const auto code = serve.wait(5s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(Clock::now() - second < 3s);
  INFO(serve.log());
  CHECK(test::lines_with(serve.log(), "cut: a second SIGTERM").size() == 1);
}
