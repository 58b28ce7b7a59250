// serve without sockets: where paths go, what each endpoint answers over a
// real database, the guards (key, rate limit, cache and its sharing of
// requests in flight), the query deadline and the log lines. The listeners
// themselves are tested end to end in tests/cli/test_serve.cpp.

#include <health/error.hpp>
#include <health/export.hpp>
#include <health/issues.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>
#include <health/server.hpp>
#include <health/status.hpp>
#include <health/summary.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using health::http::Request;
using health::http::Response;
using nlohmann::json;

namespace {

struct ServeFixture : test::StoreFixture {
  health::http::ServeOptions options;
  ServeFixture() {
    options.database = store.path();
    options.listen = {"127.0.0.1:0"};
    options.default_node = "node-1";
  }

  void record(const std::string& component, const std::string& name, double value,
              health::MetricType type = health::MetricType::gauge, health::Millis ts = health::now_ms()) {
    health::record(store, {{"node-1", component, name, {}}, type, ""}, {ts, value, ""});
  }

  void report(const std::string& component, const std::string& metric, health::Severity severity) {
    health::IssueReport issue;
    issue.key = {component, metric, {}};
    issue.severity = severity;
    issue.reason = "test";
    issue.at = health::now_ms();
    health::report_issue(store, issue);
  }

  Response get(const std::string& target, const std::string& method = "GET", std::string body = {}) {
    Request request;
    request.method = method;
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      std::string rest = target.substr(question + 1);
      while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        request.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      }
    }
    request.body = std::move(body);
    health::http::Stores stores(options);
    return health::http::respond(request, health::http::route_of(request.path), stores, options, health::now_ms());
  }
};

std::string error_of(const Response& response) { return json::parse(response.body).at("error").get<std::string>(); }

} // namespace

TEST_CASE("serve: any prefix before /health/ reaches the same endpoint", "[serve]") {
  using health::http::route_of;
  for (const std::string prefix : {"", "/api/v1", "/services/user-service", "/admin/monitoring"}) {
    INFO(prefix);
    CHECK(route_of(prefix + "/health/status").endpoint == "status");
    CHECK(route_of(prefix + "/health/status/summary").view == "status/summary");
    CHECK(route_of(prefix + "/health/").endpoint == "metrics");
    CHECK(route_of(prefix + "/health").endpoint == "metrics");
    CHECK(route_of(prefix + "/health/metrics").endpoint == "metrics");
    CHECK(route_of(prefix + "/health/export").endpoint == "export");
    CHECK(route_of(prefix + "/health/summary/").endpoint == "summary");
    CHECK(route_of(prefix + "/health/issues").endpoint == "issues");
    CHECK(route_of(prefix + "/health/ingest").endpoint == "ingest");
    CHECK(route_of(prefix + "/health/record").endpoint == "record");
    const auto component = route_of(prefix + "/health/database");
    CHECK((component.endpoint == "component" && component.target == "database"));
    const auto component_status = route_of(prefix + "/health/database/status");
    CHECK((component_status.endpoint == "status" && component_status.target == "database"));
    const auto diagnose = route_of(prefix + "/health/claude/diagnose/database");
    CHECK((diagnose.endpoint == "claude" && diagnose.view == "claude/diagnose" && diagnose.target == "database"));
    const auto incident = route_of(prefix + "/health/claude/incident-report/12");
    CHECK((incident.view == "claude/incident-report" && incident.target == "12"));
    for (const char* view : {"analyze", "recommendations", "trends", "compare"})
      CHECK(route_of(prefix + "/health/claude/" + view).view == std::string("claude/") + view);
  }
  CHECK(route_of("/metrics").endpoint == "prometheus");
  CHECK(route_of("/api/v1/metrics").endpoint == "prometheus");
  for (const char* nowhere : {"/", "/healthz", "/health/claude/nothing", "/health/claude/diagnose/",
                              "/health/claude/diagnose/a/b", "/health/db/status/more", "/metricsx"})
    CHECK(route_of(nowhere).endpoint.empty());
}

