// The perfdata of `status --format nagios`, read back with a strict reader of
// the Monitoring Plugins Development Guidelines' grammar.

#include <health/range.hpp>
#include <health/render.hpp>
#include <health/status.hpp>

#include "perfdata.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <optional>
#include <string>

namespace {

health::Threshold a_threshold(std::string component, std::string metric, double value, std::string unit,
                              std::optional<std::string> warn, std::optional<std::string> crit) {
  health::Threshold threshold;
  threshold.key = {std::move(component), std::move(metric), {}};
  threshold.last_value = value;
  threshold.unit = std::move(unit);
  if (warn) threshold.warn = health::AlertRange::parse(*warn);
  if (crit) threshold.crit = health::AlertRange::parse(*crit);
  return threshold;
}

// The perfdata of a report holding just `threshold`.
std::string perfdata_of(const health::Threshold& threshold) {
  health::HealthReport report;
  report.thresholds = {threshold};
  const auto line = health::render_status(report, health::Format::nagios);
  test::parse_plugin_line(line); // throws unless the whole line is well formed
  const auto bar = line.find(" | ");
  return bar == std::string::npos ? "" : line.substr(bar + 3, line.size() - bar - 4);
}

} // namespace

TEST_CASE("perfdata: numbers are plain decimals, never exponents", "[render]") {
  CHECK(perfdata_of(a_threshold("disk", "used", 1234567, "B", "1000000000", "2000000000")) ==
        "'disk.used'=1234567B;1000000000;2000000000");
  CHECK(perfdata_of(a_threshold("queue", "wait", 0.000025, "s", "0.000001:", "@0.00001:0.00002")) ==
        "'queue.wait'=0.000025s;0.000001:;@0.00001:0.00002");
  CHECK(perfdata_of(a_threshold("sum", "big", 1e20, "", "~:1e21", std::nullopt)) ==
        "'sum.big'=100000000000000000000;~:1000000000000000000000");
  CHECK(perfdata_of(a_threshold("math", "noise", 0.1 + 0.2, "", "-5:-0.5", std::nullopt)) ==
        "'math.noise'=0.30000000000000004;-5:-0.5"); // reads back exactly
  CHECK(perfdata_of(a_threshold("math", "zero", -0.0, "", "1", std::nullopt)) == "'math.zero'=0;1");
}

TEST_CASE("perfdata: a value that is not finite is left out, the rest stay", "[render]") {
  health::HealthReport report;
  report.thresholds = {a_threshold("a", "inf", std::numeric_limits<double>::infinity(), "", "1", std::nullopt),
                       a_threshold("a", "nan", std::numeric_limits<double>::quiet_NaN(), "", "1", std::nullopt),
                       a_threshold("a", "ok", 2, "", "1", std::nullopt)};
  const auto line = health::render_status(report, health::Format::nagios);
  CHECK(line == "HEALTH OK - 0 components healthy | 'a.ok'=2;1\n");
  CHECK(test::parse_plugin_line(line).perfdata.size() == 1);
}

TEST_CASE("perfdata: plugin units are kept, percent has min 0 and max 100, counts and rates have no unit",
          "[render]") {
  CHECK(perfdata_of(a_threshold("host", "cpu", 42.5, "percent", "80", "90")) == "'host.cpu'=42.5%;80;90;0;100");
  CHECK(perfdata_of(a_threshold("host", "mem", 7, "%", std::nullopt, "~:95")) == "'host.mem'=7%;;~:95;0;100");
  CHECK(perfdata_of(a_threshold("db", "size", 10, "bytes", "20", std::nullopt)) == "'db.size'=10B;20");
  CHECK(perfdata_of(a_threshold("app", "load", 7, "requests", std::nullopt, "5")) == "'app.load'=7;;5");
  auto count = a_threshold("host", "cpu", 12, "percent", "10", std::nullopt);
  count.agg = health::Agg::count;
  CHECK(perfdata_of(count) == "'host.cpu'=12;10");
  auto rate = a_threshold("db", "query_ms", 0.5, "ms", "1", std::nullopt);
  rate.agg = health::Agg::rate;
  CHECK(perfdata_of(rate) == "'db.query_ms'=0.5;1");
  auto sum = a_threshold("host", "cpu", 250, "percent", "300", std::nullopt);
  sum.agg = health::Agg::sum;
  CHECK(perfdata_of(sum) == "'host.cpu'=250;300");
  auto p95 = a_threshold("db", "query_ms", 2950, "ms", "500", "1000");
  p95.agg = health::Agg::p95;
  CHECK(perfdata_of(p95) == "'db.query_ms'=2950ms;500;1000");
}

TEST_CASE("perfdata: labels are spelled key:value in brackets, reserved characters percent-encoded",
          "[render]") {
  auto threshold = a_threshold("web", "resp", 50, "ms", "100", "200");
  threshold.key.labels = {{"method", "GET"}, {"route", "/api"}};
  CHECK(perfdata_of(threshold) == "'web.resp[method:GET,route:/api]'=50ms;100;200");
  threshold.key.labels = {{"q", "a=b;c,d'e|f%g[h]i j:k"}};
  CHECK(perfdata_of(threshold) == "'web.resp[q:a%3Db%3Bc%2Cd%27e%7Cf%25g%5Bh%5Di j:k]'=50ms;100;200");
  // A ':' in a key is encoded, so the first ':' always ends the key.
  threshold.key.labels = {{"a:b", "c"}};
  const auto colon_in_key = perfdata_of(threshold);
  threshold.key.labels = {{"a", "b:c"}};
  CHECK(colon_in_key == "'web.resp[a%3Ab:c]'=50ms;100;200");
  CHECK(perfdata_of(threshold) == "'web.resp[a:b:c]'=50ms;100;200");
}
