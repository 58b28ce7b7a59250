// healthctl sql: read-only, parameters, formats, and the queries its man page
// shows.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iterator>

using nlohmann::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The quoted query of the man page example that follows the line holding
// `marker`, as a reader would copy it.
std::string example_query(const std::string& marker) {
  const std::string page = test::slurp(std::string(MAN_DIR) + "/healthctl-sql.1");
  const auto start = page.find(marker);
  REQUIRE(start != std::string::npos);
  const auto open = page.find('"', start);
  const auto close = page.find("\"\n", open + 1);
  std::string query = page.substr(open + 1, close - open - 1);
  // mdoc escapes a backslash as \e; the examples hold none, but keep honest.
  REQUIRE(query.find("\\e") == std::string::npos);
  return query;
}

} // namespace

TEST_CASE("sql: reads the views with parameters in every format", "[cli][sql]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "db", "q", "5", "-t", "timer", "--at", "@100"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "q", "7.5", "-t", "timer", "--at", "@200", "--context", "{\"u\":1}"}).exit_code == 0);
  const std::vector<std::string> query{"sql", "SELECT ts, ts_ms, name, value, context FROM samples_view "
                                              "WHERE value > :min ORDER BY ts_ms", "-p", "min=1"};
  auto args = query;
  const auto table = box.healthctl(args);
  CHECK(table.exit_code == 0);
  CHECK(table.out == "ts                        ts_ms   name  value  context\n"
                     "1970-01-01T00:01:40.000Z  100000  q     5      NULL\n"
                     "1970-01-01T00:03:20.000Z  200000  q     7.5    {\"u\":1}\n");
  args.insert(args.end(), {"--format", "json"});
  CHECK(json::parse(box.healthctl(args).out) == json::parse(R"([
    {"ts":"1970-01-01T00:01:40.000Z","ts_ms":100000,"name":"q","value":5,"context":null},
    {"ts":"1970-01-01T00:03:20.000Z","ts_ms":200000,"name":"q","value":7.5,"context":"{\"u\":1}"}])"));
  args.back() = "ndjson";
  CHECK(box.healthctl(args).out ==
        "{\"ts\":\"1970-01-01T00:01:40.000Z\",\"ts_ms\":100000,\"name\":\"q\",\"value\":5,\"context\":null}\n"
        "{\"ts\":\"1970-01-01T00:03:20.000Z\",\"ts_ms\":200000,\"name\":\"q\",\"value\":7.5,\"context\":\"{\\\"u\\\":1}\"}\n");
  args.back() = "csv";
  CHECK(box.healthctl(args).out == "ts,ts_ms,name,value,context\n"
                                   "1970-01-01T00:01:40.000Z,100000,q,5,\n"
                                   "1970-01-01T00:03:20.000Z,200000,q,7.5,\"{\"\"u\"\":1}\"\n");
  // Text parameters bind as text, numbers as numbers.
  CHECK(box.healthctl({"sql", "SELECT count(*) AS n FROM series_view WHERE component = :c", "-p", "c=db",
                       "--format", "csv"}).out == "n\n1\n");
  CHECK(box.healthctl({"sql", "SELECT typeof(:a) AS a, typeof(:b) AS b, typeof(:c) AS c", "-p", "a=12",
                       "-p", "b=1.5", "-p", "c=x1", "--format", "csv"}).out == "a,b,c\ninteger,real,text\n");
  CHECK(box.healthctl({"sql", "SELECT x'00ff' AS blob", "--format", "csv"}).out == "blob\nx'00ff'\n");
}

TEST_CASE("sql: refuses writes and bad queries, and changes nothing", "[cli][sql]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "db", "q"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(), "PRAGMA wal_checkpoint(TRUNCATE);"}).exit_code == 0);
  const auto before = test::slurp(box.db());
  const std::vector<std::pair<std::string, std::string>> refused{
      {"DELETE FROM samples", "sql is read-only: the statement would change the database (use record, "
                              "ingest or the other commands to change data)"},
      {"UPDATE series SET name = 'x'", "sql is read-only"},
      {"CREATE TABLE t (x)", "sql is read-only"},
      {"PRAGMA user_version = 7", "sql is read-only"},
      {"VACUUM", "sql is read-only"},
      {"SELECT 1; DELETE FROM samples", "the query holds more than one statement (run one statement at a time)"},
      {"SELECT * FROM nope", "SQL error: no such table: nope"},
      {"", "the query is empty"},
      {"SELECT :x", "parameter :x has no value (give it with -p x=VALUE)"},
      {"SELECT ?", "the query has a '?' parameter"},
  };
  for (const auto& [query, message] : refused) {
    INFO(query);
    const auto result = box.healthctl({"sql", query});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::StartsWith("healthctl: error: " + message));
  }
  const auto unused = box.healthctl({"sql", "SELECT 1", "-p", "y=2"});
  CHECK(unused.err == "healthctl: error: the query has no parameter :y (name it in the query as :y)\n");
  const auto malformed = box.healthctl({"sql", "SELECT 1", "-p", "novalue"});
  CHECK(malformed.exit_code == 2);
  // ATTACH cannot create a file through a read-only connection.
  const auto attach = box.healthctl({"sql", "ATTACH '" + (box.dir() / "new.db").string() + "' AS x"});
  CHECK(attach.exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(box.dir() / "new.db"));
  CHECK(test::slurp(box.db()) == before);

  const auto missing = box.healthctl({"--db", (box.dir() / "absent.db").string(), "sql", "SELECT 1"});
  CHECK(missing.exit_code == 66);
}

TEST_CASE("sql: the man page's example queries answer their questions", "[cli][sql]") {
  test::Sandbox box;
  const std::int64_t day = 86400000;
  const std::int64_t yesterday_10h = (now_ms() / day - 1) * day + 10 * 3600000;
  std::string ndjson;
  for (int v = 1; v <= 100; ++v)
    ndjson += "{\"ts_ms\":" + std::to_string(yesterday_10h + v * 1000) +
              ",\"component\":\"database\",\"name\":\"query_ms\",\"type\":\"timer\",\"value\":" +
              std::to_string(v) + "}\n";
  const std::int64_t now = now_ms();
  // (component, errors, minutes ago): the last one is older than a week.
  for (const auto& [component, value, minutes] :
       std::vector<std::tuple<std::string, int, std::int64_t>>{{"db", 1, 1}, {"db", 2, 2}, {"db", 3, 3},
                                                               {"web", 4, 1}, {"web", 100, 8 * 24 * 60}}) {
    ndjson += "{\"ts_ms\":" + std::to_string(now - minutes * 60000) +
              ",\"component\":\"" + component + "\",\"name\":\"errors\",\"value\":" + std::to_string(value) + "}\n";
  }
  REQUIRE(box.healthctl({"ingest", "-q"}, ndjson).exit_code == 0);

  const auto p95 = box.healthctl({"sql", "--format", "json", example_query("p95 latency per hour yesterday")});
  INFO(p95.err);
  REQUIRE(p95.exit_code == 0);
  const auto hours = json::parse(p95.out);
  REQUIRE(hours.size() == 1);
  CHECK(hours[0]["p95"] == 95);
  CHECK(hours[0]["hour"].get<std::string>().substr(10) == "T10:00Z");

  const auto errors = box.healthctl({"sql", "--format", "json", example_query("Error counts by component")});
  INFO(errors.err);
  REQUIRE(errors.exit_code == 0);
  CHECK(json::parse(errors.out) == json::parse(R"([{"component":"db","errors":6},{"component":"web","errors":4}])"));
}
