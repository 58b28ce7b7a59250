#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/export.hpp>
#include <health/ingest.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using health::k_minute_ms;
using health::Millis;
using health::MetricType;

namespace {

constexpr Millis k_now = 1795521600000; // 2026-11-24T12:00:00Z

health::SeriesInfo a_series(std::string name, MetricType type, std::string unit = {}, health::Labels labels = {}) {
  health::SeriesInfo s;
  s.node = "web1";
  s.component = "api";
  s.name = std::move(name);
  s.type = type;
  s.unit = std::move(unit);
  s.labels = std::move(labels);
  return s;
}

std::string family_of(std::string name, MetricType type, std::string unit = {}) {
  return health::prometheus_name(a_series(std::move(name), type, std::move(unit))).family;
}

health::Error error_of(const std::vector<health::CurrentSeries>& series) {
  try {
    health::render_prometheus(series);
  } catch (const health::Error& error) {
    return error;
  }
  FAIL("no error");
  return health::Error(health::ErrorKind::runtime, "");
}

// Records `value` at `ts` into api/NAME of `type`.
void record(test::StoreFixture& f, const char* name, MetricType type, double value, Millis ts, const char* unit = "") {
  health::SeriesSpec spec;
  spec.key = {"web1", "api", name, {}};
  spec.type = type;
  spec.unit = unit;
  health::record(f.store, spec, {ts, value, ""}, health::AllowFuture::yes);
}

} // namespace

TEST_CASE("prometheus: names in Prometheus' grammar with base units") {
  CHECK(family_of("query_ms", MetricType::timer, "ms") == "query_seconds");
  CHECK(family_of("query", MetricType::timer) == "query_seconds"); // a timer's unit is ms when none is given
  CHECK(family_of("duration_s", MetricType::timer, "s") == "duration_seconds");
  CHECK(family_of("backup_minutes", MetricType::gauge, "min") == "backup_seconds");
  CHECK(family_of("memory_bytes", MetricType::gauge, "bytes") == "memory_bytes");
  CHECK(family_of("heap_mb", MetricType::gauge, "MB") == "heap_bytes");
  CHECK(family_of("disk_used", MetricType::gauge, "percent") == "disk_used_percent");
  CHECK(family_of("cpu", MetricType::gauge, "%") == "cpu_percent");
  CHECK(family_of("load1", MetricType::gauge) == "load1");
  CHECK(family_of("rows", MetricType::gauge, "rows") == "rows"); // a unit it does not know stays out of the name
  CHECK(family_of("requests", MetricType::counter) == "requests_total");
  CHECK(family_of("errors_total", MetricType::counter) == "errors_total");
  CHECK(family_of("cpu_ms", MetricType::counter, "ms") == "cpu_seconds_total");
  CHECK(family_of("queueLength", MetricType::gauge) == "queue_length");
  CHECK(family_of("HTTPRequests", MetricType::counter) == "httprequests_total");
  CHECK(family_of("p95.latency-x", MetricType::gauge) == "p95_latency_x");
  CHECK(family_of("5xx", MetricType::counter) == "_5xx_total");
  CHECK(family_of("queue_count", MetricType::gauge) == "queue_count_value");
  CHECK(family_of("jobs_total", MetricType::gauge) == "jobs_total_value");
  CHECK(health::prometheus_name(a_series("q", MetricType::timer, "us")).base_value(41.7) == 41.7 / 1e6);
  CHECK(health::prometheus_name(a_series("q", MetricType::timer, "ms")).base_value(123.86468) == 0.12386468);
  CHECK(health::prometheus_name(a_series("h", MetricType::gauge, "KB")).base_value(2) == 2048);
  CHECK(health::prometheus_name(a_series("m", MetricType::gauge, "min")).base_value(1.5) == 90);
}

