#include "render/chart.hpp"

#include "occurrences.hpp"
#include "xml_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using health::k_day_ms;
using health::k_hour_ms;
using health::k_minute_ms;
using health::Millis;
namespace chart = health::chart;
using test::occurrences;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

chart::Chart a_chart() {
  chart::Chart c;
  c.id = "s1";
  c.title = "p95 of web/latency <ms> & more";
  c.description = "a line \"quoted\"";
  c.unit = "ms";
  c.range = {k_t0, k_t0 + k_day_ms};
  c.step = k_hour_ms;
  for (int h = 0; h < 24; ++h) {
    if (h == 10 || h == 11) continue; // a gap
    const double v = 100 + h;
    c.points.push_back({k_t0 + h * k_hour_ms, v, v - 10, v + 20});
  }
  c.rules = {{150, "warn p95 150", "warn"}, {1e6, "crit p95 1000000", "crit"}};
  c.issues = {{k_t0 + 5 * k_hour_ms, k_t0 + 7 * k_hour_ms, "#3", "issue #3 critical: slow", "critical"}};
  c.findings = {{k_t0 + 20 * k_hour_ms, k_t0 + 21 * k_hour_ms, "F1", "F1: Anomaly", "anomaly"}};
  return c;
}

} // namespace

TEST_CASE("chart: escaping makes text safe in elements and quoted attributes") {
  CHECK(chart::escaped("<a href=\"x\">Tom & 'Jerry'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  CHECK(chart::escaped("plain ü") == "plain ü");
}

TEST_CASE("chart: a scale maps its domain linearly, inverted ranges too, and an empty domain to the middle") {
  const chart::Scale y{0, 100, 200, 0};
  CHECK(y(0) == 200);
  CHECK(y(100) == 0);
  CHECK(y(25) == 150);
  CHECK(chart::Scale{5, 5, 0, 10}(5) == 5);
}

TEST_CASE("chart: value ticks are round steps covering the values") {
  SECTION("0 to 97 in at most 4 steps: 0, 50, 100") {
    const auto t = chart::nice_ticks(0, 97, 4);
    CHECK(t.step == 50);
    CHECK(t.values == std::vector<double>{0, 50, 100});
  }
  SECTION("-3 to 3: steps of 2") {
    CHECK(chart::nice_ticks(-3, 3, 4).values == std::vector<double>{-4, -2, 0, 2, 4});
  }
  SECTION("a single value is widened so there are ticks around it") {
    const auto t = chart::nice_ticks(5, 5, 4);
    CHECK(t.values.front() < 5);
    CHECK(t.values.back() > 5);
    CHECK(chart::nice_ticks(0, 0, 4).values == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  }
  SECTION("values equal but for float noise, and the largest doubles, still give a few ticks") {
    const auto noise = chart::nice_ticks(0.1, 0.1 + 2e-17, 4);
    CHECK(noise.values.size() <= 5);
    CHECK(noise.values.front() < 0.1);
    for (const auto& [lo, hi] : {std::pair{1.7e308, 1.7e308}, std::pair{-1e308, 1e308},
                                 std::pair{-std::numeric_limits<double>::infinity(), 1.0}}) {
      const auto t = chart::nice_ticks(lo, hi, 4);
      CAPTURE(lo, hi);
      REQUIRE(t.values.size() >= 2);
      CHECK(t.values.size() <= 5);
      for (const double v : t.values) CHECK(std::isfinite(v));
    }
  }
  SECTION("any range: the first tick at or below, the last at or above, never more than asked") {
    for (const auto& [lo, hi] : {std::pair{0.001, 0.0137}, std::pair{-250.0, 1e9}, std::pair{99.5, 100.5},
                                 std::pair{3e-7, 4e-7}, std::pair{-1e6, -999.0}}) {
      const auto t = chart::nice_ticks(lo, hi, 4);
      CAPTURE(lo, hi, t.step);
      CHECK(t.values.front() <= lo);
      CHECK(t.values.back() >= hi);
      CHECK(t.values.size() >= 2);
      CHECK(t.values.size() <= 5);
      const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step)));
      CHECK((std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 5) < 1e-9));
    }
  }
}

