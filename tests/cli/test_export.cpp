// healthctl export and summary end to end: formats read back by real
// parsers, -o written atomically, the round trip through ingest, and the
// error paths.

#include "checks.hpp"
#include "csv.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <sys/stat.h>

using nlohmann::json;
using test::check_error;

namespace {

const std::vector<std::string> k_range{"--since", "2025-01-15", "--until", "2025-01-16"};

// A small day: a timer 1..100 over an hour, a counter, a labelled gauge.
void seed(const test::Sandbox& box) {
  std::string lines;
  for (int i = 1; i <= 100; ++i)
    lines += R"({"ts_ms":)" + std::to_string(1736935200000 + i * 30000) +
             R"(,"component":"database","name":"query_ms","type":"timer","unit":"ms","value":)" +
             std::to_string(i) + "}\n";
  for (int i = 0; i < 60; ++i)
    lines += R"({"ts_ms":)" + std::to_string(1736935200000 + i * 60000) +
             R"(,"component":"web","name":"requests","value":2})" + "\n";
  lines += R"({"ts":"2025-01-15T10:30:00Z","component":"system","name":"disk_used","type":"gauge",)"
           R"("unit":"percent","labels":{"mount":"/var"},"value":71.5,"context":{"dev":"sda1"}})"
           "\n";
  const auto result = box.healthctl({"ingest", "--format", "ndjson", "-"}, lines);
  REQUIRE(result.exit_code == 0);
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

} // namespace

TEST_CASE("export: the json document reads back with stats, columns and rows", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  const auto result = box.healthctl(with({"export", "--format", "json"}, k_range));
  REQUIRE(result.exit_code == 0);
  const auto doc = json::parse(result.out);
  CHECK(doc["nodes"] == json{"test-node"});
  CHECK(doc["totals"] == json{{"components", 3}, {"series", 3}, {"samples", 161}});
  const auto& timer = doc["components"]["database"]["series"][0];
  CHECK(timer["stats"]["p50"] == 50.5);
  CHECK(timer["stats"]["p95"].get<double>() == Approx(95.05));
  CHECK(timer["rows"].size() == 100);
  const auto& gauge = doc["components"]["system"]["series"][0];
  CHECK(gauge["labels"] == json{{"mount", "/var"}});
  CHECK(gauge["columns"] == json{"ts", "value", "context"});
  CHECK(gauge["rows"][0] == json{"2025-01-15T10:30:00.000Z", 71.5, {{"dev", "sda1"}}});
}

TEST_CASE("export: bucketed csv has one column per aggregate", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  const auto result =
      box.healthctl(with({"export", "--format", "csv", "--step", "15m", "--agg", "count,p95", "--agg", "rate",
                          "-m", "query_ms"},
                         k_range));
  REQUIRE(result.exit_code == 0);
  const auto rows = test::parse_csv(result.out);
  REQUIRE(rows.size() == 5); // header + 4 quarter hours of 10:00..10:50
  CHECK(rows[0] == std::vector<std::string>{"ts", "ts_ms", "node", "component", "name", "labels", "type",
                                            "unit", "count", "p95", "rate"});
  CHECK(rows[1][0] == "2025-01-15T10:00:00.000Z");
  CHECK(rows[1][8] == "29"); // 10:00:30 .. 10:14:30
  CHECK(rows[2][8] == "30");
  CHECK(rows[4][8] == "11"); // 10:45:00 .. 10:50:00
}

TEST_CASE("export: --max-points caps rows and --tz shows local times", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  const auto result = box.healthctl(
      with({"export", "--format", "ndjson", "--max-points", "4", "--tz", "Asia/Kolkata", "-m", "query_ms"}, k_range));
  REQUIRE(result.exit_code == 0);
  std::istringstream in(result.out);
  std::vector<json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  REQUIRE(rows.size() <= 4);
  REQUIRE_FALSE(rows.empty());
  CHECK(rows[0]["ts"].get<std::string>().substr(10) == "T12:00:00.000+05:30"); // 12h buckets from local midnight
  std::int64_t count = 0;
  for (const auto& row : rows) count += row["count"].get<std::int64_t>();
  CHECK(count == 100);
}

TEST_CASE("export: -o writes the file atomically with mode 0600", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  const auto out = (box.dir() / "week.csv").string();
  const auto stdout_run = box.healthctl(with({"export", "--format", "csv"}, k_range));
  REQUIRE(box.healthctl(with({"export", "--format", "csv", "-o", out}, k_range)).exit_code == 0);
  CHECK(test::slurp(out) == stdout_run.out);
  struct stat info {};
  REQUIRE(::stat(out.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(box.healthctl(with({"export", "--format", "csv", "-o", "-"}, k_range)).out == stdout_run.out);

  SECTION("a failed export leaves an existing file as it was") {
    const auto before = test::slurp(out);
    check_error(box.healthctl({"export", "-o", out, "--since", "last tuesday"}), 2, "invalid time 'last tuesday'");
    check_error(box.healthctl({"--db", (box.dir() / "none.db").string(), "export", "-o", out}), 66,
                "no database at");
    CHECK(test::slurp(out) == before);
  }
  SECTION("an export that fails at the rename leaves no partial file") {
    const auto target = box.dir() / "taken";
    std::filesystem::create_directory(target);
    check_error(box.healthctl(with({"export", "-o", target.string()}, k_range)), 1,
                "cannot write '" + target.string() + "'");
    std::size_t entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(box.dir()))
      entries += entry.path().filename().string().find(".tmp-") != std::string::npos ? 1U : 0U;
    CHECK(entries == 0);
    CHECK(std::filesystem::is_empty(target));
  }
  SECTION("a folder that does not exist is a runtime error") {
    check_error(box.healthctl(with({"export", "-o", (box.dir() / "no" / "x.csv").string()}, k_range)), 1,
                "cannot create");
  }
}

TEST_CASE("export: an export ingested again gives the same samples", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  for (const char* format : {"ndjson", "csv"}) {
    const auto file = (box.dir() / (std::string("dump.") + format)).string();
    REQUIRE(box.healthctl(with({"export", "--format", format, "-o", file}, k_range)).exit_code == 0);
    const auto copy = (box.dir() / (std::string("copy-") + format + ".db")).string();
    const auto ingested = box.healthctl({"--db", copy, "ingest", "--format", format, file});
    REQUIRE(ingested.exit_code == 0);
    const auto again = box.healthctl(with({"--db", copy, "export", "--format", format}, k_range));
    CHECK(again.out == test::slurp(file));
  }
}

TEST_CASE("export: contradictory or malformed options are usage errors", "[cli][export]") {
  test::Sandbox box;
  seed(box);
  check_error(box.healthctl({"export", "--step", "1m", "--max-points", "10"}), 2, "--step and --max-points cannot be used together");
  check_error(box.healthctl({"export", "--agg", "avg"}), 2,
              "--agg needs --step or --max-points (add --step 5m, say, or --max-points 500)");
  check_error(box.healthctl({"export", "--step", "1m", "--agg", "median"}), 2, "unknown aggregate 'median'");
  check_error(box.healthctl({"export", "--step", "1mo"}), 2, "1mo");
  check_error(box.healthctl({"export", "--max-points", "1"}), 2, "--max-points must be at least 2");
  check_error(box.healthctl({"export", "--tz", "Mars/Olympus"}), 2, "unknown time zone 'Mars/Olympus'");
  check_error(box.healthctl({"export", "--format", "xml"}), 2, "unsupported format 'xml' for export");
  check_error(box.healthctl({"export", "--since", "1h", "--until", "2h"}), 2, "--until is before --since");
}

TEST_CASE("summary: json, csv, markdown and table agree", "[cli][summary]") {
  test::Sandbox box;
  seed(box);
  const auto json_run = box.healthctl(with({"summary", "--format", "json"}, k_range));
  REQUIRE(json_run.exit_code == 0);
  const auto doc = json::parse(json_run.out);
  CHECK(doc["range"] == json{{"since", "2025-01-15T00:00:00.000Z"}, {"until", "2025-01-16T00:00:00.000Z"}});
  REQUIRE(doc["series"].size() == 3);
  const auto& timer = doc["series"][0];
  CHECK(timer["component"] == "database");
  CHECK(timer["count"] == 100);
  CHECK(timer["sum"] == 5050);
  CHECK(timer["rate_per_s"].is_null());
  CHECK(timer["p99"].get<double>() == Approx(99.01));
  CHECK(timer["first"] == "2025-01-15T10:00:30.000Z");
  CHECK(timer["last"] == "2025-01-15T10:50:00.000Z");
  CHECK(timer["last_value"] == 100);
  CHECK(timer["trend"]["direction"] == "stable"); // all in one of the day's 24 buckets
  const auto& counter = doc["series"][2];
  CHECK(counter["name"] == "requests");
  CHECK(counter["rate_per_s"].get<double>() == Approx(120.0 / 86400));

  const auto csv = test::parse_csv(box.healthctl(with({"summary", "--format", "csv"}, k_range)).out);
  REQUIRE(csv.size() == 4);
  CHECK(csv[0][0] == "component");
  CHECK(csv[0][8] == "rate_per_s");
  CHECK(csv[1][6] == "100");
  CHECK(csv[1][8] == "");
  CHECK(csv[2][2] == "mount=/var");

  const auto markdown = box.healthctl(with({"summary", "--format", "markdown"}, k_range)).out;
  CHECK_THAT(markdown, Catch::StartsWith("Summary from 2025-01-15T00:00:00.000Z to 2025-01-16T00:00:00.000Z (3 series)\n\n"
                                         "| component | series | type |"));
  CHECK_THAT(markdown, Catch::Contains("| system | disk_used{mount=/var} | gauge | percent | 1 |"));

  // Not a terminal: no sparkline unless asked for with --ascii.
  const auto table = box.healthctl(with({"summary"}, k_range)).out;
  CHECK_THAT(table, Catch::StartsWith("COMPONENT  SERIES"));
  CHECK_THAT(table, !Catch::Contains("SPARK"));
  // Over its own hour, the climbing timer reads as upward.
  const std::vector<std::string> hour{"--since", "2025-01-15T10:00Z", "--until", "2025-01-15T11:00Z"};
  const auto trend = json::parse(box.healthctl(with({"summary", "--format", "json", "-c", "database"}, hour)).out);
  CHECK(trend["series"][0]["trend"]["direction"] == "upward");
  CHECK(trend["series"][0]["trend"]["strength"].get<double>() > 0.9);
  const auto ascii = box.healthctl(with({"summary", "--ascii", "-c", "database"}, hour)).out;
  CHECK_THAT(ascii, Catch::Contains("SPARK"));
  CHECK_THAT(ascii, Catch::Contains("upward"));
  CHECK(ascii.find_first_of("_.-~^", ascii.find("upward")) != std::string::npos);
}

TEST_CASE("summary: an empty or inverted range is a usage error", "[cli][summary]") {
  test::Sandbox box;
  seed(box);
  check_error(box.healthctl({"summary", "--since", "now", "--until", "now"}), 2, "--until is not after --since");
  check_error(box.healthctl({"summary", "--format", "yaml"}), 2, "unsupported format 'yaml' for summary");
}
