// healthctl collect end to end, on this host's /proc: the series it records,
// CPU percent from the second collection on, quiet by default, and every
// error a user can hit with its message and exit code.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

using nlohmann::json;
using test::check_error;

namespace {

// The samples of `export --format ndjson`, one JSON object each.
std::vector<json> exported(const test::Sandbox& box) {
  const auto result = box.healthctl({"export", "--format", "ndjson", "--since", "1h"});
  REQUIRE(result.exit_code == 0);
  std::vector<json> samples;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) samples.push_back(json::parse(line));
  return samples;
}

std::vector<json> named(const std::vector<json>& samples, const std::string& name) {
  std::vector<json> out;
  for (const auto& sample : samples)
    if (sample["name"] == name) out.push_back(sample);
  return out;
}

} // namespace

TEST_CASE("collect: one run prints nothing and records the host's gauges but no CPU percent") {
  test::Sandbox box;
  const auto result = box.healthctl({"collect"});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());
  const auto samples = exported(box);
  for (const char* name : {"load_1m", "load_5m", "load_15m", "memory_used_bytes", "memory_available_bytes",
                           "swap_used_bytes", "processes", "uptime_seconds", "database_bytes"}) {
    INFO(name);
    CHECK(named(samples, name).size() == 1);
  }
  const auto load = named(samples, "load_1m");
  REQUIRE(load.size() == 1);
  CHECK(load[0]["component"] == "system");
  CHECK(load[0]["node"] == "test-node");
  CHECK(load[0]["type"] == "gauge");
  CHECK(named(samples, "memory_used_bytes")[0]["unit"] == "bytes");
  CHECK(named(samples, "database_bytes")[0]["component"] == "healthctl");
  CHECK(named(samples, "cpu_busy_percent").empty());
  CHECK(named(samples, "cpu_busy_seconds").empty()); // a counter's first total is its start
  // Every sample of one collection has the same time.
  std::set<std::int64_t> times;
  for (const auto& sample : samples) times.insert(sample["ts_ms"].get<std::int64_t>());
  CHECK(times.size() == 1);
}

TEST_CASE("collect: the second collection records CPU percent within 0 to 100 and counter increments") {
  test::Sandbox box;
  const auto result = box.healthctl({"collect", "--every", "1s", "--count", "2", "-v"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::Contains("healthctl: collected"));
  const auto samples = exported(box);
  for (const char* name : {"cpu_busy_percent", "cpu_iowait_percent"}) {
    const auto percent = named(samples, name);
    REQUIRE(percent.size() == 1);
    CHECK(percent[0]["unit"] == "percent");
    CHECK(percent[0]["value"].get<double>() >= 0);
    CHECK(percent[0]["value"].get<double>() <= 100);
  }
  CHECK(named(samples, "load_1m").size() == 2);
  const auto busy = named(samples, "cpu_busy_seconds");
  REQUIRE(busy.size() == 1);
  CHECK(busy[0]["type"] == "counter");
  CHECK(busy[0]["value"].get<double>() >= 0);
  const auto metrics = box.healthctl({"metrics", "-c", "system", "--format", "json"});
  REQUIRE(metrics.exit_code == 0);
  CHECK_THAT(metrics.out, Catch::Contains("cpu_busy_percent") && Catch::Contains("load_15m"));
}

TEST_CASE("collect: --component names the host's series") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"collect", "--component", "web-1"}).exit_code == 0);
  const auto samples = exported(box);
  const auto load = named(samples, "load_5m");
  REQUIRE(load.size() == 1);
  CHECK(load[0]["component"] == "web-1");
}

TEST_CASE("collect: malformed or contradictory flags are usage errors that write nothing") {
  test::Sandbox box;
  check_error(box.healthctl({"collect", "--every", "often"}), 2, "often");
  check_error(box.healthctl({"collect", "--every", "500ms"}), 2, "--every 500ms is shorter than 1s");
  check_error(box.healthctl({"collect", "--count", "3"}), 2, "--count needs --every");
  check_error(box.healthctl({"collect", "--every", "1s", "--count", "0"}), 2, "--count 0 is not a whole number");
  check_error(box.healthctl({"collect", "--every", "1s", "--count", "x"}), 2, "--count x");
  check_error(box.healthctl({"collect", "--component", "no spaces"}), 2, "no spaces");
  check_error(box.healthctl({"collect", "--format", "json"}), 2, "json");
  check_error(box.healthctl({"collect", "extra"}), 2, "extra");
  CHECK_FALSE(std::filesystem::exists(box.db()));
}

TEST_CASE("collect: a series of another type fails the collection with exit 65 and writes nothing of it") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "system", "load_1m"}).exit_code == 0); // a counter
  check_error(box.healthctl({"collect"}), 65, "load_1m");
  const auto samples = exported(box);
  CHECK(samples.size() == 1);
}
