// export --format prometheus end to end: the exposition passes the real
// promtool's lint with no warning, goes atomically to a file the textfile
// collector can read, and its errors exit with their codes.

#include "checks.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using test::check_error;

namespace {

// Every type, units that map to base units, labels that need escaping or
// renaming, camelCase and a name with a reserved suffix.
void seed(const test::Sandbox& box) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"record", "api", "requests", "3", "-l", "route=/a\"b"},
           {"record", "api", "requests", "2", "-l", "route=/a\"b"},
           {"record", "api", "latency_ms", "41.7", "-t", "timer", "-l", "node=edge-1"},
           {"record", "api", "queueLength", "4", "-t", "gauge"},
           {"record", "api", "jobs_count", "9", "-t", "gauge"},
           {"record", "db", "size", "12", "-t", "gauge", "--unit", "MB"},
           {"record", "system", "disk_used", "71.4", "-t", "gauge", "--unit", "percent"},
           {"record", "backup", "duration_s", "93", "-t", "timer", "--unit", "s"},
           {"record", "etl", "cpu_ms", "1500", "--unit", "ms"}}) {
    const auto result = box.healthctl(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }
}

} // namespace

TEST_CASE("prometheus: the exposition passes promtool check metrics with no warning", "[cli][prometheus]") {
  test::Sandbox box;
  seed(box);
  const auto before = test::slurp(box.db());
  const auto result = box.healthctl({"export", "--format", "prometheus"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.empty());
  for (const char* line : {"# TYPE requests_total counter\n",
                           "requests_total{node=\"test-node\",component=\"api\",route=\"/a\\\"b\"} 5\n",
                           "# TYPE latency_seconds summary\n",
                           "latency_seconds_sum{node=\"test-node\",component=\"api\",exported_node=\"edge-1\"} 0.0417\n",
                           "latency_seconds_count{node=\"test-node\",component=\"api\",exported_node=\"edge-1\"} 1\n",
                           "queue_length{node=\"test-node\",component=\"api\"} 4\n",
                           "jobs_count_value{node=\"test-node\",component=\"api\"} 9\n",
                           "size_bytes{node=\"test-node\",component=\"db\"} 12582912\n",
                           "disk_used_percent{node=\"test-node\",component=\"system\"} 71.4\n",
                           "duration_seconds_count{node=\"test-node\",component=\"backup\"} 1\n",
                           "cpu_seconds_total{node=\"test-node\",component=\"etl\"} 1.5\n"}) {
    CAPTURE(line);
    CHECK_THAT(result.out, Catch::Contains(line));
  }
  CHECK(test::slurp(box.db()) == before);
  if (!test::installed("promtool")) {
    WARN("promtool is not installed (scripts/install-deps --test installs it): the exposition is not linted");
    return;
  }
  const auto lint = box.run({"promtool", "check", "metrics"}, result.out);
  INFO(lint.out << lint.err);
  CHECK(lint.exit_code == 0);
  CHECK(lint.out.empty());
  CHECK(lint.err.empty());
}

TEST_CASE("prometheus: -o replaces the file atomically, readable by the textfile collector", "[cli][prometheus]") {
  test::Sandbox box;
  seed(box);
  const std::string prom = (box.dir() / "healthctl.prom").string();
  const auto result = box.healthctl({"export", "--format", "prometheus", "-o", prom});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(test::slurp(prom) == box.healthctl({"export", "--format", "prometheus"}).out);
  CHECK((std::filesystem::status(prom).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::others_read);
}

TEST_CASE("prometheus: errors name the problem and exit with its code", "[cli][prometheus][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({"export", "--format", "prometheus"}), 66, "no database at");
  seed(box);
  check_error(box.healthctl({"export", "--format", "prometheus", "--since", "1h"}), 2,
              "--format prometheus takes no --since");
  check_error(box.healthctl({"export", "--format", "prometheus", "--step", "5m"}), 2,
              "--format prometheus takes no --step");
  REQUIRE(box.healthctl({"record", "web", "queue-len", "1", "-t", "gauge"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "web", "queue.len", "2", "-t", "gauge"}).exit_code == 0);
  check_error(box.healthctl({"export", "--format", "prometheus"}), 65,
              "series web/queue-len@test-node and web/queue.len@test-node would both be the Prometheus metric queue_len");
  check_error(box.healthctl({"export", "--format", "openmetrics"}), 65, "would both be the Prometheus metric queue_len");
  // Each one alone is fine.
  CHECK(box.healthctl({"export", "--format", "prometheus", "-m", "queue-len"}).exit_code == 0);
  check_error(box.healthctl({"export", "--format", "openmetrics", "--step", "5m"}), 2,
              "--format openmetrics takes no --step");
  check_error(box.healthctl({"export", "--format", "openmetrics", "--since", "soon"}), 2, "soon");
}

TEST_CASE("openmetrics: the history of a range, to a file atomically, ends with # EOF", "[cli][prometheus]") {
  test::Sandbox box;
  seed(box);
  const std::string file = (box.dir() / "week.om").string();
  const auto result = box.healthctl({"export", "--format", "openmetrics", "--since", "1h", "-o", file});
  REQUIRE(result.exit_code == 0);
  const auto text = test::slurp(file);
  CHECK_THAT(text, Catch::StartsWith("# HELP cpu_seconds healthctl series cpu_ms (counter, unit ms)\n# TYPE cpu_seconds counter\n"
                                     "cpu_seconds_total{node=\"test-node\",component=\"etl\"} 1.5 "));
  CHECK_THAT(text, Catch::EndsWith("\n# EOF\n"));
  CHECK(box.healthctl({"export", "--format", "openmetrics", "--since", "1h"}).out == text);
}