TEST_CASE("chart: tick labels carry the step's decimals, and k M G T P on an axis reaching ten thousand and more") {
  const auto labels = [](std::vector<double> values, double step) { return chart::tick_labels({step, std::move(values)}); };
  using Labels = std::vector<std::string>;
  CHECK(labels({0.1 + 0.2, 0.4}, 0.1) == Labels{"0.3", "0.4"});
  CHECK(labels({0.25, 0.3}, 0.05) == Labels{"0.25", "0.3"});
  CHECK(labels({0.00002, 0.00004}, 0.00002) == Labels{"0.00002", "0.00004"});
  CHECK(labels({0, 500, 1000, 1500}, 500) == Labels{"0", "500", "1000", "1500"});
  CHECK(labels({0, 5000, 10000, 15000}, 5000) == Labels{"0", "5k", "10k", "15k"});
  CHECK(labels({2e8, 2.5e8, 3e8}, 5e7) == Labels{"200M", "250M", "300M"});
  CHECK(labels({4999998000, 5000000000, 5000002000}, 2000) == Labels{"4999.998M", "5000M", "5000.002M"});
  CHECK(labels({0, 2e15, 4e15}, 2e15) == Labels{"0", "2000T", "4000T"}); // ten of a prefix before it is used
  CHECK(labels({0, 2e16, 4e16}, 2e16) == Labels{"0", "20P", "40P"});
  CHECK(labels({-1e300, 0, 1e300}, 1e300) == Labels{"-1e+300", "0", "1e+300"});
  CHECK(labels({-0.0, 1}, 1) == Labels{"0", "1"});
  CHECK(labels({-2000, 0, 10000}, 2000) == Labels{"-2k", "0", "10k"});
}

TEST_CASE("chart: time ticks fall on round times inside the range, days at midnight UTC") {
  SECTION("a week from mid-morning: one tick a day, at midnight") {
    const auto t = chart::time_ticks({k_t0 + 5 * k_hour_ms, k_t0 + 7 * k_day_ms + 5 * k_hour_ms}, 8);
    CHECK(t.step == k_day_ms);
    REQUIRE(t.at.size() == 7);
    CHECK(t.at.front() == k_t0 + k_day_ms);
    CHECK(chart::time_label(t.at.front(), t.step) == "01-16");
  }
  SECTION("a day: every 6 hours, midnight labelled with its date") {
    const auto t = chart::time_ticks({k_t0, k_t0 + k_day_ms}, 8);
    CHECK(t.step == 6 * k_hour_ms);
    CHECK(t.at.size() == 4);
    CHECK(chart::time_label(t.at[0], t.step) == "01-15");
    CHECK(chart::time_label(t.at[1], t.step) == "06:00");
  }
  SECTION("400 days: steps doubled past 28 days, labelled with the year") {
    const auto t = chart::time_ticks({k_t0, k_t0 + 400 * k_day_ms}, 8);
    CHECK(t.step == 8 * health::k_week_ms);
    CHECK(t.at.size() <= 8);
    CHECK(chart::time_label(t.at.front(), t.step).size() == 10); // YYYY-MM-DD
  }
  SECTION("an hour: every 15 minutes") {
    const auto t = chart::time_ticks({k_t0 + 3 * k_minute_ms, k_t0 + k_hour_ms + 3 * k_minute_ms}, 8);
    CHECK(t.step == 15 * k_minute_ms);
    CHECK(chart::time_label(t.at.front(), t.step) == "00:15");
  }
}

TEST_CASE("chart: paths start a new subpath after a gap, and a band closes each run") {
  const std::vector<double> xs{0, 1, 5, 6};
  const std::vector<double> ys{10, 11.25, 5, 4};
  const std::vector<bool> breaks{false, false, true, false};
  CHECK(chart::line_path(xs, ys, breaks) == "M0,10 L1,11.3 M5,5 L6,4");
  CHECK(chart::band_path(xs, {1, 1, 1, 1}, {2, 2, 2, 2}, breaks) ==
        "M0,2 L1,2 L1,1 L0,1 Z M5,2 L6,2 L6,1 L5,1 Z");
  CHECK(chart::line_path({}, {}, {}).empty());
}

