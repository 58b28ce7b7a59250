// analyze on synthetic weeks (scenario.hpp): each injected incident shows up
// in the right section with the right component, metric and time, and a calm
// week raises nothing. Then the pieces: buckets, anomalies, uptime, the
// documents and their byte budget.

#include <health/analyze.hpp>
#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/issues.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>

#include "scenario.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

using health::k_hour_ms;
using health::k_minute_ms;
using health::Millis;
using nlohmann::json;

namespace {

constexpr Millis k_now = 1795521600000; // 2026-11-24T12:00:00Z

struct Week : test::StoreFixture {
  Millis now = k_now;

  explicit Week(const char* kind, unsigned seed = 7, Millis at = k_now) : now(at) {
    test::ingest_scenario(store, kind, seed, now);
  }

  health::Analysis analyze(std::vector<std::string> components = {}) {
    health::AnalyzeOptions options;
    options.now = now;
    options.components = std::move(components);
    return health::analyze(store, options);
  }
};

std::string name_of(const health::SeriesInfo& s) { return s.component + "/" + s.name; }

// Ingests `csv` (export's columns) into `f`, with `k_now` as the clock.
void ingest_csv(test::StoreFixture& f, const std::string& csv) {
  std::istringstream in(csv);
  health::IngestOptions options;
  options.format = health::IngestFormat::csv;
  options.default_node = "web1";
  options.now = k_now;
  health::ingest(&f.store, {{"test.csv", &in}}, options);
}

health::Analysis analyze_at_now(test::StoreFixture& f) {
  health::AnalyzeOptions options;
  options.now = k_now;
  return health::analyze(f.store, options);
}

std::int64_t report(test::StoreFixture& f, health::IssueKey key, health::Severity severity, Millis at) {
  health::IssueReport r;
  r.key = std::move(key);
  r.severity = severity;
  r.reason = "slow";
  r.actor = "test";
  r.at = at;
  return health::report_issue(f.store, r).issue.id;
}

// The findings of `a`, one per line, for a failing check to show.
std::string findings(const health::Analysis& a) {
  std::string out;
  for (const auto& f : a.anomalies)
    out += std::string(health::to_string(f.kind)) + " " + name_of(f.series) + " " + health::format_time(f.at) + ".." +
           health::format_time(f.until) + " value " + std::to_string(f.value) + " expected " +
           std::to_string(f.expected) + " score " + std::to_string(f.score) + " against " +
           std::string(health::to_string(f.reference)) + "\n";
  return out;
}

std::vector<std::string> trending(const health::Analysis& a) {
  std::vector<std::string> out;
  for (const auto& s : a.series)
    if (s.trend.direction != health::TrendDirection::stable) out.push_back(name_of(s.series));
  return out;
}

} // namespace

TEST_CASE("analyze: a calm week raises no anomaly, no stale series and no trend", "[analyze]") {
  for (const unsigned seed : {1u, 2u, 3u}) {
    Week week("calm", seed);
    const auto a = week.analyze();
    INFO("seed " << seed);
    INFO(findings(a));
    CHECK(a.series.size() == 6);
    CHECK(a.anomalies.empty());
    CHECK(a.stale.empty());
    CHECK(trending(a).empty());
    CHECK(a.active_issues.empty());
    // No evidence, no advice: only the missing backup speaks.
    REQUIRE(a.actions.size() == 1);
    CHECK(a.actions[0].because == "no successful backup on record");
  }
}

TEST_CASE("analyze: a daily cycle the baseline holds is neither a trend nor an anomaly", "[analyze]") {
  // Whatever the time of day, the last 24 hours rise or fall with the cycle
  // like every day before them.
  for (const Millis hour : {0, 3, 6, 9, 12, 15, 18, 21}) {
    Week week("daily", 5, k_now + hour * k_hour_ms);
    const auto a = week.analyze();
    INFO("now at " << health::format_time(week.now));
    INFO(findings(a));
    CHECK(a.anomalies.empty());
    CHECK(trending(a).empty());
    CHECK(a.stale.empty());
  }
}