TEST_CASE("serve: status answers 200 for healthy and degraded, 503 for critical, and --degraded-status 503",
          "[serve]") {
  ServeFixture f;
  f.record("db", "cpu", 50);
  auto status = f.get("/health/status");
  CHECK(status.status == 200);
  CHECK(status.no_store);
  CHECK(json::parse(status.body) ==
        json{{"status", "healthy"}, {"checked_at", json::parse(status.body)["checked_at"]},
             {"active_issue_count", 0}, {"critical_issue_count", 0}});
  f.report("db", "cpu", health::Severity::warning);
  CHECK(f.get("/health/status").status == 200);
  CHECK(f.get("/x/health/db/status").status == 200);
  f.options.degraded_status = 503;
  CHECK(f.get("/health/status").status == 503);
  f.options.degraded_status = 200;
  f.report("db", "cpu", health::Severity::critical);
  status = f.get("/health/status");
  CHECK(status.status == 503);
  CHECK(json::parse(status.body)["critical_issue_count"] == 1);
  // The summary is `healthctl status --format json`.
  const auto summary = f.get("/health/status/summary");
  CHECK(summary.status == 503);
  auto expected = json::parse(health::render_status(health::health_report(f.store, {}, health::now_ms()),
                                                    health::Format::json));
  auto got = json::parse(summary.body);
  got.erase("checked_at");
  expected.erase("checked_at");
  CHECK(got == expected);
  CHECK(f.get("/health/nope/status").status == 404);
}

TEST_CASE("serve: metrics and a component are metrics --format json, an unknown component 404", "[serve]") {
  ServeFixture f;
  f.record("db", "cpu", 50);
  f.record("web", "requests", 3, health::MetricType::counter);
  const auto all = f.get("/health/");
  CHECK(all.status == 200);
  CHECK(all.content_type == "application/json; charset=utf-8");
  CHECK(all.body == health::render_metrics(health::list_series(f.store, {}, health::WithStats::yes),
                                           health::Format::json));
  CHECK(json::parse(f.get("/health/metrics?components=web").body).size() == 1);
  const auto db = json::parse(f.get("/api/health/db").body);
  REQUIRE(db.size() == 1);
  CHECK(db[0]["name"] == "cpu");
  const auto missing = f.get("/health/nope");
  CHECK(missing.status == 404);
  CHECK(error_of(missing) == "no component 'nope' in the database");
}

TEST_CASE("serve: export, summary and issues take the command's parameters and refuse unknown ones", "[serve]") {
  ServeFixture f;
  const auto now = health::now_ms();
  for (int i = 0; i < 10; ++i) f.record("db", "cpu", i, health::MetricType::gauge, now - 60'000 + i * 1000);
  const auto csv = f.get("/health/export?since=1h&format=csv");
  CHECK(csv.status == 200);
  CHECK(csv.content_type == "text/csv; charset=utf-8");
  CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 11);
  const auto bucketed = json::parse(f.get("/health/export?since=1h&step=1h&agg=count,max").body);
  CHECK(bucketed["components"]["db"]["series"][0]["columns"] == json{"ts", "count", "max"});
  const auto ndjson = f.get("/health/export?since=1h&format=ndjson&metrics=cpu");
  CHECK(ndjson.content_type == "application/x-ndjson; charset=utf-8");
  const auto summary = json::parse(f.get("/health/summary?since=1h").body);
  CHECK(summary["series"][0]["count"] == 10);
  CHECK(f.get("/health/summary?format=markdown").content_type == "text/markdown; charset=utf-8");
  f.report("db", "cpu", health::Severity::warning);
  CHECK(json::parse(f.get("/health/issues").body).size() == 1);
  CHECK(json::parse(f.get("/health/issues?state=resolved").body).empty());

  const auto unknown = f.get("/health/export?sinse=1h");
  CHECK(unknown.status == 400);
  CHECK(error_of(unknown) == "unknown parameter 'sinse'");
  CHECK(f.get("/health/export?since=yesterday-ish").status == 400);
  CHECK(f.get("/health/export?since=now&until=1h").status == 400);
  CHECK(f.get("/health/export?format=prometheus").status == 400);
  CHECK(f.get("/health/export?step=0").status == 400);
  CHECK(f.get("/health/issues?state=open-ish").status == 400);
  CHECK(f.get("/health/summary?since=now").status == 400);
}