TEST_CASE("chart: the value axis holds the data and the thresholds near it, bars start at zero") {
  auto c = a_chart();
  std::vector<const chart::Rule*> off;
  const auto d = chart::value_domain(c, &off);
  CHECK(d.lo == 90);
  CHECK(d.hi == 150); // the data reaches 143; the warn line at 150 is on the chart
  REQUIRE(off.size() == 1);
  CHECK(off.front()->label == "crit p95 1000000");
  c.shape = chart::Shape::bars;
  CHECK(chart::value_domain(c).lo == 0);
}

TEST_CASE("chart: the svg is well formed, titled for screen readers, and draws every part") {
  const auto c = a_chart();
  const std::string svg = chart::svg(c, 720, 190);
  const auto xml = test::check_xml(svg);
  INFO(svg);
  CHECK(xml.problems.empty());
  CHECK(svg.rfind("<svg class=\"chart\" viewBox=\"0 0 720 190\" role=\"img\" aria-labelledby=\"s1-t s1-d\">", 0) == 0);
  CHECK(svg.find("<title id=\"s1-t\">p95 of web/latency &lt;ms&gt; &amp; more</title>") != std::string::npos);
  CHECK(svg.find("<desc id=\"s1-d\">a line &quot;quoted&quot;</desc>") != std::string::npos);
  CHECK(occurrences(svg, "class=\"line\"") == 1);
  CHECK(occurrences(svg, "class=\"band\"") == 1);
  CHECK(occurrences(svg.substr(svg.find("class=\"line\"")), " M") == 1); // one break, at the gap
  CHECK(occurrences(svg, "<circle") == 0); // no bucket stands alone
  CHECK(occurrences(svg, "<g class=\"issue critical\"><title>issue #3 critical: slow</title>") == 1);
  CHECK(occurrences(svg, "<g class=\"finding anomaly\"><title>F1: Anomaly</title>") == 1);
  CHECK(occurrences(svg, "<g class=\"rule warn\">") == 1);
  CHECK(occurrences(svg, "crit p95 1000000") == 0); // off the chart: the caller says so in words
  CHECK(xml.text.find("warn p95 150") != std::string::npos);
  CHECK(xml.text.find("01-16") == std::string::npos); // a day's chart ends before the next midnight
  CHECK(xml.text.find("06:00") != std::string::npos);
}

TEST_CASE("chart: bars are one rectangle per bucket from zero, a lone bucket between gaps a dot") {
  auto c = a_chart();
  c.shape = chart::Shape::bars;
  c.issues.clear();
  c.findings.clear();
  const std::string bars = chart::svg(c, 720, 190);
  CHECK(test::check_xml(bars).problems.empty());
  CHECK(occurrences(bars, "<rect") == c.points.size());
  // Every bar stands on zero: the axis from 0 to 150 over 190 - 18 - 22 units
  // puts it at y = 168, so each bar's top plus its height is 168.
  for (auto at = bars.find("<rect"); at != std::string::npos; at = bars.find("<rect", at + 1)) {
    const auto number = [&](const char* attr) {
      const auto from = bars.find(std::string(attr) + "=\"", at) + std::string(attr).size() + 2;
      return std::stod(bars.substr(from, bars.find('"', from) - from));
    };
    CHECK(number("y") + number("height") == Approx(168).margin(0.11));
  }

  c.shape = chart::Shape::line;
  c.points = {{k_t0 + 3 * k_hour_ms, 5, 5, 5}};
  const std::string dot = chart::svg(c, 720, 190);
  CHECK(occurrences(dot, "<circle class=\"dot\"") == 1);
  CHECK(occurrences(dot, "class=\"band\"") == 0); // low == high: no band
}