TEST_CASE("analyze: a 20-minute latency spike is one anomaly at its time", "[analyze]") {
  Week week("spike");
  const auto a = week.analyze();
  REQUIRE(a.anomalies.size() == 1);
  const auto& spike = a.anomalies[0];
  CHECK(name_of(spike.series) == "api/latency_ms");
  CHECK(spike.score > 6);
  CHECK(spike.value > 4 * spike.expected);
  const Millis start = k_now - test::k_spike_at;
  CHECK(spike.at >= start - spike.step_ms);
  CHECK(spike.at <= start);
  CHECK(spike.until >= start + test::k_spike_ms);
  CHECK(spike.until <= start + test::k_spike_ms + spike.step_ms);
  CHECK(a.stale.empty());
  CHECK(trending(a).empty());
  REQUIRE_FALSE(a.actions.empty());
  CHECK(a.actions[0].because == "anomaly api/latency_ms at " + health::format_time(spike.at));
}

TEST_CASE("analyze: an error-rate step up is an anomaly from the step on", "[analyze]") {
  Week week("errors");
  const auto a = week.analyze();
  REQUIRE_FALSE(a.anomalies.empty());
  for (const auto& anomaly : a.anomalies) CHECK(name_of(anomaly.series) == "api/errors");
  const auto first = std::min_element(a.anomalies.begin(), a.anomalies.end(),
                                      [](const auto& x, const auto& y) { return x.at < y.at; });
  CHECK(std::abs(first->at - (k_now - test::k_errors_at)) <= first->step_ms);
  CHECK(first->score > 0);
  CHECK(a.stale.empty());
  const auto errors = std::find_if(a.series.begin(), a.series.end(),
                                   [](const auto& s) { return s.series.name == "errors"; });
  REQUIRE(errors != a.series.end());
  REQUIRE(errors->change_pct);
  CHECK(*errors->change_pct > 100); // a third of the day at ten times the rate
}

TEST_CASE("analyze: a slow memory leak over the day is an upward trend", "[analyze]") {
  Week week("leak");
  const auto a = week.analyze();
  CHECK(trending(a) == std::vector<std::string>{"app/memory_bytes"});
  const auto memory = std::find_if(a.series.begin(), a.series.end(),
                                   [](const auto& s) { return s.series.name == "memory_bytes"; });
  REQUIRE(memory != a.series.end());
  CHECK(memory->trend.direction == health::TrendDirection::upward);
  CHECK(memory->trend.strength > 0.9);
  CHECK(memory->trend.change_pct == Approx(40).margin(8)); // 100 MB over a mean of 250 MB
  CHECK(memory->trend.slope_per_hour == Approx(100e6 / 24).epsilon(0.1));
  const auto watch = std::find_if(a.actions.begin(), a.actions.end(),
                                  [](const auto& action) { return action.because == "trend app/memory_bytes"; });
  REQUIRE(watch != a.actions.end());
  CHECK_THAT(watch->text, Catch::Matches("Watch app/memory_bytes: rising [0-9]+% over the window"));
  CHECK(a.stale.empty());
  for (const auto& anomaly : a.anomalies) CHECK(name_of(anomaly.series) == "app/memory_bytes");
}

TEST_CASE("analyze: a reporter that stops is stale from its last sample", "[analyze]") {
  Week week("stop");
  const auto a = week.analyze();
  REQUIRE(a.stale.size() == 1);
  CHECK(name_of(a.stale[0].series) == "worker/heartbeat");
  CHECK(std::abs(a.stale[0].last_seen - (k_now - test::k_stop_at)) <= k_minute_ms);
  CHECK(a.stale[0].expected_interval == Approx(k_minute_ms).margin(100));
  CHECK(a.anomalies.empty());
  REQUIRE_FALSE(a.actions.empty());
  CHECK(a.actions[0].because == "stale worker/heartbeat");
}

TEST_CASE("analyze: a counter that stops is stale and a dropout, with one action", "[analyze]") {
  test::StoreFixture f;
  const health::SeriesSpec spec{{"web1", "jobs", "done", {}}, health::MetricType::counter, ""};
  const Millis stop = k_now - 3 * k_hour_ms;
  std::vector<health::Recording> recordings;
  for (Millis t = k_now - 8 * health::k_day_ms; t < stop; t += k_minute_ms) recordings.push_back({spec, {t, 2, ""}});
  health::record(f.store, recordings);
  const auto a = analyze_at_now(f);
  REQUIRE(a.stale.size() == 1);
  REQUIRE(a.anomalies.size() == 1);
  CHECK(a.anomalies[0].kind == health::FindingKind::dropout);
  CHECK(a.anomalies[0].at == stop);
  CHECK(a.anomalies[0].until == k_now);
  const auto about = std::count_if(a.actions.begin(), a.actions.end(), [](const auto& action) {
    return action.because.find("jobs/done") != std::string::npos;
  });
  CHECK(about == 1);
  CHECK(a.actions[0].because == "stale jobs/done");
}