TEST_CASE("serve: every claude view is the analyze document of the same question", "[serve]") {
  ServeFixture f;
  f.record("db", "cpu", 50);
  f.report("db", "cpu", health::Severity::warning);
  for (const char* target : {"/health/claude/analyze", "/health/claude/recommendations",
                             "/health/claude/trends?period=2h", "/health/claude/compare?baseline=1d&current=1h",
                             "/health/claude/diagnose/db", "/health/claude/incident-report/1"}) {
    INFO(target);
    const auto answer = f.get(target);
    CHECK(answer.status == 200);
    CHECK_NOTHROW(json::parse(answer.body));
    const auto markdown = f.get(std::string(target) + (std::string(target).find('?') == std::string::npos ? "?" : "&") +
                                "format=markdown");
    CHECK(markdown.content_type == "text/markdown; charset=utf-8");
    CHECK(markdown.body.rfind("#", 0) == 0);
  }
  const auto small = f.get("/health/claude/analyze?max_bytes=3000");
  CHECK(small.body.size() <= 3000);
  CHECK(f.get("/health/claude/incident-report/99").status == 404);
  CHECK(f.get("/health/claude/incident-report/x").status == 400);
  CHECK(error_of(f.get("/health/claude/incident-report/1?since=1h")) == "unknown parameter 'since'");
  CHECK(f.get("/health/claude/analyze?until=2999-01-01").status == 400);
  CHECK(error_of(f.get("/health/claude/analyze?until=2999-01-01")) == "until '2999-01-01' is in the future");
  CHECK(f.get("/health/claude/trends?current=1h").status == 400); // compare's, not trends'
}

TEST_CASE("serve: writes are refused unless allowed, and land all or nothing when they are", "[serve]") {
  ServeFixture f;
  const std::string line = R"({"ts":"now","component":"app","name":"jobs","value":2,"type":"counter"})";
  const auto refused = f.get("/health/ingest", "POST", line + "\n");
  CHECK(refused.status == 403);
  CHECK(error_of(refused) == "writes are off");
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty());

  f.options.allow_write = true;
  const auto ingested = f.get("/health/ingest", "POST", line + "\n" + line + "\n");
  INFO(ingested.body);
  CHECK(ingested.status == 200);
  CHECK(json::parse(ingested.body)["samples"] == 2);
  const auto bad = f.get("/health/ingest", "POST", line + "\n{\"ts\":\"now\",\"component\":\"app\"}\n");
  CHECK(bad.status == 422);
  CHECK_THAT(error_of(bad), Catch::StartsWith("body:2:"));
  const auto recorded = f.get("/health/record", "POST", R"({"component":"app","name":"temp","value":21.5,"type":"gauge"})");
  CHECK(recorded.status == 200);
  CHECK(f.get("/health/record", "POST", R"([{"component":"app","name":"temp","value":22}, 3])").status == 422);
  CHECK(f.get("/health/record", "POST", "not json").status == 422);
  CHECK(f.get("/health/record", "POST", "[]").status == 422);
  const auto series = health::list_series(f.store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 2);
  std::int64_t samples = 0;
  for (const auto& one : series) samples += one.count;
  CHECK(samples == 3); // two jobs, one temp: nothing from the refused bodies

  const auto wrong_method = f.get("/health/ingest");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers == std::vector<std::pair<std::string, std::string>>{{"Allow", "POST"}});
  CHECK(f.get("/health/status", "POST").status == 405);
}

