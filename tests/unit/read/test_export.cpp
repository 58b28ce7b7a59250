#include <health/error.hpp>
#include <health/export.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>
#include <health/summary.hpp>

#include "csv.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using health::k_day_ms;
using health::k_hour_ms;
using health::k_minute_ms;
using health::k_second_ms;
using health::Millis;
using nlohmann::json;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

struct Fixture : test::StoreFixture {

  void add(const std::string& component, const std::string& name, health::MetricType type, Millis ts,
           double value, health::Labels labels = {}, std::string context = {},
           const std::string& node = "node-1") {
    health::SeriesSpec spec;
    spec.key = {node, component, name, std::move(labels)};
    spec.type = type;
    spec.unit = type == health::MetricType::timer ? "ms" : "";
    health::record(store, spec, {ts, value, std::move(context)});
  }

  // The options of an export and its format.
  struct Options : health::ExportOptions {
    health::Format format = health::Format::ndjson;
  };

  std::string exported(const Options& options) {
    std::string out;
    health::write_export(store, options, options.format, k_t0 + k_day_ms,
                         [&](std::string_view text) { out += text; });
    return out;
  }

  static Options options(health::Format format, Millis since, Millis until) {
    Options out;
    out.format = format;
    out.range = {since, until};
    return out;
  }

  // Each ndjson line parsed.
  std::vector<json> lines(const Options& options) {
    std::vector<json> out;
    std::istringstream in(exported(options));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
};

std::string usage_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    return error.what();
  }
  FAIL("no usage error");
  return {};
}

} // namespace

TEST_CASE("export: the json document of a timer 1..1000 has its exact stats", "[export]") {
  Fixture f;
  for (int i = 1; i <= 1000; ++i)
    f.add("database", "query_ms", health::MetricType::timer, k_t0 + i * k_second_ms, i);
  f.add("web", "requests", health::MetricType::counter, k_t0 + 5 * k_second_ms, 1, {}, R"({"path":"/a"})");
  const auto doc = json::parse(f.exported(Fixture::options(health::Format::json, k_t0, k_t0 + k_hour_ms)));
  CHECK(doc["generated_at"] == "2025-01-16T00:00:00.000Z");
  CHECK(doc["range"] == json{{"since", "2025-01-15T00:00:00.000Z"}, {"until", "2025-01-15T01:00:00.000Z"}});
  CHECK(doc["step"].is_null());
  CHECK(doc["nodes"] == json{"node-1"});
  CHECK(doc["totals"] == json{{"components", 2}, {"series", 2}, {"samples", 1001}});
  const auto& timer = doc["components"]["database"]["series"][0];
  CHECK(timer["name"] == "query_ms");
  CHECK(timer["type"] == "timer");
  CHECK(timer["unit"] == "ms");
  CHECK(timer["labels"] == json::object());
  const auto& stats = timer["stats"];
  CHECK(stats["count"] == 1000);
  CHECK(stats["sum"] == 500500);
  CHECK(stats["avg"] == 500.5);
  CHECK(stats["min"] == 1);
  CHECK(stats["max"] == 1000);
  CHECK(stats["p50"].get<double>() == Approx(500.5).epsilon(1e-12));
  CHECK(stats["p95"].get<double>() == Approx(950.05).epsilon(1e-12));
  CHECK(stats["p99"].get<double>() == Approx(990.01).epsilon(1e-12));
  CHECK(stats["last"] == 1000);
  CHECK(timer["columns"] == json{"ts", "value"});
  REQUIRE(timer["rows"].size() == 1000);
  CHECK(timer["rows"][0] == json{"2025-01-15T00:00:01.000Z", 1});
  CHECK(timer["rows"][999] == json{"2025-01-15T00:16:40.000Z", 1000});
  // A series with context gets a context column, null where a sample has none.
  const auto& counter = doc["components"]["web"]["series"][0];
  CHECK(counter["columns"] == json{"ts", "value", "context"});
  CHECK(counter["rows"][0] == json{"2025-01-15T00:00:05.000Z", 1, {{"path", "/a"}}});
}

