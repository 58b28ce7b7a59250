#include <health/analyze.hpp>
#include <health/issues.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>
#include <health/thresholds.hpp>

#include "csv.hpp"
#include "occurrences.hpp"
#include "scenario.hpp"
#include "store_fixture.hpp"
#include "xml_check.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>


using health::k_hour_ms;
using health::k_minute_ms;
using health::Millis;
using nlohmann::json;
using test::occurrences;

namespace {

constexpr Millis k_now = 1795521600000; // 2026-11-24T12:00:00Z

// A synthetic week with its findings (a spike, a level shift, a stale
// series), a threshold on api latency, a critical issue opened, escalated
// and resolved in the period and a warning still open.
struct ReportWeek : test::StoreFixture {
  ReportWeek() {
    test::ingest_scenario(store, "all", 7, k_now);

    health::Threshold t;
    t.key = {"api", "latency_ms", {}};
    t.agg = health::Agg::p95;
    t.warn = health::AlertRange::parse("150");
    t.crit = health::AlertRange::parse("1000");
    health::set_threshold(store, t);

    resolved_id = report({"api", "latency_ms", {}}, health::Severity::warning, k_now - 30 * k_hour_ms);
    report({"api", "latency_ms", {}}, health::Severity::critical, k_now - 29 * k_hour_ms);
    health::resolve_issue(store, resolved_id, "back to normal", "test", k_now - 28 * k_hour_ms);
    open_id = report({"db", "connections", {}}, health::Severity::warning, k_now - 2 * k_hour_ms);
  }

  std::int64_t report(health::IssueKey key, health::Severity severity, Millis at) {
    health::IssueReport r;
    r.key = std::move(key);
    r.severity = severity;
    r.reason = "slow <& \"odd\"";
    r.actor = "test";
    r.at = at;
    return health::report_issue(store, r).issue.id;
  }

  health::Analysis analysis() {
    health::AnalyzeOptions options;
    options.now = k_now;
    options.window_ms = health::k_week_ms;
    options.history = true;
    options.history_points = health::k_report_points;
    return health::analyze(store, options);
  }

  std::int64_t resolved_id = 0;
  std::int64_t open_id = 0;
};

// The week and its analysis, made once: the cases below only read them
// (each SECTION would otherwise ingest the week again).
ReportWeek& week_once() {
  static ReportWeek week;
  return week;
}

const health::Analysis& analysis_once() {
  static const health::Analysis a = week_once().analysis();
  return a;
}

std::string name_of(const health::SeriesInfo& s) { return s.component + "/" + s.name; }

} // namespace

TEST_CASE("report: the HTML is one well-formed, self-contained page with every series, issue, finding and action") {
  const auto& week = week_once();
  const auto& a = analysis_once();
  REQUIRE(a.series.size() == 6);
  REQUIRE(!a.anomalies.empty());
  REQUIRE(!a.actions.empty());
  const std::string html = health::render_report(a, health::Format::html);

  const auto xml = test::check_xml(html);
  INFO(html.substr(0, 2000));
  CHECK(xml.problems.empty());
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  SECTION("self-contained: no script, no link, nothing fetched") {
    for (const char* outside : {"http:", "https:", "//", "<script", "<link", "<img", "src=", "href=", "url(", "@import"}) {
      CAPTURE(outside);
      CHECK(html.find(outside) == std::string::npos);
    }
  }
  SECTION("a chart per series, each with its text alternative") {
    CHECK(occurrences(html, "<svg class=\"chart\"") == a.series.size());
    CHECK(xml.elements.at("desc") == static_cast<int>(a.series.size()));
    for (const auto& s : a.series) {
      CAPTURE(name_of(s.series));
      CHECK(html.find("<figure class=\"series\" id=\"s" + std::to_string(s.series.id) + "\">") != std::string::npos);
      CHECK(xml.text.find(name_of(s.series)) != std::string::npos);
    }
  }
  SECTION("counters are bars, the others lines") {
    CHECK(occurrences(html, "<g class=\"bars\">") == 2); // api/errors and api/requests
    CHECK(occurrences(html, "<path class=\"line\"") == 4);
  }
  SECTION("issues: in the timeline with every event, and shaded on their series' chart") {
    for (const auto id : {week.resolved_id, week.open_id})
      CHECK(xml.text.find("#" + std::to_string(id) + " ") != std::string::npos);
    for (const char* event : {">opened<", ">escalated<", ">resolved<"}) CHECK(html.find(event) != std::string::npos);
    CHECK(occurrences(html, "<g class=\"issue critical\">") == 1);
    CHECK(occurrences(html, "<g class=\"issue warning\">") == 1);
    CHECK(html.find("slow &lt;&amp; &quot;odd&quot;") != std::string::npos); // the reason, escaped
  }
  SECTION("findings marked on the charts and listed in words, actions with their evidence") {
    CHECK(occurrences(html, "<g class=\"finding ") == a.anomalies.size());
    for (const auto& action : a.actions) {
      CAPTURE(action.text);
      CHECK(xml.text.find(action.text) != std::string::npos);
      CHECK(xml.text.find("Because: " + action.because) != std::string::npos);
    }
  }
  SECTION("thresholds drawn as lines, status said in words, both colour schemes") {
    CHECK(xml.text.find("warn p95 150") != std::string::npos);
    CHECK(html.find("@media (prefers-color-scheme:dark)") != std::string::npos);
    CHECK(html.find("class=\"badge degraded\">\u25B2 DEGRADED</span>") != std::string::npos);
    for (const char* section : {"id=\"uptime\"", "id=\"actions\"", "id=\"timeline\"", "id=\"summary\""})
      CHECK(html.find(section) != std::string::npos);
  }
}