TEST_CASE("analyze: a window that ends in the past sees what was true then", "[analyze]") {
  Week week("stop");
  // The heartbeat stops k_stop_at before now: an hour before that it was
  // alive, so a window ending then finds nothing stale.
  week.now = k_now - test::k_stop_at - k_hour_ms;
  const auto before = week.analyze();
  CHECK(before.window.until == week.now);
  CHECK(before.stale.empty());
  week.now = k_now;
  REQUIRE(week.analyze().stale.size() == 1);

  // An issue opened in the window and resolved after it: open, and the
  // status critical, as of the window's end; resolved as of now.
  const Millis opened = k_now - 6 * k_hour_ms, resolved = k_now - k_hour_ms;
  const auto id = report(week, {"worker", "heartbeat", {}}, health::Severity::critical, opened);
  health::resolve_issue(week.store, id, "back", "test", resolved);
  week.now = resolved - k_minute_ms;
  const auto then = week.analyze();
  REQUIRE(then.active_issues.size() == 1);
  CHECK(then.active_issues[0].events.size() == 1);
  CHECK(then.recently_resolved.empty());
  CHECK(then.status.status == health::HealthStatus::critical);
  week.now = k_now;
  const auto after = week.analyze();
  CHECK(after.active_issues.empty());
  CHECK(after.recently_resolved.size() == 1);
  CHECK(after.status.status == health::HealthStatus::healthy);
}

TEST_CASE("analyze: every incident at once, each in its section", "[analyze]") {
  Week week("all");
  const auto a = week.analyze();
  std::set<std::string> anomalous;
  for (const auto& anomaly : a.anomalies) anomalous.insert(name_of(anomaly.series));
  CHECK(anomalous.count("api/latency_ms") == 1);
  CHECK(anomalous.count("api/errors") == 1);
  CHECK(anomalous.count("db/connections") == 0);
  CHECK(anomalous.count("api/requests") == 0);
  REQUIRE(a.stale.size() == 1);
  CHECK(name_of(a.stale[0].series) == "worker/heartbeat");
  const auto trends = trending(a);
  CHECK(std::count(trends.begin(), trends.end(), "app/memory_bytes") == 1);
}

TEST_CASE("analyze: -c keeps the named components and refuses an unknown one", "[analyze]") {
  Week week("all");
  const auto a = week.analyze({"worker"});
  REQUIRE(a.series.size() == 1);
  CHECK(a.series[0].series.component == "worker");
  CHECK(a.anomalies.empty());
  CHECK(a.stale.size() == 1);
  REQUIRE(a.status.components.size() == 1);
  try {
    week.analyze({"nope"});
    FAIL("an unknown component was accepted");
  } catch (const health::Error& e) {
    CHECK(e.kind() == health::ErrorKind::not_found);
    CHECK(std::string(e.what()) == "no component 'nope' in the database");
  }
}