TEST_CASE("prometheus: the exposition groups families with HELP and TYPE, in base units, labels escaped") {
  std::vector<health::CurrentSeries> series;
  auto requests = a_series("requests", MetricType::counter, "", {{"route", "/a\"b\\c\nd"}});
  requests.total_sum = 1234;
  requests.last_value = 2;
  series.push_back({requests, {}});
  auto latency = a_series("latency_ms", MetricType::timer, "ms", {{"node", "other"}});
  latency.total_count = 3;
  latency.total_sum = 1500;
  latency.last_value = 500;
  series.push_back({latency, {400, 500, 600}});
  auto disk = a_series("disk", MetricType::gauge, "percent");
  disk.component = "system";
  disk.last_value = 71.5;
  series.push_back({disk, {}});
  auto idle = a_series("idle_ms", MetricType::timer, "ms");
  idle.component = "worker";
  idle.total_count = 1;
  idle.total_sum = 20;
  idle.last_value = 20;
  series.push_back({idle, {}}); // no sample in the summary window: no quantiles

  CHECK(health::render_prometheus(series) ==
        "# HELP disk_percent healthctl series disk (gauge, unit percent)\n"
        "# TYPE disk_percent gauge\n"
        "disk_percent{node=\"web1\",component=\"system\"} 71.5\n"
        "# HELP idle_seconds healthctl series idle_ms (timer, unit ms)\n"
        "# TYPE idle_seconds summary\n"
        "idle_seconds_sum{node=\"web1\",component=\"worker\"} 0.02\n"
        "idle_seconds_count{node=\"web1\",component=\"worker\"} 1\n"
        "# HELP latency_seconds healthctl series latency_ms (timer, unit ms)\n"
        "# TYPE latency_seconds summary\n"
        "latency_seconds{node=\"web1\",component=\"api\",exported_node=\"other\",quantile=\"0.5\"} 0.4\n"
        "latency_seconds{node=\"web1\",component=\"api\",exported_node=\"other\",quantile=\"0.9\"} 0.5\n"
        "latency_seconds{node=\"web1\",component=\"api\",exported_node=\"other\",quantile=\"0.99\"} 0.6\n"
        "latency_seconds_sum{node=\"web1\",component=\"api\",exported_node=\"other\"} 1.5\n"
        "latency_seconds_count{node=\"web1\",component=\"api\",exported_node=\"other\"} 3\n"
        "# HELP requests_total healthctl series requests (counter)\n"
        "# TYPE requests_total counter\n"
        "requests_total{node=\"web1\",component=\"api\",route=\"/a\\\"b\\\\c\\nd\"} 1234\n");
  CHECK(health::render_prometheus({}).empty());
}

TEST_CASE("prometheus: series that would be one metric are refused, naming both") {
  SECTION("one family, two types") {
    auto gauge = a_series("queue", MetricType::gauge);
    auto timer = a_series("queue", MetricType::rolling);
    timer.component = "db";
    const auto error = error_of({{gauge, {}}, {timer, {}}});
    CHECK(error.kind() == health::ErrorKind::bad_data);
    CHECK_THAT(error.what(), Catch::Contains("series api/queue@web1 (gauge) and db/queue@web1 (rolling) would both be "
                                             "the Prometheus metric queue, with different types"));
  }
  SECTION("one family and label set: names that differ only where Prometheus cannot") {
    const auto error = error_of({{a_series("query-ms", MetricType::gauge), {}}, {a_series("query.ms", MetricType::gauge), {}}});
    CHECK_THAT(error.what(), Catch::Contains("series api/query-ms@web1 and api/query.ms@web1 would both be the Prometheus "
                                             "metric query_ms{node=\"web1\",component=\"api\"}"));
  }
  SECTION("two labels of one series") {
    const auto error = error_of({{a_series("q", MetricType::gauge, "", {{"a-b", "1"}, {"a_b", "2"}}), {}}});
    CHECK_THAT(error.what(), Catch::Contains("two labels that would both be the Prometheus label a_b"));
  }
}