TEST_CASE("serve: a query past its deadline is interrupted and answered 503", "[serve]") {
  ServeFixture f;
  std::vector<health::Recording> many;
  const auto now = health::now_ms();
  for (int i = 0; i < 5000; ++i) many.push_back({{{"n", "db", "cpu", {}}, health::MetricType::gauge, ""}, {now - 5000 + i, 1.0 * i, ""}});
  health::record(f.store, many);
  f.options.query_timeout = 0;
  const auto late = f.get("/health/export?since=1h");
  CHECK(late.status == 503);
  CHECK(error_of(late) == "the query ran past its time limit");
  CHECK(late.headers == std::vector<std::pair<std::string, std::string>>{{"Retry-After", "1"}});
  f.options.query_timeout = 10'000;
  CHECK(f.get("/health/export?since=1h").status == 200);
}

TEST_CASE("serve: a Store's deadline interrupts its statements until lifted", "[serve][store]") {
  test::StoreFixture f;
  std::vector<health::Recording> many;
  for (int i = 0; i < 2000; ++i) many.push_back({{{"n", "db", "cpu", {}}, health::MetricType::gauge, ""}, {1000 + i, 1.0, ""}});
  health::record(f.store, many);
  f.store.set_deadline(std::chrono::steady_clock::now() - std::chrono::seconds(1));
  const auto scan = [&] { return health::summarize(f.store, {}, {0, health::now_ms()}); };
  try {
    scan();
    FAIL("no interruption");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::busy);
    CHECK(std::string(error.what()) == "the query ran past its time limit");
  }
  f.store.set_deadline(std::nullopt);
  CHECK(scan().size() == 1);
}

TEST_CASE("serve: the key comparison reads every byte and tells only equal from different", "[serve]") {
  using health::http::same_key;
  CHECK(same_key("s3cret", "s3cret"));
  CHECK_FALSE(same_key("s3cre", "s3cret"));
  CHECK_FALSE(same_key("s3crett", "s3cret"));
  CHECK_FALSE(same_key("S3cret", "s3cret"));
  CHECK_FALSE(same_key("", "s3cret"));
  CHECK_FALSE(same_key(std::string("s3cret\0", 7), "s3cret"));
}

TEST_CASE("serve: the rate limit is a sliding window per client", "[serve]") {
  health::http::RateLimiter limiter(3, 1000);
  CHECK_FALSE(limiter.admit("a", 0));
  CHECK_FALSE(limiter.admit("a", 100));
  CHECK_FALSE(limiter.admit("a", 200));
  CHECK(limiter.admit("a", 300) == 700); // until the first leaves the window
  CHECK_FALSE(limiter.admit("b", 300));  // another client has its own window
  CHECK(limiter.admit("a", 999) == 1);
  CHECK_FALSE(limiter.admit("a", 1000)); // the first left
  CHECK(limiter.admit("a", 1001) == 99);
  CHECK_FALSE(limiter.admit("a", 5000));
  health::http::RateLimiter off(0, 1000);
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(off.admit("a", 0));
}

TEST_CASE("serve: the cache keeps answers for its time, never errors, and forgets them on clear", "[serve]") {
  health::http::ResponseCache cache(5000);
  int made = 0;
  const auto make = [&] {
    ++made;
    Response out;
    out.body = std::to_string(made);
    return out;
  };
  CHECK_FALSE(cache.get("k", 0, make).second);
  auto [first, shared] = cache.get("k", 100, make);
  CHECK((first.body == "1" && shared && made == 1));
  CHECK(cache.get("k", 5000, make).first.body == "2"); // expired at 5000
  CHECK(cache.get("other", 5001, make).first.body == "3");
  cache.clear();
  CHECK(cache.get("k", 5002, make).first.body == "4");
  const auto failing = [&] { ++made; return health::http::error_response(503, "locked", ""); };
  CHECK_FALSE(cache.get("e", 0, failing).second);
  CHECK_FALSE(cache.get("e", 1, failing).second);
  CHECK(made == 6);
}

