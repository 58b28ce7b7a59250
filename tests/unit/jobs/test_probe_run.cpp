// probe run at the library level: a fake check makes every outcome, the
// clock is the test's, so the breaker, retries, dependencies, what is due
// and the issues can be followed step by step.

#include <health/error.hpp>
#include <health/issues.hpp>
#include <health/probe_run.hpp>
#include <health/probes.hpp>
#include <health/query.hpp>
#include <health/render.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

using health::Circuit;
using health::k_minute_ms;
using health::k_second_ms;
using health::Millis;
using health::ProbeResult;
using health::ProbeRunEntry;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

// A check whose result per probe the test sets, counting its calls.
struct FakeCheck {
  std::mutex mutex;
  std::map<std::string, ProbeResult> results;
  std::map<std::string, int> calls;
  std::vector<std::string> order;

  health::ProbeCheck check() {
    return [this](const health::ProbeSpec& spec, Millis) {
      std::lock_guard<std::mutex> lock(mutex);
      ++calls[spec.name];
      order.push_back(spec.name);
      const auto it = results.find(spec.name);
      const ProbeResult result = it == results.end() ? ProbeResult::ok : it->second;
      return health::ProbeOutcome{result, result == ProbeResult::ok ? "fine" : "refused", 1.5, {}};
    };
  }
};

struct Fixture : test::StoreFixture {
  FakeCheck fake;

  health::ProbeSpec tcp(const std::string& name) {
    health::ProbeSpec spec;
    spec.name = name;
    spec.kind = health::ProbeKind::tcp;
    spec.target = "127.0.0.1:1";
    return spec;
  }

  void add(const health::ProbeSpec& spec) { health::add_probe(store, spec, health::Replace::no, k_t0); }

  health::ProbeRunReport run(Millis at, std::vector<std::string> names = {}, bool all = false) {
    health::ProbeRunOptions options;
    options.names = std::move(names);
    options.all = all;
    options.now = at;
    options.node = "node-1";
    options.backoff = 1;
    return health::run_probes(store, options, fake.check());
  }

  const ProbeRunEntry& entry(const health::ProbeRunReport& report, const std::string& name) {
    for (const auto& each : report.entries)
      if (each.name == name) return each;
    FAIL("no entry for " << name);
    throw std::logic_error("unreachable");
  }

  std::optional<health::Issue> open_issue(const std::string& name) {
    for (auto& issue : health::list_issues(store, {}))
      if (issue.key.component == name && issue.key.metric == "up") return issue;
    return std::nullopt;
  }

  // The values of series `metric` of probe `name`, oldest first.
  std::vector<double> values(const std::string& name, const std::string& metric) {
    health::SeriesFilter filter;
    filter.components = {name};
    filter.metrics = {metric};
    std::vector<double> out;
    health::scan_samples(store, filter, {0, k_t0 + 1000 * k_minute_ms},
                         [&](const health::SampleRow& row) { out.push_back(row.value); });
    return out;
  }
};

} // namespace

TEST_CASE_METHOD(Fixture, "probe run: a probe is due when it never ran and again once its interval has passed") {
  add(tcp("db"));
  CHECK(run(k_t0).entries.size() == 1);
  CHECK(run(k_t0 + 30 * k_second_ms).entries.empty());
  // A tenth of the interval early (cron starting a little early) counts as due.
  CHECK(run(k_t0 + 55 * k_second_ms).entries.size() == 1);
  CHECK(run(k_t0 + 60 * k_second_ms).entries.empty());
  CHECK(run(k_t0 + 60 * k_second_ms, {}, true).entries.size() == 1);
  CHECK(run(k_t0 + 60 * k_second_ms, {"db"}).entries.size() == 1);
  CHECK(fake.calls["db"] == 4);
}

TEST_CASE_METHOD(Fixture, "probe run: disabled probes run only when named, and unknown names are refused before anything runs") {
  auto spec = tcp("db");
  spec.enabled = false;
  add(spec);
  add(tcp("web"));
  CHECK(run(k_t0).entries.size() == 1);
  CHECK(fake.calls.count("db") == 0);
  CHECK(run(k_t0, {"db"}).entries.size() == 1);
  CHECK_THROWS_WITH(run(k_t0, {"db", "nope"}), "no probe named nope");
  CHECK(fake.calls["db"] == 1);
}