TEST_CASE("prometheus: running totals only grow: cleanup lowers none, a repeated ingest adds nothing") {
  test::StoreFixture f;
  record(f, "hits", MetricType::counter, 5, k_now - 40 * health::k_day_ms);
  record(f, "hits", MetricType::counter, 7, k_now - k_minute_ms);
  record(f, "query_ms", MetricType::timer, 100, k_now - 40 * health::k_day_ms, "ms");
  record(f, "query_ms", MetricType::timer, 300, k_now - 20 * k_minute_ms, "ms");
  record(f, "query_ms", MetricType::timer, 200, k_now - 2 * k_minute_ms, "ms");

  health::CleanupOptions cleanup;
  cleanup.now = k_now;
  REQUIRE(health::cleanup(f.store, cleanup).samples_removed == 2);

  const std::string csv = "ts_ms,component,name,type,unit,value\n" + std::to_string(k_now - 5 * k_minute_ms) +
                          ",api,hits,counter,,4\n";
  for (int twice = 0; twice < 2; ++twice) {
    std::istringstream in(csv);
    health::IngestOptions options;
    options.format = health::IngestFormat::csv;
    options.default_node = "web1";
    options.now = k_now;
    health::ingest(&f.store, {{"hits.csv", &in}}, options);
  }

  const auto current = health::current_series(f.store, {}, k_now);
  REQUIRE(current.size() == 2);
  CHECK(current[0].series.name == "hits");
  CHECK(current[0].series.count == 2);       // what the file holds
  CHECK(current[0].series.total_count == 3); // what it was ever given
  CHECK(current[0].series.total_sum == 16);
  CHECK(current[0].quantiles.empty());       // a counter has none
  CHECK(current[1].series.total_count == 3);
  CHECK(current[1].series.total_sum == 600);
  CHECK(current[1].quantiles == std::vector<double>{200, 200, 200}); // the last 10 minutes hold one sample
  CHECK_THAT(health::render_prometheus(current), Catch::Contains("hits_total{node=\"web1\",component=\"api\"} 16\n"));
}

TEST_CASE("openmetrics: each series' history with timestamps, totals carried on from before the range, then # EOF") {
  test::StoreFixture f;
  record(f, "hits", MetricType::counter, 5, k_now - 2 * health::k_hour_ms);      // before the range
  record(f, "hits", MetricType::counter, 2, k_now - 30 * k_minute_ms);
  record(f, "hits", MetricType::counter, 1, k_now - 30 * k_minute_ms);           // the same millisecond
  record(f, "hits", MetricType::counter, 4, k_now - 10 * k_minute_ms + 250);
  record(f, "query_ms", MetricType::timer, 100, k_now - 2 * health::k_hour_ms, "ms");
  record(f, "query_ms", MetricType::timer, 41.7, k_now - 20 * k_minute_ms, "ms");
  record(f, "load", MetricType::gauge, 0.5, k_now - 20 * k_minute_ms);
  record(f, "load", MetricType::gauge, 0.75, k_now - 20 * k_minute_ms);          // the last of its millisecond

  std::string out;
  std::size_t pieces = 0;
  health::write_openmetrics(f.store, {}, {k_now - health::k_hour_ms, k_now}, [&](std::string_view text) {
    out += text;
    ++pieces;
  });
  CHECK(pieces == 1);
  CHECK(out == "# HELP hits healthctl series hits (counter)\n"
               "# TYPE hits counter\n"
               "hits_total{node=\"web1\",component=\"api\"} 8 1795519800\n"
               "hits_total{node=\"web1\",component=\"api\"} 12 1795521000.25\n"
               "# HELP load healthctl series load (gauge)\n"
               "# TYPE load gauge\n"
               "load{node=\"web1\",component=\"api\"} 0.75 1795520400\n"
               "# HELP query_seconds healthctl series query_ms (timer, unit ms)\n"
               "# TYPE query_seconds summary\n"
               "query_seconds_count{node=\"web1\",component=\"api\"} 2 1795520400\n"
               "query_seconds_sum{node=\"web1\",component=\"api\"} 0.1417 1795520400\n"
               "# EOF\n");

  std::string empty;
  health::write_openmetrics(f.store, {}, {k_now, k_now + 1}, [&](std::string_view text) { empty += text; });
  CHECK(empty == "# EOF\n");
}