TEST_CASE("serve: concurrent identical requests run the work once and share its answer", "[serve][threads]") {
  health::http::ResponseCache cache(5000);
  std::atomic<int> made{0};
  std::atomic<int> shared{0};
  const auto slow = [&] {
    ++made;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Response out;
    out.body = "answer";
    return out;
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      const auto [answer, from_others] = cache.get("same", 0, slow);
      if (answer.body == "answer" && from_others) ++shared;
    });
  for (auto& thread : threads) thread.join();
  CHECK(made == 1);
  CHECK(shared == 7);

  // A failure reaches the waiting requests as a 500, and is not kept.
  std::atomic<int> failed{0};
  const auto throws = [&]() -> Response {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    throw std::runtime_error("boom");
  };
  threads.clear();
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        if (cache.get("bad", 0, throws).first.status == 500) ++failed;
      } catch (const std::runtime_error&) {
        ++failed;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(failed == 4);
  CHECK(cache.get("bad", 1, [] { return Response{}; }).second == false);
}

TEST_CASE("serve: the cache key sorts parameters and takes HEAD as GET", "[serve]") {
  using health::http::cache_key;
  using health::http::route_of;
  Request a{"GET", "/health/export", {{"since", "1h"}, {"format", "csv"}}, {}, {}};
  Request b{"HEAD", "/x/health/export", {{"format", "csv"}, {"since", "1h"}}, {}, {}};
  Request c{"GET", "/health/export", {{"since", "2h"}, {"format", "csv"}}, {}, {}};
  CHECK(cache_key(a, route_of(a.path)) == cache_key(b, route_of(b.path)));
  CHECK(cache_key(a, route_of(a.path)) != cache_key(c, route_of(c.path)));
  Request d{"GET", "/health/db", {}, {}, {}};
  Request e{"GET", "/health/web", {}, {}, {}};
  CHECK(cache_key(d, route_of(d.path)) != cache_key(e, route_of(e.path)));
}

TEST_CASE("serve: the server asks for the key except on public endpoints, limits, caches and clears on writes",
          "[serve]") {
  ServeFixture f;
  f.record("db", "cpu", 50);
  f.options.api_key = "s3cret";
  f.options.rate_limit = 5;
  f.options.allow_write = true;
  std::vector<std::string> lines;
  health::http::Server server(f.options, health::http::LogFormat::text, true,
                              [&](const std::string& line) { lines.push_back(line); });
  REQUIRE(server.addresses().size() == 1);
  CHECK_THAT(server.addresses()[0], Catch::StartsWith("127.0.0.1:"));
  const Request metrics{"GET", "/health/metrics", {}, {}, {}};
  const auto denied = server.handle(metrics, {}, "10.0.0.1");
  CHECK(denied.status == 401);
  CHECK(error_of(denied) == "this endpoint needs the API key");
  CHECK(error_of(server.handle(metrics, {{"x-api-key", "wrong"}}, "10.0.0.1")) == "the API key is wrong");
  CHECK(server.handle({"GET", "/health/status", {}, {}, {}}, {}, "10.0.0.2").status == 200);

  const auto first = server.handle(metrics, {{"authorization", "Bearer s3cret"}}, "10.0.0.3");
  CHECK(first.status == 200);
  CHECK(first.headers.back() == std::pair<std::string, std::string>{"X-Cache", "miss"});
  const auto second = server.handle(metrics, {{"x-api-key", "s3cret"}}, "10.0.0.4");
  CHECK(second.headers.back() == std::pair<std::string, std::string>{"X-Cache", "hit"});
  // A write clears the cache.
  const Request record{"POST", "/health/record", {}, R"({"component":"web","name":"up","value":1,"type":"gauge"})", {}};
  CHECK(server.handle(record, {{"x-api-key", "s3cret"}}, "10.0.0.4").status == 200);
  const auto after = server.handle(metrics, {{"x-api-key", "s3cret"}}, "10.0.0.4");
  CHECK(after.headers.back() == std::pair<std::string, std::string>{"X-Cache", "miss"});
  CHECK(json::parse(after.body).size() == 2);
  // HEAD is GET's answer (cpp-httplib leaves its body out), from the same cache.
  const Request head{"HEAD", "/health/metrics", {}, {}, {}};
  const auto head_answer = server.handle(head, {{"x-api-key", "s3cret"}}, "10.0.0.4");
  CHECK(head_answer.body == after.body);
  CHECK(head_answer.headers.back() == std::pair<std::string, std::string>{"X-Cache", "hit"});

  // The key's budget of 5 is spent; wrong keys count against their address.
  const auto limited = server.handle(metrics, {{"x-api-key", "s3cret"}}, "10.0.0.4");
  CHECK(limited.status == 429);
  REQUIRE(limited.headers.size() == 1);
  CHECK(limited.headers[0].first == "Retry-After");
  const auto wait = std::stoi(limited.headers[0].second);
  CHECK((wait >= 1 && wait <= 60));
  CHECK(server.handle(metrics, {{"x-api-key", "wrong"}}, "10.0.0.1").status == 401); // 3rd of 10.0.0.1
  CHECK(server.handle(metrics, {{"x-api-key", "wrong"}}, "10.0.0.1").status == 401);
  CHECK(server.handle(metrics, {{"x-api-key", "wrong"}}, "10.0.0.1").status == 401);
  CHECK(server.handle(metrics, {{"x-api-key", "wrong"}}, "10.0.0.1").status == 429);
}