TEST_CASE("report: Markdown, CSV and JSON carry the same content") {
  const auto& week = week_once();
  const auto& a = analysis_once();
  SECTION("markdown: the brief with short sparklines and the issue timeline") {
    const auto md = health::render_report(a, health::Format::markdown);
    CHECK(md.rfind("# Health report: DEGRADED\n", 0) == 0);
    CHECK(md.find("\n## Issue timeline\n\n| at | issue | event | severity | detail |") != std::string::npos);
    CHECK(md.find("| #" + std::to_string(week.resolved_id) + " api latency_ms | escalated | critical |") !=
          std::string::npos);
    for (const auto& s : a.series) CHECK(md.find("| " + name_of(s.series) + " |") != std::string::npos);
    // Each history is at most 56 characters of sparkline: it fits a chat line.
    std::size_t histories = 0;
    std::istringstream lines(md);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("| " + std::string("api/"), 0) != 0 && line.rfind("| app/", 0) != 0 && line.rfind("| db/", 0) != 0 &&
          line.rfind("| worker/", 0) != 0)
        continue;
      const auto cell = line.substr(line.rfind(" | ", line.size() - 3) + 3);
      CAPTURE(line);
      CHECK(cell.size() <= 56 * 3 + 2); // block characters are 3 bytes in UTF-8
      histories += cell.find("\xE2\x96") != std::string::npos ? 1U : 0U; // a block character, U+2581 to U+2588
    }
    CHECK(histories == a.series.size());
  }
  SECTION("csv: one row per series with its figures") {
    const auto table = test::parse_csv(health::render_report(a, health::Format::csv));
    REQUIRE(table.size() == a.series.size() + 1);
    CHECK(table[0] == std::vector<std::string>{"component", "metric", "labels", "node", "type", "unit", "status",
                                               "count", "min", "avg", "p95", "max", "last", "rate_per_s",
                                               "baseline_avg", "change_pct", "trend", "findings", "issues"});
    for (std::size_t i = 1; i < table.size(); ++i) {
      CAPTURE(table[i][0], table[i][1]);
      CHECK(table[i][13].empty() == (table[i][4] != "counter")); // a rate for counters alone
    }
    const auto latency = std::find_if(table.begin(), table.end(), [](const auto& row) { return row[1] == "latency_ms"; });
    REQUIRE(latency != table.end());
    CHECK((*latency)[18] == "1");
  }
  SECTION("json: the analysis document with histories, thresholds and the timeline") {
    const auto doc = json::parse(health::render_report(a, health::Format::json));
    CHECK(doc["history_step"] == "1h");
    CHECK(doc["components"][0]["series"][0]["history"].size() == 168);
    CHECK(doc["thresholds"][0]["warn"] == "150");
    CHECK(doc["timeline"].size() == 4); // opened, escalated, resolved; opened
    CHECK(doc["timeline"][1]["kind"] == "escalated");
    CHECK(doc["suggested_actions"].size() == a.actions.size());
  }
  CHECK_THROWS_WITH(health::render_report(a, health::Format::table), Catch::Contains("table"));
}

