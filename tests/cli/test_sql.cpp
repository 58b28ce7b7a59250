// healthctl sql: read-only, parameters, formats, and the queries its man page
// shows.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

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

// Every file of the sandbox but the run files of the sandbox itself (run-N.*),
// with its bytes and modification time.
struct FileState {
  std::string bytes;
  std::filesystem::file_time_type modified;
  bool operator==(const FileState&) const = default;
};

std::map<std::string, FileState> files_of(const test::Sandbox& box) {
  std::map<std::string, FileState> files;
  for (const auto& entry : std::filesystem::directory_iterator(box.dir())) {
    const auto name = entry.path().filename().string();
    if (name.rfind("run-", 0) == 0) continue;
    files[name] = {test::slurp(entry.path().string()), entry.last_write_time()};
  }
  return files;
}

// The files as a reader of the WAL database must leave them: the -shm file is
// the readers' shared memory, which every read writes its marks into.
std::map<std::string, FileState> comparable(std::map<std::string, FileState> files) {
  if (auto shm = files.find("health.db-shm"); shm != files.end()) shm->second = {};
  return files;
}

// A sandbox holding one sample and, beside the database, another SQLite file
// in WAL mode (`other.db`) for ATTACH to aim at. The database has been read
// once, so its own -wal and -shm files are there as for any reader.
void prepare_escape_sandbox(const test::Sandbox& box) {
  REQUIRE(box.healthctl({"record", "db", "q", "5"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(), "PRAGMA wal_checkpoint(TRUNCATE);"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", (box.dir() / "other.db").string(),
                   "PRAGMA journal_mode = wal; CREATE TABLE t (x); INSERT INTO t VALUES (1);"})
              .exit_code == 0);
  REQUIRE_FALSE(std::filesystem::exists(box.dir() / "other.db-wal"));
  REQUIRE(box.healthctl({"sql", "SELECT 1"}).exit_code == 0);
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

TEST_CASE("sql: refuses writes with exit 1, bad queries with exit 2, and changes nothing", "[cli][sql]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "db", "q"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(), "PRAGMA wal_checkpoint(TRUNCATE);"}).exit_code == 0);
  const auto before = test::slurp(box.db());
  const std::vector<std::tuple<std::string, int, std::string>> refused{
      {"DELETE FROM samples", 1, "sql is read-only: DELETE from samples is not allowed (use record, "
                                 "ingest or the other commands to change data)"},
      {"UPDATE series SET name = 'x'", 1, "sql is read-only"},
      {"CREATE TABLE t (x)", 1, "sql is read-only"},
      {"PRAGMA user_version = 7", 1, "sql is read-only"},
      {"VACUUM", 1, "sql is read-only: the statement would change the database (use record, "
                    "ingest or the other commands to change data)"},
      {"SELECT 1; DELETE FROM samples", 2, "the query holds more than one statement (run one statement at a time)"},
      {"SELECT * FROM nope", 2, "SQL error: no such table: nope"},
      {"", 2, "the query is empty"},
      {"SELECT :x", 2, "parameter :x has no value (give it with -p x=VALUE)"},
      {"SELECT ?", 2, "the query has a '?' parameter"},
  };
  for (const auto& [query, code, message] : refused) {
    INFO(query);
    const auto result = box.healthctl({"sql", query});
    CHECK(result.exit_code == code);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::StartsWith("healthctl: error: " + message));
  }
  const auto unused = box.healthctl({"sql", "SELECT 1", "-p", "y=2"});
  CHECK(unused.err == "healthctl: error: the query has no parameter :y (name it in the query as :y)\n");
  const auto malformed = box.healthctl({"sql", "SELECT 1", "-p", "novalue"});
  CHECK(malformed.exit_code == 2);
  // ATTACH cannot create a file.
  const auto attach = box.healthctl({"sql", "ATTACH '" + (box.dir() / "new.db").string() + "' AS x"});
  CHECK(attach.exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(box.dir() / "new.db"));
  CHECK(test::slurp(box.db()) == before);

  const auto missing = box.healthctl({"--db", (box.dir() / "absent.db").string(), "sql", "SELECT 1"});
  CHECK(missing.exit_code == 66);
}