TEST_CASE("serve: listen addresses and public endpoints are checked at start", "[serve]") {
  ServeFixture f;
  const auto start = [&] { health::http::Server server(f.options, health::http::LogFormat::text, false, [](const std::string&) {}); };
  for (const char* bad : {"8080", "localhost", ":80", "127.0.0.1:99999", "::1:80", "[::1:80", "127.0.0.1:x"}) {
    INFO(bad);
    f.options.listen = {bad};
    CHECK_THROWS_WITH(start(), "invalid --listen '" + std::string(bad) + "'");
  }
  f.options.listen = {"127.0.0.1:0"};
  f.options.public_endpoints = {"statuz"};
  CHECK_THROWS_WITH(start(), "invalid --public 'statuz'");
  f.options.public_endpoints = {};
  f.options.database = f.dir.file("missing.db");
  try {
    start();
    FAIL("started without a database");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::not_found);
  }
}

TEST_CASE("serve: access log lines in text and JSON", "[serve]") {
  health::http::AccessLog entry;
  entry.ts = 1'764'000'000'123;
  entry.client = "127.0.0.1";
  entry.method = "GET";
  entry.path = "/health/status";
  entry.status = 200;
  entry.bytes = 87;
  entry.duration_ms = 0.44;
  entry.cache = "miss";
  CHECK(health::http::log_line(entry, health::http::LogFormat::text) ==
        "2025-11-24T16:00:00.123Z 127.0.0.1 GET /health/status 200 87B 0.4ms miss");
  CHECK(json::parse(health::http::log_line(entry, health::http::LogFormat::json)) ==
        json{{"ts", "2025-11-24T16:00:00.123Z"}, {"client", "127.0.0.1"}, {"method", "GET"},
             {"path", "/health/status"}, {"status", 200}, {"bytes", 87}, {"duration_ms", 0.4}, {"cache", "miss"}});
  entry.path = "/health/\xff";
  CHECK_NOTHROW(json::parse(health::http::log_line(entry, health::http::LogFormat::json)));
  using health::http::log_event;
  CHECK(log_event(entry.ts, "listening", "address", "127.0.0.1:8080", health::http::LogFormat::text) ==
        "2025-11-24T16:00:00.123Z listening on 127.0.0.1:8080");
  CHECK(json::parse(log_event(entry.ts, "listening", "address", "[::1]:80", health::http::LogFormat::json)) ==
        json{{"ts", "2025-11-24T16:00:00.123Z"}, {"event", "listening"}, {"address", "[::1]:80"}});
  CHECK(log_event(entry.ts, "stopping", "signal", "SIGTERM", health::http::LogFormat::text) ==
        "2025-11-24T16:00:00.123Z stopping on SIGTERM");
  CHECK(log_event(entry.ts, "stopped", "", "", health::http::LogFormat::text) == "2025-11-24T16:00:00.123Z stopped");
}