TEST_CASE("analyze: counter buckets are rates with empty buckets as zero", "[analyze]") {
  health::Bucketer counter(health::MetricType::counter, 10'000, {0, 35'000});
  counter.add(1'000, 5);
  counter.add(2'000, 5);
  counter.add(35'000, 20);
  const auto buckets = counter.finish();
  REQUIRE(buckets.size() == 4);
  CHECK(buckets[0].value == 1.0); // 10 in 10 s
  CHECK(buckets[1].count == 0);
  CHECK(buckets[1].value == 0);
  CHECK(buckets[2].value == 0);
  CHECK(buckets[3].at == 30'000);
  CHECK(buckets[3].value == 4.0); // 20 in the 5 s of the bucket inside the range

  health::Bucketer timer(health::MetricType::timer, 10'000, {-10'000, 0});
  for (int i = 1; i <= 20; ++i) timer.add(-5'000, i); // before the epoch: the bucket from -10 s
  const auto t = timer.finish();
  REQUIRE(t.size() == 1);
  CHECK(t[0].at == -10'000);
  CHECK(t[0].value == Approx(19.05)); // p95 of 1..20
  CHECK(t[0].avg == 10.5);
}

TEST_CASE("analyze: anomalies need a far, material and unusual value", "[analyze]") {
  health::SeriesInfo series;
  series.type = health::MetricType::gauge;
  const auto buckets = [](std::vector<double> values, Millis origin) {
    std::vector<health::Bucket> out;
    for (std::size_t i = 0; i < values.size(); ++i) {
      health::Bucket b;
      b.at = origin + static_cast<Millis>(i) * 1000;
      b.value = values[i];
      b.count = 1;
      out.push_back(b);
    }
    return out;
  };
  std::vector<double> baseline;
  for (int i = 0; i < 200; ++i) baseline.push_back(100 + (i % 7) - 3); // 97..103
  SECTION("a spike of two buckets is one anomaly") {
    const auto found = health::find_anomalies(series, buckets(baseline, -200'000),
                                              buckets({100, 101, 180, 190, 99, 100}, 0), 1000);
    REQUIRE(found.size() == 1);
    CHECK(found[0].at == 2000);
    CHECK(found[0].until == 4000);
    CHECK(found[0].buckets == 2);
    CHECK(found[0].value == 190);
    CHECK(found[0].expected == 100);
    CHECK(found[0].score > 6);
  }
  SECTION("a drop is found below") {
    const auto found = health::find_anomalies(series, buckets(baseline, -200'000), buckets({100, 20, 100}, 0), 1000);
    REQUIRE(found.size() == 1);
    CHECK(found[0].score < 0);
  }
  SECTION("values the baseline knows are not anomalies") {
    CHECK(health::find_anomalies(series, buckets(baseline, -200'000), buckets({97, 103, 100, 98}, 0), 1000).empty());
  }
  SECTION("a change under 20% of the median is not material") {
    std::vector<double> flat(100, 1000.0);
    CHECK(health::find_anomalies(series, buckets(flat, -100'000), buckets({1100, 1150}, 0), 1000).empty());
    CHECK(health::find_anomalies(series, buckets(flat, -100'000), buckets({1300}, 0), 1000).size() == 1);
  }
  SECTION("without a baseline the series is judged against its own window") {
    std::vector<double> window(100, 50.0);
    window[40] = 500;
    const auto found = health::find_anomalies(series, {}, buckets(window, 0), 1000);
    REQUIRE(found.size() == 1);
    CHECK(found[0].at == 40'000);
    CHECK(health::find_anomalies(series, {}, buckets({50, 500}, 0), 1000).empty()); // too little to judge
  }
}

TEST_CASE("analyze: uptime, incidents, MTTR and MTBF from the issue history", "[analyze]") {
  test::StoreFixture f;
  health::record(f.store, {{"web1", "db", "query_ms", {}}, health::MetricType::timer, "ms"}, {k_now - k_hour_ms, 5, ""});
  const auto report = [&](health::Severity severity, Millis at, const char* metric) {
    health::IssueReport r;
    r.key = {"db", metric, {}};
    r.severity = severity;
    r.reason = "slow";
    r.actor = "test";
    r.at = at;
    return health::report_issue(f.store, r).issue.id;
  };
  const Millis since = k_now - 24 * k_hour_ms;
  // Critical for 2 hours, then resolved.
  const auto first = report(health::Severity::critical, since + 2 * k_hour_ms, "query_ms");
  health::resolve_issue(f.store, first, "", "test", since + 4 * k_hour_ms);
  // A warning for an hour, escalated to critical for an hour, resolved.
  const auto second = report(health::Severity::warning, since + 10 * k_hour_ms, "locks");
  health::escalate_issue(f.store, second, health::Severity::critical, "", "test", since + 11 * k_hour_ms);
  health::resolve_issue(f.store, second, "", "test", since + 12 * k_hour_ms);
  // Opened before the window and still open, warning only.
  report(health::Severity::warning, since - 5 * k_hour_ms, "disk");

  health::AnalyzeOptions options;
  options.now = k_now;
  const auto a = health::analyze(f.store, options);
  REQUIRE(a.uptime.size() == 1);
  const auto& u = a.uptime[0];
  CHECK(u.component == "db");
  CHECK(u.incidents == 3);
  CHECK(u.uptime_pct == Approx(100.0 * 21 / 24)); // 3 critical hours
  REQUIRE(u.mttr_minutes);
  CHECK(*u.mttr_minutes == Approx(120)); // both took 2 hours
  REQUIRE(u.mtbf_hours);
  CHECK(*u.mtbf_hours == Approx(7)); // 21 hours up over 3 incidents
  CHECK(a.recently_resolved.size() == 2);
  CHECK(a.active_issues.size() == 1);
  std::vector<std::string> kinds;
  for (const auto& change : a.recent_changes) kinds.push_back(change.kind);
  CHECK(kinds == std::vector<std::string>{"issue_opened", "issue_resolved", "issue_opened", "issue_escalated",
                                          "issue_resolved", "new_series"});
}

TEST_CASE("analyze: the json document has the keys of the design, in order", "[analyze]") {
  Week week("all");
  const auto doc = nlohmann::ordered_json::parse(health::analysis_document(week.analyze(), health::Format::json));
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"generated_at", "window", "baseline", "status", "issues", "components",
                                         "trends", "anomalies", "stale", "recent_changes", "backup_status", "uptime",
                                         "suggested_actions", "notes"});
  CHECK(doc["window"]["since"] == "2026-11-23T12:00:00.000Z");
  CHECK(doc["window"]["until"] == "2026-11-24T12:00:00.000Z");
  CHECK(doc["baseline"]["since"] == "2026-11-16T12:00:00.000Z");
  for (std::size_t i = 1; i < doc["anomalies"].size(); ++i) // strongest first
    CHECK(std::abs(doc["anomalies"][i - 1]["score"].get<double>()) >= std::abs(doc["anomalies"][i]["score"].get<double>()));
  for (const auto& anomaly : doc["anomalies"])
    for (const char* key : {"metric", "labels", "at", "value", "expected", "score", "direction"}) CHECK(anomaly.contains(key));
  CHECK(doc["stale"][0]["expected_interval"] == "1m");
  for (const auto& action : doc["suggested_actions"]) CHECK_FALSE(action["because"].get<std::string>().empty());
}

TEST_CASE("analyze: each finding in the json says its kind, reference and evidence", "[analyze]") {
  Week week("all");
  const auto doc = json::parse(health::analysis_document(week.analyze(), health::Format::json));
  std::set<std::string> kinds;
  for (const auto& finding : doc["anomalies"]) {
    INFO(finding.dump());
    kinds.insert(finding["kind"].get<std::string>());
    CHECK(finding["step"] == "1m"); // the scenario's one-minute samples
    CHECK(finding["compared_with"] == "the whole baseline");
    const bool change = finding["kind"] != "anomaly";
    CHECK(finding.contains("since") == change);
    if (!change) continue;
    CHECK(finding["since"] == finding["at"]);
    CHECK(finding["before"] == finding["expected"]);
    CHECK(finding["after"] == finding["value"]);
  }
  // The latency spike, and the errors' step up and the leak as shifts.
  CHECK(kinds == std::set<std::string>{"anomaly", "level_shift"});
}

TEST_CASE("analyze: --max-bytes keeps valid json, the strongest finding and says what went", "[analyze]") {
  Week week("all");
  const auto a = week.analyze();
  const auto full = health::analysis_document(a, health::Format::json);
  for (const std::size_t budget : {6000u, 3000u}) {
    INFO("budget " << budget);
    REQUIRE(full.size() > budget);
    const auto text = health::analysis_document(a, health::Format::json, budget);
    CHECK(text.size() <= budget);
    const auto doc = json::parse(text);
    REQUIRE(doc["anomalies"].size() >= 1);
    CHECK(doc["anomalies"][0] == json::parse(full)["anomalies"][0]);
    CHECK(doc["stale"].size() == 1);
    CHECK_THAT(doc["notes"].back().get<std::string>(), Catch::StartsWith("Left out to fit " + std::to_string(budget) + " bytes:"));
  }
  const auto tiny = health::analysis_document(a, health::Format::json, 100);
  const auto doc = json::parse(tiny); // still valid, though it cannot fit
  CHECK_THAT(doc["notes"].back().get<std::string>(), Catch::Contains("still larger: nothing more can go"));
  CHECK(health::analysis_document(a, health::Format::json, full.size()) == full);
}

TEST_CASE("analyze: the markdown brief mentions every finding", "[analyze]") {
  Week week("all");
  const auto a = week.analyze();
  const auto brief = health::analysis_document(a, health::Format::markdown);
  CHECK_THAT(brief, Catch::StartsWith("# Health brief: HEALTHY\n"));
  const std::map<health::FindingKind, std::string> words = {{health::FindingKind::anomaly, "Anomaly: "},
                                                            {health::FindingKind::level_shift, "Level shift: "},
                                                            {health::FindingKind::flatline, "Flatline: "},
                                                            {health::FindingKind::dropout, "Dropout: "}};
  std::set<health::FindingKind> kinds;
  for (const auto& anomaly : a.anomalies) {
    kinds.insert(anomaly.kind);
    CHECK_THAT(brief, Catch::Contains(words.at(anomaly.kind) + name_of(anomaly.series)) &&
                          Catch::Contains(health::format_time(anomaly.at)));
  }
  CHECK(kinds.size() >= 2); // the latency spike and the errors' level shift at least
  CHECK_THAT(brief, Catch::Contains("Stale: worker/heartbeat last seen"));
  CHECK_THAT(brief, Catch::Contains("Trend: app/memory_bytes upward +"));
  for (const auto& action : a.actions) CHECK_THAT(brief, Catch::Contains(action.text));
  const auto order = [&](const char* heading) { return brief.find(heading); };
  CHECK(order("## What is wrong") < order("## What changed"));
  CHECK(order("## What changed") < order("## Suggested actions"));
  CHECK(order("## Suggested actions") < order("## Evidence"));
}

TEST_CASE("analyze: a counter born in the baseline is compared by its rate while it existed", "[analyze]") {
  test::StoreFixture f;
  const health::SeriesSpec spec{{"web1", "web", "requests", {}}, health::MetricType::counter, ""};
  for (Millis t = k_now - 2 * health::k_day_ms; t < k_now; t += k_minute_ms) health::record(f.store, spec, {t, 60, ""});
  health::AnalyzeOptions options;
  options.now = k_now;
  const auto a = health::analyze(f.store, options);
  REQUIRE(a.series.size() == 1);
  REQUIRE(a.series[0].baseline);
  CHECK(a.series[0].baseline->rate_per_s == Approx(1.0));
  CHECK(a.series[0].current.rate_per_s == Approx(1.0));
  REQUIRE(a.series[0].change_pct);
  CHECK(std::abs(*a.series[0].change_pct) < 0.1);
}

TEST_CASE("analyze: a counter born a moment ago has a rate over one bucket, not over that moment", "[analyze]") {
  test::StoreFixture f;
  health::record(f.store, {{"web1", "web", "requests", {}}, health::MetricType::counter, ""}, {k_now - 50, 3, ""});
  health::AnalyzeOptions options;
  options.now = k_now;
  const auto a = health::analyze(f.store, options);
  REQUIRE(a.series.size() == 1);
  CHECK(a.series[0].current.rate_per_s == Approx(3.0 / (static_cast<double>(a.series[0].step_ms) / 1000.0)));
  CHECK_FALSE(a.series[0].change_pct);
}

TEST_CASE("analyze: with series of two nodes every view names the node of each series", "[analyze]") {
  test::StoreFixture f;
  // api/requests from web1 and web2 every minute for two days; web2 stopped 3 hours ago.
  std::string csv = "ts_ms,node,component,name,type,unit,value\n";
  for (Millis t = k_now - 2 * health::k_day_ms; t < k_now; t += k_minute_ms) {
    csv += std::to_string(t) + ",web1,api,requests,counter,,60\n";
    if (t < k_now - 3 * k_hour_ms) csv += std::to_string(t) + ",web2,api,requests,counter,,60\n";
  }
  ingest_csv(f, csv);
  const auto id = report(f, {"api", "requests", {}}, health::Severity::warning, k_now - 4 * k_hour_ms);
  const auto a = analyze_at_now(f);
  const auto doc = json::parse(health::analysis_document(a, health::Format::json));
  REQUIRE(doc["stale"].size() == 1);
  CHECK(doc["stale"][0]["node"] == "web2");

  const auto brief = health::analysis_document(a, health::Format::markdown);
  CHECK_THAT(brief, Catch::Contains("| api/requests@web1 |") && Catch::Contains("| api/requests@web2 |"));
  CHECK_THAT(brief, Catch::Contains("- Stale: api/requests@web2 last seen"));
  CHECK_THAT(brief, Catch::Contains("Check that whatever reports api/requests@web2 still runs"));
  CHECK_THAT(brief, Catch::Contains("issue 1 api/requests: slow")); // an issue belongs to no node
  for (const auto& text : {health::trends_document(a, health::Format::markdown),
                           health::compare_document(a, health::Format::markdown)})
    CHECK_THAT(text, Catch::Contains("| api/requests@web1 |") && Catch::Contains("| api/requests@web2 |"));
  const auto incident = health::incident_document(f.store, id, k_now, health::Format::markdown);
  CHECK_THAT(incident, Catch::Contains("### api/requests@web1 (") && Catch::Contains("### api/requests@web2 ("));
}

TEST_CASE("analyze: with series of one node no view names the node", "[analyze]") {
  test::StoreFixture f;
  std::string csv = "ts_ms,node,component,name,type,unit,value\n";
  for (Millis t = k_now - 2 * health::k_day_ms; t < k_now - 3 * k_hour_ms; t += k_minute_ms)
    csv += std::to_string(t) + ",web1,api,requests,counter,,60\n";
  ingest_csv(f, csv);
  const auto a = analyze_at_now(f);
  const auto brief = health::analysis_document(a, health::Format::markdown);
  CHECK_THAT(brief, Catch::Contains("- Stale: api/requests last seen"));
  CHECK_THAT(brief, !Catch::Contains("@web1"));
  CHECK_THAT(health::trends_document(a, health::Format::markdown), !Catch::Contains("@web1"));
}

TEST_CASE("analyze: the brief dates a resolved issue by its resolution and an acknowledged one by its opening", "[analyze]") {
  test::StoreFixture f;
  ingest_csv(f, "ts_ms,component,name,type,unit,value\n" + std::to_string(k_now - k_hour_ms) + ",db,query_ms,timer,ms,5\n");
  const auto resolved = report(f, {"db", "query_ms", {}}, health::Severity::critical, k_now - 5 * k_hour_ms);
  health::resolve_issue(f.store, resolved, "", "test", k_now - 2 * k_hour_ms);
  const auto acknowledged = report(f, {"db", "locks", {}}, health::Severity::warning, k_now - 4 * k_hour_ms);
  health::acknowledge_issue(f.store, acknowledged, "", "test", k_now - k_hour_ms);
  const auto brief = health::analysis_document(analyze_at_now(f), health::Format::markdown);
  CHECK_THAT(brief, Catch::Contains("issue 1 db/query_ms: slow (resolved at " +
                                    health::format_time(k_now - 2 * k_hour_ms) + " after 180 min)"));
  CHECK_THAT(brief, Catch::Contains("issue 2 db/locks: slow (acknowledged, open since " +
                                    health::format_time(k_now - 4 * k_hour_ms) + ", 240 min)"));
  CHECK_THAT(brief, !Catch::Contains("resolved since") && !Catch::Contains("acknowledged since"));
  const auto incident = health::incident_document(f.store, resolved, k_now, health::Format::markdown);
  CHECK_THAT(incident, Catch::Contains("(resolved at " + health::format_time(k_now - 2 * k_hour_ms) + " after 180 min)"));
}

TEST_CASE("analyze: a series' status comes from its own open issues, not from its component's", "[analyze]") {
  test::StoreFixture f;
  const auto at = std::to_string(k_now - k_hour_ms);
  ingest_csv(f, "ts_ms,component,name,labels,type,unit,value\n" + at + ",db,query_ms,,timer,ms,5\n" + at +
                    ",db,connections,,gauge,,17\n" + at + ",api,latency_ms,route=/api,timer,ms,80\n" + at +
                    ",api,latency_ms,route=/health,timer,ms,2\n");
  report(f, {"db", "query_ms", {}}, health::Severity::critical, k_now - k_hour_ms);
  report(f, {"api", "latency_ms", {{"route", "/api"}}}, health::Severity::warning, k_now - k_hour_ms);
  const auto a = analyze_at_now(f);
  const auto doc = json::parse(health::analysis_document(a, health::Format::json));
  std::map<std::string, std::string> status;
  for (const auto& component : doc["components"])
    for (const auto& s : component["series"])
      status[component["component"].get<std::string>() + "/" + s["metric"].get<std::string>() +
             s["labels"].value("route", "")] = s.value("status", "(none)");
  CHECK(status == std::map<std::string, std::string>{{"api/latency_ms/api", "degraded"},
                                                     {"api/latency_ms/health", "healthy"},
                                                     {"db/connections", "healthy"},
                                                     {"db/query_ms", "critical"}});
  CHECK(doc["components"][1]["status"] == "critical"); // db, the component
  const auto brief = health::analysis_document(a, health::Format::markdown);
  CHECK_THAT(brief, Catch::Contains("| db/connections | healthy |") && Catch::Contains("| db/query_ms | critical |"));
  CHECK_THAT(brief, Catch::Contains("| api/latency_ms{route=/api} | degraded |") &&
                        Catch::Contains("| api/latency_ms{route=/health} | healthy |"));
}

TEST_CASE("analyze: --max-bytes leaves out active issues and stale series only when nothing lesser is left", "[analyze]") {
  Week week("all");
  report(week, {"app", "memory_bytes", {}}, health::Severity::critical, week.now - k_hour_ms);
  report(week, {"api", "errors", {}}, health::Severity::warning, week.now - k_hour_ms);
  const auto a = week.analyze();
  const auto full = health::analysis_document(a, health::Format::json);
  REQUIRE(a.active_issues.size() == 2);
  REQUIRE(a.stale.size() == 1);
  std::size_t checked = 0;
  for (std::size_t budget = 300; budget < full.size(); budget += 100) {
    INFO("budget " << budget);
    const auto doc = json::parse(health::analysis_document(a, health::Format::json, budget));
    const bool active_kept = doc["issues"]["active"].size() == 2;
    if (active_kept && doc["stale"].size() == 1) continue;
    ++checked;
    if (!active_kept) CHECK(doc["stale"].empty()); // stale series go first
    for (const char* key : {"components", "trends", "anomalies", "recent_changes", "uptime", "suggested_actions"})
      CHECK(doc[key].empty());
    CHECK(doc["issues"]["recently_resolved"].empty());
    CHECK(doc["status"]["no_data"].empty());
    for (const auto& [name, component] : doc["status"]["components"].items()) {
      CHECK(component["status"] != "healthy");
      CHECK_FALSE(component.contains("issues"));
    }
    CHECK(doc["notes"].size() == 1); // only what was left out
  }
  CHECK(checked > 0);

  // The brief keeps them as long, and says nothing false of what it left out.
  const auto brief_at = [&](std::size_t budget) { return health::analysis_document(a, health::Format::markdown, budget); };
  const auto kept = [](const std::string& brief) {
    return brief.find("**critical** issue 1 app/memory_bytes") != std::string::npos &&
           brief.find("**warning** issue 2 api/errors") != std::string::npos &&
           brief.find("- Stale: worker/heartbeat") != std::string::npos;
  };
  const auto lesser = [](const std::string& brief) {
    return brief.find("- Anomaly:") != std::string::npos || brief.find("- Trend:") != std::string::npos ||
           brief.find("(because:") != std::string::npos || brief.find("| app/memory_bytes |") != std::string::npos;
  };
  const auto full_brief = brief_at(1 << 20);
  REQUIRE((kept(full_brief) && lesser(full_brief)));
  for (std::size_t budget = 300; budget < full_brief.size(); budget += 100) {
    INFO("budget " << budget);
    const auto brief = brief_at(budget);
    if (!kept(brief)) CHECK_FALSE(lesser(brief));
    CHECK_THAT(brief, Catch::Contains("2 active issues (1 critical)") &&
                          Catch::Contains(" listed (the notes say what was left out to fit the byte budget)."));
    CHECK_THAT(brief, !Catch::Contains("No active issues") && !Catch::Contains("nothing calls for action") &&
                          !Catch::Contains("Nothing: no anomalies"));
  }
  // The smallest budget that keeps them all has nothing lesser left.
  std::size_t low = 300;
  std::size_t high = full_brief.size();
  while (high - low > 1) {
    const auto middle = (low + high) / 2;
    (kept(brief_at(middle)) ? high : low) = middle;
  }
  INFO("smallest budget keeping them " << high);
  CHECK_FALSE(lesser(brief_at(high)));
}