TEST_CASE("export: ranges are half-open and series without samples in them are left out", "[export]") {
  Fixture f;
  const Millis since = k_t0;
  const Millis until = k_t0 + k_hour_ms;
  for (const Millis ts : {since - 1, since, until - 1, until})
    f.add("db", "g", health::MetricType::gauge, ts, static_cast<double>(ts - since));
  f.add("db", "elsewhere", health::MetricType::gauge, until + k_hour_ms, 1);
  const auto rows = f.lines(Fixture::options(health::Format::ndjson, since, until));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["ts_ms"] == since);
  CHECK(rows[1]["ts_ms"] == until - 1);
  CHECK(rows[1]["ts"] == "2025-01-15T00:59:59.999Z");
  CHECK(rows[0]["name"] == "g");
  CHECK(f.lines(Fixture::options(health::Format::ndjson, since, since)).empty());
}

TEST_CASE("export: a bucket holds what falls from its start up to, not including, the next", "[export]") {
  Fixture f;
  const Millis step = 5 * k_minute_ms;
  for (const Millis offset : {Millis{0}, step - 1, step, 2 * step - 1, 2 * step})
    f.add("db", "t", health::MetricType::timer, k_t0 + offset, 10);
  auto options = Fixture::options(health::Format::ndjson, k_t0, k_t0 + k_hour_ms);
  options.step = step;
  options.aggs = {health::Agg::count};
  const auto rows = f.lines(options);
  REQUIRE(rows.size() == 3); // empty buckets get no row
  CHECK(rows[0]["ts"] == "2025-01-15T00:00:00.000Z");
  CHECK(rows[0]["count"] == 2);
  CHECK(rows[1]["ts"] == "2025-01-15T00:05:00.000Z");
  CHECK(rows[1]["count"] == 2);
  CHECK(rows[2]["ts_ms"] == k_t0 + 2 * step);
  CHECK(rows[2]["count"] == 1);
  CHECK_FALSE(rows[0].contains("value"));
}

TEST_CASE("export: a counter's bucket sum and rate, over the part of the bucket in range", "[export]") {
  Fixture f;
  for (int i = 0; i < 12; ++i)
    f.add("web", "requests", health::MetricType::counter, k_t0 + i * 5 * k_second_ms, 5); // 60 a minute
  auto options = Fixture::options(health::Format::csv, k_t0, k_t0 + k_minute_ms);
  options.step = k_minute_ms;
  options.aggs = {health::Agg::sum, health::Agg::rate, health::Agg::count};
  auto rows = test::parse_csv(f.exported(options));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"ts", "ts_ms", "node", "component", "name", "labels", "type",
                                            "unit", "sum", "rate", "count"});
  CHECK(rows[1][8] == "60");
  CHECK(rows[1][9] == "1");
  CHECK(rows[1][10] == "12");
  // Starting the range half way into the minute: 6 samples over 30 s.
  options.range.since = k_t0 + 30 * k_second_ms;
  rows = test::parse_csv(f.exported(options));
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][0] == "2025-01-15T00:00:00.000Z"); // the bucket start, before the range
  CHECK(rows[1][8] == "30");
  CHECK(rows[1][9] == "1");
}

TEST_CASE("export: --max-points caps the rows of every series", "[export]") {
  Fixture f;
  for (int i = 0; i < 2880; ++i) {
    f.add("db", "a", health::MetricType::gauge, k_t0 + i * 30 * k_second_ms, i % 7);
    if (i % 3 == 0) f.add("db", "b", health::MetricType::timer, k_t0 + i * 30 * k_second_ms + 7, i);
  }
  for (const std::size_t points : {2U, 10U, 100U, 1000U}) {
    auto options = Fixture::options(health::Format::json, k_t0 + 17 * k_second_ms, k_t0 + k_day_ms);
    options.max_points = points;
    const auto doc = json::parse(f.exported(options));
    INFO("max points " << points);
    for (const auto& series : doc["components"]["db"]["series"]) {
      CHECK(series["rows"].size() <= points);
      CHECK(series["rows"].size() >= 1);
    }
    CHECK(doc["totals"]["samples"] == 2879 + 959); // the first of each is before the range
  }
  auto options = Fixture::options(health::Format::json, k_t0, k_t0 + k_day_ms);
  options.max_points = 100;
  const auto doc = json::parse(f.exported(options));
  CHECK(doc["step"] == "15m"); // 96 buckets (+1 for alignment) fit in 100; 10m would not
  CHECK(doc["components"]["db"]["series"][0]["columns"] ==
        json{"ts", "count", "sum", "min", "max", "avg", "last"});
  CHECK(doc["components"]["db"]["series"][0]["rows"].size() == 96);
}

