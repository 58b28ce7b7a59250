// collect in the library, over copies of a host's /proc (fixtures/proc, a
// real capture; proc-later, its counters grown by known amounts; proc-reset,
// every counter lower, as after a reboot; proc-jitter, between the two, its
// iowait a little lower than proc's as proc(5) says it can be): the series
// it records, CPU percent from the second run only, increments never
// negative, jitter told from a reboot, all or nothing.

#include <health/collect.hpp>
#include <health/error.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace {

using health::Millis;

constexpr Millis k_t0 = 1'700'000'000'000;

health::CollectOptions options_at(const std::string& snapshot, Millis now) {
  health::CollectOptions options;
  options.node = "test-node";
  options.proc_root = std::string(HOST_FIXTURES) + "/" + snapshot;
  options.now = now;
  options.clock_ticks = 100;
  return options;
}

// The series component/name{labels} with its stats, if it exists.
std::optional<health::SeriesInfo> series(health::Store& store, const std::string& component, const std::string& name,
                                         const health::Labels& labels = {}) {
  health::SeriesFilter filter;
  filter.components = {component};
  filter.metrics = {name};
  for (const auto& info : health::list_series(store, filter, health::WithStats::yes))
    if (info.labels == labels) return info;
  return std::nullopt;
}

// The sum of the samples of a series over all time.
double sum_of(health::Store& store, const health::SeriesInfo& info) {
  double sum = 0;
  health::SampleScanner scanner(store, health::WithContext::no);
  scanner.scan(info, {0, k_t0 * 2}, [&](const health::SampleRow& sample) { sum += sample.value; });
  return sum;
}

} // namespace

TEST_CASE("collect: the first run records gauges, starts counters and records no CPU percent") {
  test::StoreFixture db;
  const auto report = health::collect_host(db.store, options_at("proc", k_t0));
  CHECK(report.at == k_t0);
  CHECK_FALSE(report.cpu_percent);
  CHECK(report.counters_started > 0);
  CHECK_FALSE(series(db.store, "system", "cpu_busy_percent"));
  const auto load = series(db.store, "system", "load_1m");
  REQUIRE(load);
  CHECK(load->type == health::MetricType::gauge);
  CHECK(load->last_value == Approx(4.57));
  CHECK(series(db.store, "system", "uptime_seconds")->unit == "s");
  CHECK(series(db.store, "system", "processes")->last_value == 3); // the fixture's 1, 7 and 42
  CHECK(series(db.store, "system", "open_files")->last_value == 713);
  CHECK(series(db.store, "system", "memory_available_bytes")->unit == "bytes");
  const auto disk = series(db.store, "system", "disk_read_bytes", {{"device", "vda"}});
  REQUIRE(disk);
  CHECK(disk->type == health::MetricType::counter);
  CHECK(disk->count == 0); // a first total is a start, not an increment
  CHECK(series(db.store, "healthctl", "database_bytes"));
  CHECK(series(db.store, "healthctl", "database_wal_bytes"));
}

TEST_CASE("collect: filesystems are reported per mount, pseudo and vanished ones left out") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  const auto root = series(db.store, "system", "filesystem_used_percent", {{"mount", "/"}});
  REQUIRE(root);
  CHECK(root->unit == "percent");
  CHECK(*root->last_value >= 0);
  CHECK(*root->last_value <= 100);
  CHECK(series(db.store, "system", "filesystem_free_bytes", {{"mount", "/"}}));
  health::SeriesFilter filter;
  filter.metrics = {"filesystem_used_percent"};
  CHECK(health::list_series(db.store, filter, health::WithStats::no).size() == 1); // no /proc, /run, /etc/hostname
}