TEST_CASE_METHOD(Fixture, "probe run: records up, latency, the failure streak and the circuit state as series") {
  add(tcp("db"));
  fake.results["db"] = ProbeResult::critical;
  run(k_t0);
  run(k_t0 + k_minute_ms);
  fake.results["db"] = ProbeResult::ok;
  run(k_t0 + 2 * k_minute_ms);
  CHECK(values("db", "up") == std::vector<double>{0, 0, 1});
  CHECK(values("db", "consecutive_failures") == std::vector<double>{1, 2, 0});
  CHECK(values("db", "latency_ms") == std::vector<double>{1.5, 1.5, 1.5});
  CHECK(values("db", "circuit_state") == std::vector<double>{0, 0, 0});
  const auto probe = health::get_probe(store, "db");
  CHECK(probe.state.last_result == ProbeResult::ok);
  CHECK(probe.state.last_message == "fine");
  CHECK(probe.state.last_run_at == k_t0 + 2 * k_minute_ms);
}

TEST_CASE_METHOD(Fixture, "probe run: retries a failed attempt and stops at the first that passes") {
  auto spec = tcp("db");
  spec.retries = 3;
  add(spec);
  fake.results["db"] = ProbeResult::critical;
  auto report = run(k_t0);
  CHECK(entry(report, "db").attempts == 4);
  CHECK(fake.calls["db"] == 4);
  fake.results["db"] = ProbeResult::ok;
  report = run(k_t0 + k_minute_ms);
  CHECK(entry(report, "db").attempts == 1);
}

TEST_CASE_METHOD(Fixture, "probe run: the backoff between retries doubles with jitter") {
  auto spec = tcp("db");
  spec.retries = 2;
  add(spec);
  fake.results["db"] = ProbeResult::critical;
  health::ProbeRunOptions options;
  options.now = k_t0;
  options.backoff = 200; // then 200..400 ms after the second attempt: 300..600 ms in all
  const auto start = std::chrono::steady_clock::now();
  health::run_probes(store, options, fake.check());
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  CHECK(took.count() >= 300);
  CHECK(took.count() < 2000);
}

TEST_CASE_METHOD(Fixture, "probe run: an issue opens after fail-after failures, turns critical after critical-after, and the first success resolves it") {
  auto spec = tcp("db");
  spec.fail_after = 2;
  spec.critical_after = 3;
  spec.breaker_after = 0;
  add(spec);
  fake.results["db"] = ProbeResult::critical;
  run(k_t0);
  CHECK_FALSE(open_issue("db"));
  run(k_t0 + k_minute_ms);
  auto issue = open_issue("db");
  REQUIRE(issue);
  CHECK(issue->severity == health::Severity::warning);
  CHECK(issue->reason == "probe db: refused");
  CHECK(issue->source == health::IssueSource::run);
  CHECK(issue->key.labels == health::Labels{{"probe", "db"}});
  // The same failure again changes nothing: no event each minute.
  auto report = run(k_t0 + 2 * k_minute_ms);
  REQUIRE(report.changes.size() == 1);
  CHECK(report.changes[0].event->kind == "escalated");
  report = run(k_t0 + 3 * k_minute_ms);
  CHECK(report.changes.empty());
  fake.results["db"] = ProbeResult::ok;
  report = run(k_t0 + 4 * k_minute_ms);
  REQUIRE(report.changes.size() == 1);
  CHECK(report.changes[0].event->kind == "resolved");
  CHECK(report.changes[0].event->note == "probe db: fine");
  CHECK_FALSE(open_issue("db"));
}

TEST_CASE_METHOD(Fixture, "probe run: a plugin's own critical makes a critical issue at once, its warning a warning one") {
  auto spec = tcp("disk");
  spec.kind = health::ProbeKind::exec;
  spec.target = "true";
  add(spec);
  fake.results["disk"] = ProbeResult::warning;
  run(k_t0);
  REQUIRE(open_issue("disk"));
  CHECK(open_issue("disk")->severity == health::Severity::warning);
  fake.results["disk"] = ProbeResult::critical;
  run(k_t0 + k_minute_ms);
  CHECK(open_issue("disk")->severity == health::Severity::critical);
}