TEST_CASE("export: component, metric, node and label filters", "[export]") {
  Fixture f;
  f.add("db", "q", health::MetricType::gauge, k_t0, 1, {{"shard", "1"}});
  f.add("db", "q", health::MetricType::gauge, k_t0, 2, {{"shard", "2"}});
  f.add("db", "r", health::MetricType::gauge, k_t0, 3);
  f.add("web", "q", health::MetricType::gauge, k_t0, 4, {}, {}, "node-2");
  const auto values = [&](health::SeriesFilter filter) {
    auto options = Fixture::options(health::Format::ndjson, k_t0, k_t0 + 1);
    options.filter = std::move(filter);
    std::vector<double> out;
    for (const auto& row : f.lines(options)) out.push_back(row["value"]);
    return out;
  };
  CHECK(values({}) == std::vector<double>{1, 2, 3, 4});
  CHECK(values({{"db"}, {}, {}, {}}) == std::vector<double>{1, 2, 3});
  CHECK(values({{}, {"q"}, {}, {}}) == std::vector<double>{1, 2, 4});
  CHECK(values({{}, {}, {"node-2"}, {}}) == std::vector<double>{4});
  CHECK(values({{}, {}, {}, {{"shard", "2"}}}) == std::vector<double>{2});
  CHECK(values({{"web"}, {"r"}, {}, {}}).empty());
}

TEST_CASE("export: csv and tsv quote what needs quoting and read back", "[export]") {
  Fixture f;
  f.add("db", "q", health::MetricType::gauge, k_t0, 1.25, {{"path", "/a,b\"c"}},
        R"({"note":"x, y\tz"})");
  for (const auto format : {health::Format::csv, health::Format::tsv}) {
    const char separator = format == health::Format::csv ? ',' : '\t';
    const auto text = f.exported(Fixture::options(format, k_t0, k_t0 + 1));
    const auto rows = test::parse_csv(text, separator);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::vector<std::string>{"ts", "ts_ms", "node", "component", "name", "labels", "type",
                                              "unit", "value", "context"});
    CHECK(rows[1] == std::vector<std::string>{"2025-01-15T00:00:00.000Z", "1736899200000", "node-1", "db", "q",
                                              "path=/a,b\"c", "gauge", "", "1.25",
                                              R"({"note":"x, y\tz"})"});
  }
}

TEST_CASE("export: contradictory options are usage errors", "[export]") {
  Fixture f;
  auto options = Fixture::options(health::Format::csv, k_t0, k_t0 + k_hour_ms);
  options.aggs = {health::Agg::avg};
  CHECK(usage_error([&] { f.exported(options); }) == "--agg needs --step or --max-points");
  options.step = k_minute_ms;
  options.max_points = 10;
  CHECK(usage_error([&] { f.exported(options); }) == "--step and --max-points exclude each other");
  options.step = 0;
  options.max_points = 1;
  CHECK(usage_error([&] { f.exported(options); }) == "--max-points must be at least 2");
  options = Fixture::options(health::Format::csv, k_t0, k_t0 - 1);
  CHECK(usage_error([&] { f.exported(options); }) == "the range ends before it starts");
}