TEST_CASE("report: hostile names are escaped, an empty file still makes a page") {
  test::StoreFixture f;
  SECTION("a label value with markup") {
    health::SeriesSpec spec;
    spec.key.node = "web1";
    spec.key.component = "web";
    spec.key.name = "hits";
    spec.key.labels = {{"path", "</title><script>alert(1)</script>"}};
    health::record(f.store, spec, {k_now - k_minute_ms, 1, ""}, health::AllowFuture::yes);
    health::AnalyzeOptions options;
    options.now = k_now;
    options.history = true;
    const std::string html = health::render_report(health::analyze(f.store, options), health::Format::html);
    CHECK(test::check_xml(html).problems.empty());
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  }
  SECTION("no series at all") {
    health::AnalyzeOptions options;
    options.now = k_now;
    options.history = true;
    const std::string html = health::render_report(health::analyze(f.store, options), health::Format::html);
    CHECK(test::check_xml(html).problems.empty());
    CHECK(html.find("No issue was open in the period.") != std::string::npos);
    CHECK(html.find("<svg") == std::string::npos);
  }
}

TEST_CASE("report: the page of 50 series with a week of hourly buckets each stays under 1 MB") {
  health::Analysis a;
  a.generated_at = k_now;
  a.window = {k_now - health::k_week_ms, k_now};
  a.baseline = {a.window.since - health::k_week_ms, a.window.since};
  a.history_step_ms = health::step_for_points(health::k_week_ms, health::k_report_points);
  for (int i = 0; i < 50; ++i) {
    health::SeriesAnalysis s;
    s.series.id = i + 1;
    s.series.component = "component" + std::to_string(i % 5);
    s.series.name = "metric_with_a_long_name_" + std::to_string(i);
    s.series.type = i % 3 == 0 ? health::MetricType::counter : health::MetricType::timer;
    s.current.count = 10080;
    for (Millis at = a.window.since; at < a.window.until; at += a.history_step_ms) {
      const double v = 1000.0 + static_cast<double>((at / a.history_step_ms) % 97) * 13.37;
      s.history.push_back({at, 60, v * 0.5, v * 1.5, v, v * 1.2, v, false});
    }
    a.series.push_back(std::move(s));
  }
  for (int i = 0; i < 5; ++i) a.status.components.push_back({"component" + std::to_string(i), {}, {}});
  const std::string html = health::render_report(a, health::Format::html);
  CHECK(occurrences(html, "<svg class=\"chart\"") == 50);
  CHECK(html.size() < 1000000);
}

TEST_CASE("report: thresholds drawn on the chart's scale, the others said in words") {
  test::StoreFixture f;
  health::SeriesSpec spec;
  spec.key = {"web1", "api", "requests", {}};
  for (int minute = 1; minute <= 120; ++minute)
    health::record(f.store, spec, {k_now - minute * k_minute_ms, 2, ""}, health::AllowFuture::yes);
  spec.key.name = "load";
  spec.type = health::MetricType::gauge;
  for (int minute = 1; minute <= 120; ++minute)
    health::record(f.store, spec, {k_now - minute * k_minute_ms, 0.1, ""}, health::AllowFuture::yes);
  const auto threshold = [&](const char* metric, health::Agg agg, const char* crit) {
    health::Threshold t;
    t.key = {"api", metric, {}};
    t.agg = agg;
    t.window_ms = k_minute_ms;
    t.crit = health::AlertRange::parse(crit);
    health::set_threshold(f.store, t);
  };
  threshold("requests", health::Agg::sum, "~:3");  // 3 a minute: 0.05/s on the rate axis
  threshold("load", health::Agg::count, "~:100");   // a count: no place on the load axis
  health::AnalyzeOptions options;
  options.now = k_now;
  options.window_ms = 2 * health::k_hour_ms;
  options.history = true;
  options.history_points = health::k_report_points;
  const auto a = health::analyze(f.store, options);
  const std::string html = health::render_report(a, health::Format::html);
  INFO(html);
  CHECK(test::check_xml(html).problems.empty());
  CHECK(html.find(">crit sum 3 per 1m</text>") != std::string::npos);
  CHECK(html.find("<li>Threshold crit count 100 (over 1m): not on this chart&#39;s scale, which shows the average.</li>") !=
        std::string::npos);
  CHECK(html.find("0 threshold lines, 0 issues, ") != std::string::npos);
  CHECK(html.find("(1 threshold bound said below).") != std::string::npos);
  // A gauge that always holds 0.1 (averages a bit apart in the last digit) draws, and quickly.
  CHECK(html.find("lowest 0.1, highest 0.1, last 0.1") != std::string::npos);

  threshold("load", health::Agg::avg, "~:1000000000000");
  const std::string far_html = health::render_report(health::analyze(f.store, options), health::Format::html);
  CHECK(far_html.find("<li>Threshold crit avg 1000000000000: off the chart, far above its values.</li>") !=
        std::string::npos);
}