TEST_CASE_METHOD(Fixture, "probe run: the circuit goes closed, open, half-open and closed again, and each change is an issue note") {
  auto spec = tcp("db");
  spec.breaker_after = 2;
  spec.breaker_open = 30 * k_second_ms;
  spec.breaker_trials = 2;
  spec.every = 10 * k_second_ms;
  add(spec);
  fake.results["db"] = ProbeResult::critical;
  run(k_t0);
  auto report = run(k_t0 + 10 * k_second_ms);
  CHECK(entry(report, "db").state.circuit == Circuit::open);
  REQUIRE(report.changes.size() == 1);
  CHECK(report.changes[0].event->kind == "note");
  CHECK(report.changes[0].event->note == "circuit opened for 30s after 2 consecutive failures");
  // Open: not run until its time is up.
  report = run(k_t0 + 20 * k_second_ms);
  CHECK(entry(report, "db").what == ProbeRunEntry::What::circuit_open);
  CHECK(fake.calls["db"] == 2);
  // Half-open: a failed trial reopens it for twice as long.
  report = run(k_t0 + 40 * k_second_ms);
  CHECK(entry(report, "db").state.circuit == Circuit::open);
  CHECK(entry(report, "db").state.circuit_until == k_t0 + 100 * k_second_ms);
  CHECK(report.changes.back().event->note == "circuit reopened for 1m: a trial run failed");
  CHECK(run(k_t0 + 90 * k_second_ms).entries.at(0).what == ProbeRunEntry::What::circuit_open);
  // Two successful trials close it; the first success resolves the issue.
  fake.results["db"] = ProbeResult::ok;
  report = run(k_t0 + 100 * k_second_ms);
  CHECK(entry(report, "db").state.circuit == Circuit::half_open);
  CHECK_FALSE(open_issue("db"));
  report = run(k_t0 + 110 * k_second_ms);
  CHECK(entry(report, "db").state.circuit == Circuit::closed);
  CHECK(values("db", "circuit_state") == std::vector<double>{0, 2, 2, 1, 0});
}

TEST_CASE_METHOD(Fixture, "probe run: the open time doubles while trials fail, up to the cap") {
  health::ProbeSpec spec = tcp("db");
  spec.breaker_after = 1;
  spec.breaker_open = 10 * k_second_ms;
  spec.breaker_max = 30 * k_second_ms;
  health::ProbeState state;
  std::vector<Millis> opened_for;
  Millis now = k_t0;
  for (int i = 0; i < 4; ++i) {
    std::optional<std::string> note;
    if (state.circuit_until) now = *state.circuit_until;
    REQUIRE(health::circuit_allows(state, now, note));
    health::apply_result(spec, state, false, now);
    opened_for.push_back(*state.circuit_open_for);
  }
  CHECK(opened_for == std::vector<Millis>{10 * k_second_ms, 20 * k_second_ms, 30 * k_second_ms, 30 * k_second_ms});
}

TEST_CASE_METHOD(Fixture, "probe reset closes the circuit and clears the streak") {
  auto spec = tcp("db");
  spec.breaker_after = 1;
  add(spec);
  fake.results["db"] = ProbeResult::critical;
  run(k_t0);
  CHECK(health::get_probe(store, "db").state.circuit == Circuit::open);
  health::reset_probe(store, "db");
  const auto probe = health::get_probe(store, "db");
  CHECK(probe.state.circuit == Circuit::closed);
  CHECK(probe.state.failures == 0);
  CHECK(run(k_t0 + 1000, {"db"}).entries.at(0).what == ProbeRunEntry::What::ran);
}

TEST_CASE_METHOD(Fixture, "probe run: a dependency runs first, and while it is down its dependents are skipped and say so") {
  add(tcp("db"));
  auto web = tcp("web");
  web.depends_on = {"db"};
  add(web);
  fake.results["db"] = ProbeResult::critical;
  auto report = run(k_t0);
  CHECK(entry(report, "web").what == ProbeRunEntry::What::dependency_down);
  CHECK(entry(report, "web").note == "depends on db, which is down (db failed)");
  CHECK(fake.calls.count("web") == 0);
  // Named alone, the stored state of its dependency still counts.
  report = run(k_t0 + 1000, {"web"});
  CHECK(entry(report, "web").note == "depends on db, which is down (db is failing)");
  fake.results["db"] = ProbeResult::ok;
  report = run(k_t0 + k_minute_ms);
  CHECK(entry(report, "web").what == ProbeRunEntry::What::ran);
  CHECK(fake.order.back() == "web"); // after db, though there are 8 jobs
}