namespace {

// A loopback connection to `address` (127.0.0.1:PORT) of the test's own, to
// send exactly the bytes it wants.
struct Connection {
  int fd = -1;
  explicit Connection(const std::string& address) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.find(':') + 1))));
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
  }
  ~Connection() { ::close(fd); }
  void send(const std::string& bytes) const { REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())); }
  // Everything until the server closes the connection.
  std::string answer() const {
    std::string out;
    char buffer[4096];
    for (ssize_t got; (got = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(got));
    return out;
  }
};

} // namespace

TEST_CASE("serve: a connection beyond the workers and the queue is answered 503 at once", "[serve][threads]") {
  ServeFixture f;
  f.options.threads = 1;
  f.options.max_connections = 1;
  health::http::Server server(f.options, health::http::LogFormat::text, false, [](const std::string&) {});
  server.start();
  const auto address = server.addresses()[0];
  const std::string request = "GET /health/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  {
    // The only worker waits for the rest of this request.
    const Connection slow(address);
    slow.send("GET /health/status HTTP/1.1\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const Connection refused(address);
    refused.send(request);
    const auto answer = refused.answer();
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 503 "));
    CHECK_THAT(answer, Catch::Contains(R"({"error":"the server is busy","hint":"retry shortly"})"));
    CHECK_THAT(answer, Catch::Contains("Retry-After: 1"));
  }
  // The worker is free again once that client went away.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Connection served(address);
  served.send(request);
  CHECK_THAT(served.answer(), Catch::StartsWith("HTTP/1.1 200 "));
  CHECK(server.stop(5000));
}

TEST_CASE("serve: an answer begun before a write is not kept after it", "[serve]") {
  health::http::ResponseCache cache(5000);
  // The write clears the cache while the read is being made.
  const auto racing = [&] {
    cache.clear();
    Response out;
    out.body = "before the write";
    return out;
  };
  CHECK(cache.get("k", 0, racing).first.body == "before the write");
  const auto fresh = cache.get("k", 1, [] {
    Response out;
    out.body = "after";
    return out;
  });
  CHECK((fresh.first.body == "after" && !fresh.second));
}

TEST_CASE("serve: no parameter value can pass for two parameters in the cache key", "[serve]") {
  using health::http::cache_key;
  using health::http::route_of;
  const Request two{"GET", "/health/export", {{"components", "a"}, {"metrics", "b"}}, {}, {}};
  const Request one{"GET", "/health/export", {{"components", "a\n7:metrics1:b"}}, {}, {}};
  const Request other{"GET", "/health/export", {{"components", "a\nmetrics=b"}}, {}, {}};
  CHECK(cache_key(two, route_of(two.path)) != cache_key(one, route_of(one.path)));
  CHECK(cache_key(two, route_of(two.path)) != cache_key(other, route_of(other.path)));
}

TEST_CASE("serve: the rate limit remembers a bounded number of clients", "[serve]") {
  health::http::RateLimiter limiter(10, 1000);
  bool all = true;
  for (int i = 0; i < 100'000; ++i) all = all && !limiter.admit("ip " + std::to_string(i), 0);
  REQUIRE(all);
  CHECK(limiter.admit("ip new", 1) == 1000); // no room: told to wait a window
  CHECK_FALSE(limiter.admit("ip 7", 1));      // the known ones go on
  CHECK_FALSE(limiter.admit("ip new", 1000)); // a window later the quiet ones are forgotten
}

TEST_CASE("serve: a server destroyed while it serves stops and joins first", "[serve][threads]") {
  ServeFixture f;
  {
    health::http::Server server(f.options, health::http::LogFormat::text, false, [](const std::string&) {});
    server.start();
    const Connection open(server.addresses()[0]);
    open.send("GET /health/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK_THAT(open.answer(), Catch::StartsWith("HTTP/1.1 200 "));
  } // no stop(): the destructor's
  SUCCEED("destroyed without terminate");
}