TEST_CASE("export: --tz shows local times and starts day buckets at local midnight", "[export]") {
  Fixture f;
  // 2025-03-30 is 23 hours long in Berlin (clocks jump from 02:00 to 03:00).
  const Millis march29 = 1743206400000; // 2025-03-29T00:00:00Z
  for (int hour = 0; hour < 72; ++hour)
    f.add("db", "g", health::MetricType::gauge, march29 + hour * k_hour_ms, 1);
  auto options = Fixture::options(health::Format::ndjson, march29, march29 + 3 * k_day_ms);
  options.step = k_day_ms;
  options.aggs = {health::Agg::count};
  options.zone = health::Zone::named("Europe/Berlin");
  const auto rows = f.lines(options);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0]["ts"] == "2025-03-29T00:00:00.000+01:00");
  CHECK(rows[0]["count"] == 23); // 00:00Z .. 22:00Z
  CHECK(rows[1]["ts"] == "2025-03-30T00:00:00.000+01:00");
  CHECK(rows[1]["count"] == 23);
  CHECK(rows[2]["ts"] == "2025-03-31T00:00:00.000+02:00");
  CHECK(rows[2]["ts_ms"] == 1743372000000); // 2025-03-30T22:00:00Z
  CHECK(rows[2]["count"] == 24);
  CHECK(rows[3]["count"] == 2);
}

TEST_CASE("summary: per series stats, counter rate and trend", "[summary]") {
  Fixture f;
  for (int i = 1; i <= 1000; ++i)
    f.add("database", "query_ms", health::MetricType::timer, k_t0 + i * 3 * k_second_ms, i);
  for (int i = 0; i < 360; ++i)
    f.add("web", "requests", health::MetricType::counter, k_t0 + i * 10 * k_second_ms, 2);
  f.add("web", "old", health::MetricType::gauge, k_t0 - 1, 1); // outside the range
  const auto summaries = health::summarize(f.store, {}, {k_t0, k_t0 + k_hour_ms});
  REQUIRE(summaries.size() == 2);
  const auto& timer = summaries[0];
  CHECK(timer.series.name == "query_ms");
  CHECK(timer.stats.count == 1000);
  CHECK(timer.stats.p95 == Approx(950.05).epsilon(1e-12));
  CHECK(timer.stats.first_ts == k_t0 + 3 * k_second_ms);
  CHECK(timer.stats.last_ts == k_t0 + 3000 * k_second_ms);
  CHECK(timer.stats.last == 1000);
  CHECK(timer.trend.direction == health::TrendDirection::upward);
  const auto& counter = summaries[1];
  CHECK(counter.stats.sum == 720);
  CHECK(counter.stats.rate_per_s == 0.2); // 720 over 3600 s
  CHECK(counter.trend.direction == health::TrendDirection::stable);
  CHECK(counter.buckets.size() == 24);
}

TEST_CASE("export: the whole document is one snapshot, whatever is written meanwhile", "[export]") {
  Fixture f;
  for (int i = 0; i < 20000; ++i) f.add("a", "first", health::MetricType::gauge, k_t0 + i, i);
  f.add("z", "last", health::MetricType::gauge, k_t0, 1);
  // A second connection writes into the last series while the export is
  // still writing out the first one (the sink sees the first 256 KiB).
  health::StoreOptions writer_options;
  writer_options.path = f.dir.file("health.db");
  writer_options.mode = health::OpenMode::read_write;
  auto writer = health::Store::open(writer_options);
  health::SeriesSpec last;
  last.key = {"node-1", "z", "last", {}};
  last.type = health::MetricType::gauge;
  std::string out;
  bool wrote = false;
  health::write_export(f.store, Fixture::options(health::Format::json, k_t0, k_t0 + k_hour_ms),
                       health::Format::json, k_t0, [&](std::string_view text) {
                         out += text;
                         if (!wrote) health::record(writer, last, {k_t0 + 1, 2, {}});
                         wrote = true;
                       });
  REQUIRE(wrote);
  const auto doc = json::parse(out);
  CHECK(doc["components"]["z"]["series"][0]["stats"]["count"] == 1);
  CHECK(doc["components"]["z"]["series"][0]["rows"].size() == 1);
  CHECK(doc["totals"]["samples"] == 20001);
  // The write itself went through and the next export sees it.
  CHECK(json::parse(f.exported(Fixture::options(health::Format::json, k_t0, k_t0 + k_hour_ms)))
            ["totals"]["samples"] == 20002);
}