TEST_CASE("sql: refuses every way out of reading, exit 1 with what it refused, and no file changes", "[cli][sql]") {
  test::Sandbox box;
  prepare_escape_sandbox(box);
  const auto before = files_of(box);
  const std::string other = (box.dir() / "other.db").string();
  const std::string write_hint = "(use record, ingest or the other commands to change data)";
  const std::vector<std::tuple<std::string, int, std::string>> attempts{
      {"ATTACH DATABASE '" + other + "' AS x", 1, "ATTACH is not allowed (sql reads the one database of --db)"},
      {"ATTACH '" + (box.dir() / "new.db").string() + "' AS y", 1, "ATTACH is not allowed"},
      {"DETACH main", 1, "DETACH is not allowed"},
      {"PRAGMA writable_schema = 1", 1, "PRAGMA writable_schema is not allowed"},
      {"PRAGMA query_only = 0", 1, "PRAGMA query_only is not allowed"},
      {"PRAGMA journal_mode = delete", 1, "PRAGMA journal_mode is not allowed"},
      {"PRAGMA wal_checkpoint(TRUNCATE)", 1, "PRAGMA wal_checkpoint is not allowed"},
      {"PRAGMA user_version = 5", 1, "setting PRAGMA user_version is not allowed (read it without a value"},
      {"PRAGMA main.schema_version = 1", 1, "setting PRAGMA schema_version is not allowed"},
      {"PRAGMA foreign_keys = off", 1, "setting PRAGMA foreign_keys is not allowed"},
      {"SELECT * FROM pragma_journal_mode", 1, "PRAGMA journal_mode is not allowed"},
      {"SELECT fts3_tokenizer('simple')", 1, "the function fts3_tokenizer() is not allowed"},
      {"SELECT fts3_tokenizer('simple', x'4141414141414141')", 1, "the function fts3_tokenizer() is not allowed"},
      {"SELECT load_extension('x')", 1, "the function load_extension() is not allowed"},
      {"SELECT readfile('" + other + "')", 2, "SQL error: no such function: readfile"},
      {"INSERT INTO samples SELECT * FROM samples", 1, "INSERT into samples is not allowed " + write_hint},
      {"UPDATE series SET name = 'x'", 1, "UPDATE of series is not allowed"},
      {"DELETE FROM samples", 1, "DELETE from samples is not allowed"},
      {"EXPLAIN DELETE FROM samples", 1, "DELETE from samples is not allowed"},
      {"CREATE TABLE t (x)", 1, "changing the schema is not allowed " + write_hint},
      {"CREATE TEMP TABLE t (x)", 1, "changing the schema is not allowed"},
      {"CREATE TEMP VIEW v AS SELECT 1", 1, "changing the schema is not allowed"},
      {"CREATE VIRTUAL TABLE f USING fts4(body)", 1, "changing the schema is not allowed"},
      {"DROP VIEW samples_view", 1, "changing the schema is not allowed"},
      {"ALTER TABLE series ADD COLUMN z", 1, "changing the schema is not allowed"},
      {"VACUUM", 1, "the statement would change the database"},
      {"VACUUM INTO '" + (box.dir() / "copy.db").string() + "'", 1, "the statement would change the database"},
      {"REINDEX", 1, "REINDEX is not allowed"},
      {"ANALYZE", 1, "changing the schema is not allowed"}, // it would create sqlite_stat1
      {"BEGIN", 1, "BEGIN is not allowed (sql runs one statement, which needs no transaction)"},
      {"SAVEPOINT s", 1, "SAVEPOINT is not allowed"},
      {"RELEASE s", 1, "RELEASE is not allowed"},
  };
  for (const auto& [query, code, message] : attempts) {
    INFO(query);
    const auto result = box.healthctl({"sql", query});
    test::check_error(result, code, message);
    if (code == 1) CHECK_THAT(result.err, Catch::StartsWith("healthctl: error: sql is read-only: "));
    const auto after = files_of(box);
    CHECK(after.at("health.db") == before.at("health.db"));
    CHECK(after.at("other.db") == before.at("other.db"));
    CHECK(comparable(after) == comparable(before));
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"})
    CHECK_FALSE(std::filesystem::exists(other + suffix));
}

TEST_CASE("sql: reads, pragmas that read and table-valued functions still work", "[cli][sql]") {
  test::Sandbox box;
  prepare_escape_sandbox(box);
  const auto before = files_of(box);
  const std::vector<std::pair<std::string, std::string>> reads{
      {"SELECT component, name, value FROM samples_view", R"([{"component":"db","name":"q","value":5}])"},
      {"SELECT count(*) AS n FROM series_view", R"([{"n":1}])"},
      {"SELECT count(*) AS n FROM issues_view", R"([{"n":0}])"},
      {"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 4) SELECT sum(n) AS s FROM c",
       R"([{"s":10}])"},
      {"SELECT json_extract('{\"a\":[1,2]}', '$.a[1]') AS j, strftime('%Y-%m-%d', 86400, 'unixepoch') AS d, "
       "printf('%05.1f', 2.5) AS p, abs(-3) AS a, round(2.345, 2) AS r",
       R"([{"j":2,"d":"1970-01-02","p":"002.5","a":3,"r":2.35}])"},
      {"SELECT sum(value) AS s FROM json_each('[1,2,3]')", R"([{"s":6}])"},
      {"SELECT name FROM pragma_table_info('samples') WHERE name = 'ts_ms'", R"([{"name":"ts_ms"}])"},
      {"SELECT name FROM pragma_table_info('samples_view') WHERE name = 'ts'", R"([{"name":"ts"}])"},
      {"PRAGMA integrity_check", R"([{"integrity_check":"ok"}])"},
      {"PRAGMA quick_check", R"([{"quick_check":"ok"}])"},
      {"PRAGMA main.freelist_count", R"([{"freelist_count":0}])"},
  };
  for (const auto& [query, expected] : reads) {
    INFO(query);
    const auto result = box.healthctl({"sql", "--format", "json", query});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(json::parse(result.out) == json::parse(expected));
  }
  // Answers that depend on the SQLite build or the schema: they answer.
  for (const std::string query :
       {"EXPLAIN QUERY PLAN SELECT * FROM samples_view WHERE ts_ms > 0", "EXPLAIN SELECT 1",
        "PRAGMA table_info(samples)", "PRAGMA TABLE_XINFO = series", "PRAGMA index_list(series)",
        "PRAGMA foreign_key_list(samples)", "PRAGMA user_version", "PRAGMA schema_version", "PRAGMA page_count",
        "PRAGMA page_size", "PRAGMA compile_options", "PRAGMA function_list", "PRAGMA database_list",
        "SELECT * FROM pragma_user_version"}) {
    INFO(query);
    const auto result = box.healthctl({"sql", "--format", "json", query});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(json::parse(result.out).is_array());
  }
  CHECK(comparable(files_of(box)) == comparable(before));
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

TEST_CASE("sql: the table streams, its widths from the first 1000 rows", "[cli][sql]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "app", "requests"}).exit_code == 0);
  // y has 10 digits up to x = 1000 and 11 from x = 2155 on.
  const auto result = box.healthctl({"sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000) "
                                            "SELECT x * x * x AS y, x FROM c"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = result.out.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(result.out.substr(start, end - start));
  REQUIRE(lines.size() == 3001);
  CHECK(lines[0] == "y           x");
  CHECK(lines[1] == "1           1");
  CHECK(lines[1000] == "1000000000  1000");
  CHECK(lines[3000] == "27000000000  3000");
}
