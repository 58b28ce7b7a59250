#include <health/error.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

namespace {

struct Fixture : test::StoreFixture {

  static health::SeriesSpec spec(const std::string& name, health::MetricType type,
                                 std::string unit = {}) {
    health::SeriesSpec out;
    out.key = {"node-1", "database", name, {}};
    out.type = type;
    out.unit = std::move(unit);
    return out;
  }

  std::vector<std::pair<health::Millis, double>> samples(const std::string& name) {
    std::vector<std::pair<health::Millis, double>> out;
    health::SeriesFilter filter;
    filter.metrics = {name};
    health::scan_samples(store, filter, {0, std::numeric_limits<health::Millis>::max()},
                         [&](const health::SampleRow& row) { out.emplace_back(row.ts, row.value); });
    return out;
  }
};

health::Error error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const health::Error& error) {
    return error;
  }
  FAIL("no health::Error thrown");
  return health::Error(health::ErrorKind::runtime, "");
}

} // namespace

TEST_CASE("recorder: two samples of one series in one millisecond are both kept", "[recorder]") {
  Fixture f;
  const auto counter = Fixture::spec("queries", health::MetricType::counter);
  for (int i = 0; i < 3; ++i) health::record(f.store, counter, {5000, 1, {}});
  health::record(f.store, counter, {4000, 2, {}});
  health::record(f.store, counter, {5000, 7, "{\"k\":1}"});
  const auto rows = f.samples("queries");
  REQUIRE(rows.size() == 5);
  CHECK(rows[0] == std::pair<health::Millis, double>{4000, 2});
  double sum = 0;
  for (const auto& row : rows) sum += row.second;
  CHECK(sum == 12);
  CHECK(rows.back() == std::pair<health::Millis, double>{5000, 7}); // insertion order kept
}

TEST_CASE("recorder: a series keeps its first type and unit", "[recorder]") {
  Fixture f;
  health::record(f.store, Fixture::spec("latency", health::MetricType::timer), {1, 10, {}});
  auto error = error_of([&] {
    health::record(f.store, Fixture::spec("latency", health::MetricType::gauge), {2, 10, {}});
  });
  CHECK(error.kind() == health::ErrorKind::bad_data);
  CHECK(std::string(error.what()) ==
        "series database/latency on node node-1 is a timer, not a gauge");

  // Timers default to ms; another unit is refused, the same or none is fine.
  health::record(f.store, Fixture::spec("latency", health::MetricType::timer, "ms"), {3, 11, {}});
  error = error_of([&] {
    health::record(f.store, Fixture::spec("latency", health::MetricType::timer, "s"), {4, 1, {}});
  });
  CHECK(std::string(error.what()) == "series database/latency on node node-1 has unit 'ms', not 's'");
  CHECK(f.samples("latency").size() == 2);

  const auto series = health::list_series(f.store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 1);
  CHECK(series[0].unit == "ms");
  CHECK(series[0].type == health::MetricType::timer);
  CHECK(series[0].count == 2);
  CHECK(series[0].last_value == 11);
}

TEST_CASE("recorder: values must be finite and counter increments non-negative", "[recorder]") {
  Fixture f;
  const auto counter = Fixture::spec("errors", health::MetricType::counter);
  const auto gauge = Fixture::spec("temperature", health::MetricType::gauge);
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    CHECK(error_of([&] { health::record(f.store, gauge, {1, bad, {}}); }).kind() ==
          health::ErrorKind::usage);
  }
  const auto negative = error_of([&] { health::record(f.store, counter, {1, -1, {}}); });
  CHECK(std::string(negative.what()) == "a counter increment must not be negative");
  health::record(f.store, counter, {1, 0, {}});
  health::record(f.store, gauge, {1, -40.5, {}});
  CHECK(f.samples("temperature") == std::vector<std::pair<health::Millis, double>>{{1, -40.5}});
  CHECK(f.samples("errors").size() == 1);
}