TEST_CASE("collect: the second run records increments and CPU percent over the interval") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  const auto report = health::collect_host(db.store, options_at("proc-later", k_t0 + 60'000));
  CHECK(report.cpu_percent);
  CHECK(report.counters_started == 0);
  // 400 busy, 100 iowait and 500 idle ticks later.
  CHECK(series(db.store, "system", "cpu_busy_percent")->last_value == Approx(40));
  CHECK(series(db.store, "system", "cpu_iowait_percent")->last_value == Approx(10));
  CHECK(series(db.store, "system", "cpu_busy_seconds")->last_value == Approx(4));
  CHECK(series(db.store, "system", "disk_read_bytes", {{"device", "vda"}})->last_value == 2048 * 512);
  CHECK(series(db.store, "system", "disk_written_bytes", {{"device", "vda"}})->last_value == 4096 * 512);
  CHECK(series(db.store, "system", "network_received_bytes", {{"interface", "eth0"}})->last_value == 1000);
  CHECK(series(db.store, "system", "network_transmitted_bytes", {{"interface", "eth0"}})->last_value == 500);
  CHECK_FALSE(series(db.store, "system", "network_received_bytes", {{"interface", "lo"}}));
  CHECK(series(db.store, "system", "load_1m")->count == 2);
}

TEST_CASE("collect: counters that went backwards start again and record nothing negative") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  health::collect_host(db.store, options_at("proc-reset", k_t0 + 60'000));
  health::collect_host(db.store, options_at("proc-later", k_t0 + 120'000));
  for (const auto& info : health::list_series(db.store, {}, health::WithStats::yes)) {
    if (info.type != health::MetricType::counter) continue;
    health::SampleScanner scanner(db.store, health::WithContext::no);
    scanner.scan(info, {0, k_t0 * 2}, [&](const health::SampleRow& sample) {
      INFO(info.name << " " << info.labels_text);
      CHECK(sample.value >= 0);
    });
  }
  // After the reboot the new total is the increment: 2000 sectors read since.
  const auto disk = series(db.store, "system", "disk_read_bytes", {{"device", "vda"}});
  REQUIRE(disk);
  CHECK(disk->count == 2);
  CHECK(sum_of(db.store, *disk) == Approx(41055234.0 * 512)); // 2000 sectors, then the rest
  const auto busy = series(db.store, "system", "cpu_busy_percent");
  REQUIRE(busy);
  CHECK(busy->count == 2);
  CHECK(*busy->last_value >= 0);
  CHECK(*busy->last_value <= 100);
}

TEST_CASE("collect: a counter a little lower than its last total is jitter, not a reboot") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  const auto report = health::collect_host(db.store, options_at("proc-jitter", k_t0 + 60'000));
  CHECK(report.cpu_percent);
  // 200 busy and 250 idle ticks later, iowait 13 ticks lower: no iowait.
  const auto iowait = series(db.store, "system", "cpu_iowait_seconds");
  REQUIRE(iowait);
  CHECK(iowait->last_value == 0);
  CHECK(series(db.store, "system", "cpu_iowait_percent")->last_value == 0);
  CHECK(series(db.store, "system", "cpu_busy_percent")->last_value == Approx(100.0 * 200 / 450));
  // The higher total is kept: iowait grew 100 ticks past it by proc-later,
  // and the 13 ticks it fell by are not counted again.
  health::collect_host(db.store, options_at("proc-later", k_t0 + 120'000));
  CHECK(series(db.store, "system", "cpu_iowait_seconds")->last_value == Approx(1));
  CHECK(sum_of(db.store, *series(db.store, "system", "cpu_iowait_seconds")) == Approx(1));
  CHECK(series(db.store, "system", "cpu_iowait_percent")->last_value == Approx(100.0 * 100 / 550));
}

TEST_CASE("collect: the same small decrease after a reboot is a restart, by the host's uptime") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  // proc-jitter's uptime, 28552.61 s, is shorter than the time since the
  // first run: the host booted in between, and iowait counts from 0.
  health::collect_host(db.store, options_at("proc-jitter", k_t0 + 28'600'000));
  CHECK(series(db.store, "system", "cpu_iowait_seconds")->last_value == Approx(92.5));
}

TEST_CASE("collect: a run at the same time as the last one records no increment twice") {
  test::StoreFixture db;
  health::collect_host(db.store, options_at("proc", k_t0));
  const auto report = health::collect_host(db.store, options_at("proc-later", k_t0));
  CHECK_FALSE(report.cpu_percent);
  CHECK(series(db.store, "system", "disk_read_bytes", {{"device", "vda"}})->count == 0);
}

TEST_CASE("collect: --component names the host's series, the database's stay under healthctl") {
  test::StoreFixture db;
  auto options = options_at("proc", k_t0);
  options.component = "web-1";
  health::collect_host(db.store, options);
  CHECK(series(db.store, "web-1", "load_5m"));
  CHECK_FALSE(series(db.store, "system", "load_5m"));
  CHECK(series(db.store, "healthctl", "database_bytes"));
}

TEST_CASE("collect: a missing /proc file it needs fails and writes nothing") {
  test::StoreFixture db;
  REQUIRE_THROWS_WITH(health::collect_host(db.store, options_at("no-such-proc", k_t0)),
                      Catch::Contains("cannot read") && Catch::Contains("no-such-proc/stat"));
  CHECK(health::list_series(db.store, {}, health::WithStats::no).empty());
}

TEST_CASE("collect: a series of another type makes the whole collection fail, all or nothing") {
  test::StoreFixture db;
  health::SeriesSpec spec{{"test-node", "system", "uptime_seconds", {}}, health::MetricType::counter, ""};
  health::record(db.store, spec, {k_t0 - 1000, 1, {}});
  try {
    health::collect_host(db.store, options_at("proc", k_t0));
    FAIL("collect should have failed");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::bad_data);
  }
  CHECK(health::list_series(db.store, {}, health::WithStats::no).size() == 1);
}
