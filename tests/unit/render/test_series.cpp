#include <health/error.hpp>
#include <health/render.hpp>

#include "csv.hpp"
#include "json_keys.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using health::Millis;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

// A series whose unit and label need quoting in csv.
health::SeriesInfo a_series() {
  health::SeriesInfo s;
  s.node = "node-1";
  s.component = "web";
  s.name = "latency";
  s.labels = {{"route", "/a,\"b\""}};
  s.labels_text = "route=/a,\"b\"";
  s.type = health::MetricType::timer;
  s.unit = "ms";
  s.count = 2;
  s.first = k_t0;
  s.last = k_t0 + 1000;
  s.last_value = 45.0;
  return s;
}

health::SeriesSummary a_summary() {
  health::SeriesSummary s;
  s.series = a_series();
  s.stats.count = 2;
  s.stats.sum = 0.1 + 0.2;
  s.stats.min = 1;
  s.stats.max = 2;
  s.stats.avg = 1.5;
  s.stats.last = 2;
  s.stats.first_ts = k_t0;
  s.stats.last_ts = k_t0 + 1000;
  s.buckets = {1.0, std::nullopt, 2.0};
  return s;
}

} // namespace

TEST_CASE("summary: json keys in the order of DESIGN.md, statistics in full", "[render]") {
  const auto text = health::render_summary({a_summary()}, {k_t0, k_t0 + 3600000}, health::Format::json);
  const auto doc = nlohmann::ordered_json::parse(text);
  CHECK(test::json_keys(doc) == std::vector<std::string>{"range", "series"});
  CHECK(test::json_keys(doc["series"][0]) ==
        std::vector<std::string>{"component", "name", "node", "labels", "type", "unit", "count", "sum", "rate_per_s",
                                 "min", "max", "avg", "p50", "p95", "p99", "first", "last", "last_value", "trend"});
  CHECK_THAT(text, Catch::Contains(R"("count":2,"sum":0.30000000000000004,"rate_per_s":null,"min":1,)"));
  CHECK(health::render_summary({}, {k_t0, k_t0 + 1}, health::Format::json) ==
        R"({"range":{"since":"2025-01-15T00:00:00.000Z","until":"2025-01-15T00:00:00.001Z"},"series":[]})"
        "\n");
}

TEST_CASE("summary: csv quotes what needs quoting and reads back", "[render]") {
  const auto rows = test::parse_csv(health::render_summary({a_summary()}, {k_t0, k_t0 + 1}, health::Format::csv));
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][2] == "route=/a,\"b\"");
  CHECK(rows[1][7] == "0.30000000000000004"); // reads back to the same double
  CHECK(rows[1][8].empty()); // no rate for a timer
}

TEST_CASE("summary: the table draws a sparkline column only when asked", "[render]") {
  const auto plain = health::render_summary({a_summary()}, {k_t0, k_t0 + 1}, health::Format::table);
  CHECK_THAT(plain, !Catch::Contains("SPARK"));
  const auto spark =
      health::render_summary({a_summary()}, {k_t0, k_t0 + 1}, health::Format::table, health::Sparklines::ascii);
  CHECK_THAT(spark, Catch::EndsWith("stable  _ ^\n"));
  CHECK_THAT(health::render_summary({a_summary()}, {k_t0, k_t0 + 1}, health::Format::markdown),
             Catch::StartsWith("Summary from 2025-01-15T00:00:00.000Z to 2025-01-15T00:00:00.001Z (1 series)\n\n"
                               "| component | series |"));
}

TEST_CASE("metrics: csv quotes labels, json keeps its alphabetical keys", "[render]") {
  const auto rows = test::parse_csv(health::render_metrics({a_series()}, health::Format::csv));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][2] == "labels");
  CHECK(rows[1][2] == "route=/a,\"b\"");
  CHECK(rows[1][9] == "45");
  const auto doc = nlohmann::ordered_json::parse(health::render_metrics({a_series()}, health::Format::json));
  CHECK(test::json_keys(doc[0]) == std::vector<std::string>{"component", "count", "first", "labels", "last",
                                                            "last_value", "name", "node", "type", "unit"});
  CHECK_THROWS_AS(health::render_metrics({}, health::Format::markdown), health::Error);
}

TEST_CASE("components: a status from the map, healthy without an entry", "[render]") {
  const std::vector<health::ComponentInfo> components = {{"db,main", 1, 2, k_t0, k_t0}, {"web", 3, 4, {}, {}}};
  const std::map<std::string, health::HealthStatus> statuses = {{"web", health::HealthStatus::degraded}};
  const auto rows = test::parse_csv(health::render_components(components, statuses, health::Format::csv));
  REQUIRE(rows.size() == 3);
  CHECK(rows[1] == std::vector<std::string>{"db,main", "1", "2", "2025-01-15T00:00:00.000Z",
                                            "2025-01-15T00:00:00.000Z", "healthy"});
  CHECK(rows[2] == std::vector<std::string>{"web", "3", "4", "", "", "degraded"});
  const auto table = health::render_components(components, statuses, health::Format::table);
  const std::string blank(25, ' ');
  CHECK_THAT(table, Catch::EndsWith("web        3       4        -" + blank + "-" + blank + "degraded\n"));
}