TEST_CASE("recorder: context is a JSON object of at most 4 KiB", "[recorder]") {
  Fixture f;
  const auto timer = Fixture::spec("query_ms", health::MetricType::timer);
  health::record(f.store, timer, {1, 5, "{ \"user\" : \"u1\" }"});
  std::string seen;
  health::scan_samples(f.store, {}, {0, 10}, [&](const health::SampleRow& row) { seen = row.context; });
  CHECK(seen == "{\"user\":\"u1\"}"); // stored compact

  for (const char* bad : {"[1,2]", "\"text\"", "{\"a\":", "42", "null"}) {
    const auto error = error_of([&] { health::record(f.store, timer, {2, 5, bad}); });
    CHECK(error.kind() == health::ErrorKind::bad_data);
  }
  const std::string fits = "{\"k\":\"" + std::string(4096 - 8, 'x') + "\"}";
  REQUIRE(fits.size() == 4096);
  health::record(f.store, timer, {3, 5, fits});
  const std::string too_big = "{\"k\":\"" + std::string(4096 - 7, 'x') + "\"}";
  const auto error = error_of([&] { health::record(f.store, timer, {4, 5, too_big}); });
  CHECK(std::string(error.what()) == "the context is 4097 bytes, more than the 4096 allowed");
  CHECK(f.samples("query_ms").size() == 2);
}

TEST_CASE("recorder: names, labels and units are checked before anything is written", "[recorder]") {
  Fixture f;
  auto bad = Fixture::spec("bad name", health::MetricType::counter);
  CHECK(error_of([&] { health::record(f.store, bad, {1, 1, {}}); }).kind() == health::ErrorKind::usage);
  auto bad_unit = Fixture::spec("ok", health::MetricType::gauge, "per second");
  CHECK_THAT(error_of([&] { health::record(f.store, bad_unit, {1, 1, {}}); }).what(),
             Catch::Contains("unit 'per second' is not valid"));
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty());
}

TEST_CASE("recorder: labelled series are distinct and filterable", "[recorder]") {
  Fixture f;
  auto api = Fixture::spec("requests", health::MetricType::counter);
  api.key.labels = {{"route", "/api"}};
  auto web = Fixture::spec("requests", health::MetricType::counter);
  web.key.labels = {{"route", "/web"}};
  health::record(f.store, api, {1, 1, {}});
  health::record(f.store, web, {1, 2, {}});
  health::record(f.store, Fixture::spec("requests", health::MetricType::counter), {1, 4, {}});
  CHECK(health::list_series(f.store, {}, health::WithStats::no).size() == 3);
  health::SeriesFilter filter;
  filter.labels = {{"route", "/web"}};
  const auto only_web = health::list_series(f.store, filter, health::WithStats::yes);
  REQUIRE(only_web.size() == 1);
  CHECK(only_web[0].labels_text == "route=/web");
  CHECK(only_web[0].last_value == 2);
}

TEST_CASE("recorder: several samples go in one transaction, all or nothing", "[recorder]") {
  Fixture f;
  using health::MetricType;
  health::record(f.store, {{Fixture::spec("rows", MetricType::gauge), {1, 48210, {}}},
                           {Fixture::spec("duration", MetricType::timer, "s"), {1, 412, {}}},
                           {Fixture::spec("runs", MetricType::counter), {1, 1, {}}}});
  CHECK(f.samples("rows") == std::vector<std::pair<health::Millis, double>>{{1, 48210}});
  CHECK(f.samples("duration").size() == 1);
  CHECK(f.samples("runs").size() == 1);

  // A conflict found inside the transaction: the earlier samples go too.
  auto error = error_of([&] {
    health::record(f.store, {{Fixture::spec("rows", MetricType::gauge), {2, 1, {}}},
                             {Fixture::spec("duration", MetricType::gauge), {2, 1, {}}}});
  });
  CHECK(error.kind() == health::ErrorKind::bad_data);
  CHECK(std::string(error.what()) == "sample 2 (duration): series database/duration on node node-1 is a timer, not a gauge");
  // A bad value found before it: nothing is begun.
  error = error_of([&] {
    health::record(f.store, {{Fixture::spec("rows", MetricType::gauge), {3, 1, {}}},
                             {Fixture::spec("runs", MetricType::counter), {3, -1, {}}}});
  });
  CHECK(error.kind() == health::ErrorKind::usage);
  CHECK(std::string(error.what()) == "sample 2 (runs): a counter increment must not be negative");
  CHECK(f.samples("rows").size() == 1);
  // One sample reads as record() of it: no number in the message.
  error = error_of([&] { health::record(f.store, {{Fixture::spec("runs", MetricType::counter), {4, -1, {}}}}); });
  CHECK(std::string(error.what()) == "a counter increment must not be negative");
}