TEST_CASE_METHOD(Fixture, "probe run: probes run in parallel up to --jobs", "[threads]") {
  for (const char* name : {"a", "b", "c", "d"}) add(tcp(name));
  std::atomic<int> running{0}, most{0};
  health::ProbeRunOptions options;
  options.now = k_t0;
  options.jobs = 2;
  health::run_probes(store, options, [&](const health::ProbeSpec&, Millis) {
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    --running;
    return health::ProbeOutcome{ProbeResult::ok, "fine", 1, {}};
  });
  CHECK(most.load() == 2);
}

TEST_CASE_METHOD(Fixture, "probe run: two runs at once never run a probe twice", "[threads]") {
  add(tcp("db"));
  const auto path = store.path();
  std::atomic<int> calls{0};
  const auto one_run = [&] {
    health::StoreOptions options;
    options.path = path;
    options.mode = health::OpenMode::read_write;
    auto own = health::Store::open(options);
    health::ProbeRunOptions run_options;
    run_options.now = k_t0;
    health::run_probes(own, run_options, [&](const health::ProbeSpec&, Millis) {
      ++calls;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return health::ProbeOutcome{ProbeResult::ok, "fine", 1, {}};
    });
  };
  std::thread first(one_run), second(one_run);
  first.join();
  second.join();
  CHECK(calls.load() == 1);
}

TEST_CASE_METHOD(Fixture, "probe run: perfdata becomes gauges of the probe's component") {
  add(tcp("disk"));
  health::ProbeRunOptions options;
  options.now = k_t0;
  options.node = "node-1";
  health::run_probes(store, options, [](const health::ProbeSpec&, Millis) {
    return health::ProbeOutcome{ProbeResult::ok, "DISK OK", 3, {{"used", 42.5, "percent"}}};
  });
  CHECK(values("disk", "used") == std::vector<double>{42.5});
}

TEST_CASE_METHOD(Fixture, "probe run: its json says what ran, what was skipped and why") {
  add(tcp("db"));
  auto web = tcp("web");
  web.depends_on = {"db"};
  add(web);
  fake.results["db"] = ProbeResult::critical;
  const auto doc = nlohmann::json::parse(health::render_probe_run(run(k_t0), health::Format::json));
  REQUIRE(doc["probes"].size() == 2);
  CHECK(doc["probes"][0]["name"] == "db");
  CHECK(doc["probes"][0]["result"] == "critical");
  CHECK(doc["probes"][0]["consecutive_failures"] == 1);
  CHECK(doc["probes"][1]["what"] == "dependency_down");
  CHECK(doc["changes"][0]["event"]["kind"] == "opened");
}

TEST_CASE_METHOD(Fixture, "probe run: a skipped dependency skips what depends on it, down the chain") {
  add(tcp("c"));
  auto b = tcp("b");
  b.depends_on = {"c"};
  add(b);
  auto a = tcp("a");
  a.depends_on = {"b"};
  add(a);
  fake.results["c"] = ProbeResult::critical;
  const auto report = run(k_t0);
  CHECK(entry(report, "b").note == "depends on c, which is down (c failed)");
  CHECK(entry(report, "a").note == "depends on b, which is down (b was not run)");
  CHECK(fake.calls.count("a") == 0);
  // Their claims are released: due again at the next interval, not later.
  CHECK_FALSE(health::get_probe(store, "a").state.running_until);
}

TEST_CASE_METHOD(Fixture, "probe run: a name given twice runs once") {
  add(tcp("x"));
  const auto report = run(k_t0, {"x", "x"});
  CHECK(report.entries.size() == 1);
  CHECK(fake.calls["x"] == 1);
  CHECK(values("x", "up") == std::vector<double>{1});
}

TEST_CASE_METHOD(Fixture, "probe run: a check that blocks past its timeout is abandoned within a second") {
  auto spec = tcp("stuck");
  spec.timeout = 200;
  add(spec);
  health::ProbeRunOptions options;
  options.now = k_t0;
  const auto start = std::chrono::steady_clock::now();
  const auto report = health::run_probes(store, options, [](const health::ProbeSpec&, Millis) {
    std::this_thread::sleep_for(std::chrono::seconds(3)); // a name that never resolves, say
    return health::ProbeOutcome{ProbeResult::ok, "late", 1, {}};
  });
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  CHECK(took.count() < 1200);
  CHECK(report.entries.at(0).outcome.result == ProbeResult::critical);
  CHECK(report.entries.at(0).outcome.message == "no answer within 200ms (the check was abandoned)");
}

TEST_CASE_METHOD(Fixture, "probe run: a perfdata value whose unit changed is left out, the rest of the run recorded") {
  add(tcp("plug"));
  add(tcp("other"));
  health::ProbeRunOptions options;
  options.now = k_t0;
  options.node = "node-1";
  std::string unit = "s";
  const auto check = [&](const health::ProbeSpec& spec, Millis) {
    return health::ProbeOutcome{ProbeResult::ok, "fine", 1, {{"t", 1, spec.name == "plug" ? unit : "s"}}};
  };
  health::run_probes(store, options, check);
  unit = "ms";
  options.now = k_t0 + k_minute_ms;
  const auto report = health::run_probes(store, options, check);
  CHECK(entry(report, "plug").note ==
        "perfdata t not recorded: series plug/t{probe=plug} on node node-1 has unit 's', not 'ms'");
  CHECK(values("plug", "up") == std::vector<double>{1, 1});
  CHECK(values("other", "t") == std::vector<double>{1, 1});
}

TEST_CASE_METHOD(Fixture, "probe run: a run that overlaps a slower one skips its probes and keeps its results", "[threads]") {
  auto spec = tcp("db");
  spec.every = 10 * k_second_ms;
  add(spec);
  const auto path = store.path();
  std::atomic<bool> slow_started{false};
  std::thread slow([&] {
    health::StoreOptions open;
    open.path = path;
    open.mode = health::OpenMode::read_write;
    auto own = health::Store::open(open);
    health::ProbeRunOptions options;
    options.now = k_t0;
    health::run_probes(own, options, [&](const health::ProbeSpec&, Millis) {
      slow_started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return health::ProbeOutcome{ProbeResult::critical, "refused", 1, {}};
    });
  });
  while (!slow_started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The next tick, 11 s later by the clock it is given, while the first still runs.
  const auto report = run(k_t0 + 11 * k_second_ms);
  slow.join();
  REQUIRE(report.entries.size() == 1);
  CHECK(entry(report, "db").what == ProbeRunEntry::What::running_elsewhere);
  CHECK(fake.calls.count("db") == 0);
  const auto probe = health::get_probe(store, "db");
  CHECK(probe.state.failures == 1);
  CHECK(probe.state.last_result == ProbeResult::critical);
  CHECK(probe.state.started_at == k_t0);
  CHECK_FALSE(probe.state.running_until);
}

TEST_CASE_METHOD(Fixture, "probe run: a reset while a probe runs stands when its result is written") {
  auto spec = tcp("db");
  spec.breaker_after = 1;
  add(spec);
  health::ProbeRunOptions options;
  options.now = k_t0;
  health::run_probes(store, options, [&](const health::ProbeSpec&, Millis) {
    return health::ProbeOutcome{ProbeResult::critical, "refused", 1, {}};
  });
  REQUIRE(health::get_probe(store, "db").state.circuit == Circuit::open);
  options.now = k_t0 + k_minute_ms;
  options.names = {"db"};
  health::reset_probe(store, "db"); // closed, so this run may go
  health::run_probes(store, options, [&](const health::ProbeSpec&, Millis) {
    health::reset_probe(store, "db"); // as another process would, mid-run
    return health::ProbeOutcome{ProbeResult::ok, "fine", 1, {}};
  });
  const auto probe = health::get_probe(store, "db");
  CHECK(probe.state.failures == 0);
  CHECK(probe.state.circuit == Circuit::closed);
  CHECK(probe.state.last_result == ProbeResult::ok);
}
