// The commands of the first wave, end to end: what they print, what they
// store, and how flags, environment and defaults combine.

#include "checks.hpp"
#include "process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <sys/stat.h>

using nlohmann::json;
using test::check_error;

namespace {

// Every sample in the database as parsed NDJSON export lines.
// `extra` may override the default range of everything.
std::vector<json> export_all(const test::Sandbox& box, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"export"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto given = [&](const char* flag) { return std::find(extra.begin(), extra.end(), flag) != extra.end(); };
  if (!given("--since")) args.insert(args.end(), {"--since", "@0"});
  if (!given("--until")) args.insert(args.end(), {"--until", "now+1d"});
  const auto result = box.healthctl(args);
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.err.empty());
  std::vector<json> rows;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
  return rows;
}

} // namespace

TEST_CASE("commands: --version and --help", "[cli]") {
  test::Sandbox box;
  const auto version = box.healthctl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("healthctl "));
  CHECK(box.healthctl({"-V"}).out == version.out);
  const auto help = box.healthctl({"--help"});
  CHECK(help.exit_code == 0);
  for (const char* command : {"init", "record", "ingest", "components", "metrics", "export"})
    CHECK_THAT(help.out, Catch::Contains(command));
  const auto record_help = box.healthctl({"record", "--help"});
  CHECK(record_help.exit_code == 0);
  CHECK_THAT(record_help.out, Catch::Contains("--context"));
}

TEST_CASE("commands: init creates a private database and reports it", "[cli]") {
  test::Sandbox box;
  box.env.erase("HEALTH_DB_PATH");
  const auto first = box.healthctl({"init", "--format", "json"});
  REQUIRE(first.exit_code == 0);
  const auto doc = json::parse(first.out);
  const std::string expected = (box.dir() / ".local/state/healthctl/health.db").string();
  CHECK(doc["path"] == expected);
  CHECK(doc["created"] == true);
  CHECK(doc["schema_version"].get<int>() >= 2);
  struct stat info {};
  REQUIRE(::stat(expected.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  const auto again = box.healthctl({"init"});
  CHECK(again.exit_code == 0);
  CHECK(again.out == expected + "\nschema version " + std::to_string(doc["schema_version"].get<int>()) + "\n");
  CHECK(box.healthctl({"-q", "init"}).out.empty());

  box.env["XDG_STATE_HOME"] = (box.dir() / "state").string();
  const auto xdg = json::parse(box.healthctl({"init", "--format", "json"}).out);
  CHECK(xdg["path"] == (box.dir() / "state/healthctl/health.db").string());
}

TEST_CASE("commands: flags beat environment, environment beats defaults", "[cli]") {
  test::Sandbox box;
  const auto other = (box.dir() / "flag.db").string();
  REQUIRE(box.healthctl({"record", "c", "from_env"}).exit_code == 0);
  REQUIRE(box.healthctl({"--db", other, "record", "c", "from_flag", "--node", "flag-node"}).exit_code == 0);
  const auto env_rows = export_all(box);
  REQUIRE(env_rows.size() == 1);
  CHECK(env_rows[0]["name"] == "from_env");
  CHECK(env_rows[0]["node"] == "test-node");
  const auto flag_rows = export_all(box, {"--db", other});
  REQUIRE(flag_rows.size() == 1);
  CHECK(flag_rows[0]["node"] == "flag-node");
}

TEST_CASE("commands: record stores each type as given and prints nothing", "[cli]") {
  test::Sandbox box;
  const auto quiet = box.healthctl({"record", "webserver", "requests"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  REQUIRE(box.healthctl({"record", "webserver", "requests", "3", "-l", "route=/api", "-l", "method=GET"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "database", "query_ms", "45.7", "-t", "timer", "--at",
                         "2025-01-15T10:30:00.123Z", "--context", "{\"user_id\": \"u1\"}"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "system", "temp", "-t", "gauge", "--unit", "C", "--", "-5.5"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "jobs", "backup_s", "93", "-t", "rolling", "--unit", "s", "--at", "-10m"}).exit_code == 0);

  const auto rows = export_all(box);
  REQUIRE(rows.size() == 5);
  // Ordered by component, name, labels: database, jobs, system, webserver x2.
  CHECK(rows[0] == json::parse(R"({"ts":"2025-01-15T10:30:00.123Z","ts_ms":1736937000123,
        "node":"test-node","component":"database","name":"query_ms","labels":{},"type":"timer",
        "unit":"ms","value":45.7,"context":{"user_id":"u1"}})"));
  CHECK(rows[1]["type"] == "rolling");
  CHECK(rows[1]["unit"] == "s");
  CHECK(rows[2]["value"] == -5.5);
  CHECK(rows[3]["labels"] == json::object());
  CHECK(rows[3]["value"] == 1);
  CHECK(rows[4]["labels"] == json::parse(R"({"method":"GET","route":"/api"})"));
  CHECK(rows[4]["value"] == 3);

  const auto verbose = box.healthctl({"-v", "record", "webserver", "requests"});
  CHECK_THAT(verbose.err, Catch::StartsWith("healthctl: recorded webserver/requests at "));
}

TEST_CASE("commands: record takes several samples in one call, one transaction", "[cli]") {
  test::Sandbox box;
  const auto run = box.healthctl({"record", "web", "requests", "latency_ms=41.7:timer", "errors=0",
                                  "size=12:gauge:bytes", "--at", "2025-01-15T10:30:00Z", "-l", "route=/api"});
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.empty());
  CHECK(run.err.empty());
  const auto rows = export_all(box);
  REQUIRE(rows.size() == 4); // by name: errors, latency_ms, requests, size
  for (const auto& row : rows) {
    CHECK(row["ts"] == "2025-01-15T10:30:00.000Z");
    CHECK(row["labels"] == json::parse(R"({"route":"/api"})"));
  }
  CHECK(rows[0]["name"] == "errors");
  CHECK(rows[0]["type"] == "counter");
  CHECK(rows[0]["value"] == 0);
  CHECK(rows[1]["type"] == "timer");
  CHECK(rows[1]["unit"] == "ms");
  CHECK(rows[1]["value"] == 41.7);
  CHECK(rows[2]["value"] == 1); // a bare NAME counts one
  CHECK(rows[3]["type"] == "gauge");
  CHECK(rows[3]["unit"] == "bytes");
  // -t and --unit are the default of every sample without its own.
  REQUIRE(box.healthctl({"record", "disk", "used=71.5", "free=28.5", "-t", "gauge", "--unit", "percent"}).exit_code == 0);
  const auto disk = export_all(box, {"-c", "disk"});
  REQUIRE(disk.size() == 2);
  CHECK(disk[0]["type"] == "gauge");
  CHECK(disk[1]["unit"] == "percent");
  // The classic form is unchanged: NAME then a plain number is that sample's value.
  REQUIRE(box.healthctl({"record", "web", "requests", "5"}).exit_code == 0);
  const auto requests = export_all(box, {"-c", "web", "-m", "requests"});
  REQUIRE(requests.size() == 2);
  CHECK(requests[0]["labels"] == json::object()); // no labels sort first
  CHECK(requests[0]["value"] == 5);
}

TEST_CASE("commands: a bad sample among several writes none of them, and is named", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "latency_ms", "40", "-t", "timer"}).exit_code == 0);
  const auto count = [&] { return export_all(box).size(); };
  check_error(box.healthctl({"record", "web", "a=1", "b=x"}), 2, "sample 2 (b): invalid value 'x'");
  check_error(box.healthctl({"record", "web", "a=1", "b=-1"}), 2,
              "sample 2 (b): a counter increment must not be negative");
  check_error(box.healthctl({"record", "web", "a=1", "b=2:foo"}), 2, "'b=2:foo': unknown type 'foo'");
  check_error(box.healthctl({"record", "web", "a=1", "b="}), 2, "'b=' has no value");
  check_error(box.healthctl({"record", "web", "b", "a=1", "-t", "gauge"}), 2, "sample 1 (b): a gauge needs a VALUE");
  // Only the first may be a bare NAME: a mistyped value is never taken for a metric.
  check_error(box.healthctl({"record", "web", "a=1", "b"}), 2, "'b' is not NAME=VALUE[:TYPE[:UNIT]]");
  check_error(box.healthctl({"record", "web", "a", "b=1", "c"}), 2, "'c' is not NAME=VALUE[:TYPE[:UNIT]]");
  check_error(box.healthctl({"record", "web", "a", "oops"}), 2, "invalid value 'oops'");
  check_error(box.healthctl({"record", "web", "a=1", "bad name=2"}), 2, "sample 2 (bad name): ");
  // A type conflict shows only inside the transaction: it is rolled back.
  check_error(box.healthctl({"record", "web", "a=1", "latency_ms=3:gauge"}), 65,
              "sample 2 (latency_ms): series web/latency_ms on node test-node is a timer, not a gauge");
  check_error(box.healthctl({"record", "web", "requests", "5", "extra"}), 2,
              "unexpected argument 'extra' (usage: healthctl record [OPTIONS] COMPONENT NAME [VALUE...])");
  CHECK(count() == 1);
}

TEST_CASE("commands: components and metrics list what is stored", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "database", "query_ms", "10", "-t", "timer", "--at", "@100"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "database", "query_ms", "30", "-t", "timer", "--at", "@200"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "database", "errors", "--at", "@150"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "web", "requests", "--at", "@300", "-l", "route=/"}).exit_code == 0);

  // A warning on web makes it degraded; database stays healthy.
  REQUIRE(box.healthctl({"issue", "report", "web", "requests", "--severity", "warning", "--reason", "slow"})
              .exit_code == 0);
  const auto components = json::parse(box.healthctl({"components", "--format", "json"}).out);
  CHECK(components == json::parse(R"([
    {"component":"database","series":2,"samples":3,"first_seen":"1970-01-01T00:01:40.000Z","last_seen":"1970-01-01T00:03:20.000Z","status":"healthy"},
    {"component":"web","series":1,"samples":1,"first_seen":"1970-01-01T00:05:00.000Z","last_seen":"1970-01-01T00:05:00.000Z","status":"degraded"}])"));
  const auto table = box.healthctl({"components"});
  CHECK(table.out ==
        "COMPONENT  SERIES  SAMPLES  FIRST_SEEN                LAST_SEEN                 STATUS\n"
        "database   2       3        1970-01-01T00:01:40.000Z  1970-01-01T00:03:20.000Z  healthy\n"
        "web        1       1        1970-01-01T00:05:00.000Z  1970-01-01T00:05:00.000Z  degraded\n");
  CHECK(box.healthctl({"components", "--format", "csv"}).out ==
        "component,series,samples,first_seen,last_seen,status\n"
        "database,2,3,1970-01-01T00:01:40.000Z,1970-01-01T00:03:20.000Z,healthy\n"
        "web,1,1,1970-01-01T00:05:00.000Z,1970-01-01T00:05:00.000Z,degraded\n");

  const auto metrics = json::parse(box.healthctl({"metrics", "--format", "json", "-c", "database"}).out);
  REQUIRE(metrics.size() == 2);
  CHECK(metrics[1] == json::parse(R"({"node":"test-node","component":"database","name":"query_ms",
        "labels":{},"type":"timer","unit":"ms","count":2,"first":"1970-01-01T00:01:40.000Z",
        "last":"1970-01-01T00:03:20.000Z","last_value":30})"));
  const auto all = json::parse(box.healthctl({"metrics", "--format", "json", "-c", "database,web"}).out);
  CHECK(all.size() == 3);
  CHECK(all[2]["labels"] == json::parse(R"({"route":"/"})"));
  const auto metrics_table = box.healthctl({"metrics"});
  CHECK_THAT(metrics_table.out, Catch::StartsWith("COMPONENT  NAME      LABELS   NODE"));
  CHECK_THAT(metrics_table.out, Catch::Contains("web        requests  route=/  test-node  counter  -     1"));
}

TEST_CASE("commands: export filters and formats", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "db", "q", "1", "-t", "gauge", "--at", "@10"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "q", "2", "-t", "gauge", "--at", "@20"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "e", "--at", "@15", "-l", "kind=io"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "web", "q", "1", "-t", "gauge", "--at", "@15", "--node", "web-2"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "ctx", "--at", "@15", "--context", "{\"a\":\"x,\\\"y\\\"\"}"}).exit_code == 0);

  // Half-open range: since included, until excluded.
  CHECK(export_all(box, {"--since", "@10", "--until", "@20", "-m", "q"}).size() == 2);
  const auto range = box.healthctl({"export", "--since", "@10", "--until", "@20", "-m", "q", "-c", "db"});
  CHECK(range.out.find("\"ts_ms\":10000") != std::string::npos);
  CHECK(range.out.find("\"ts_ms\":20000") == std::string::npos);
  CHECK(export_all(box, {"-c", "web"}).size() == 1);
  CHECK(export_all(box, {"-l", "kind=io"}).size() == 1);
  CHECK(export_all(box, {"--node", "web-2"}).size() == 1);
  CHECK(export_all(box, {"-m", "q,e"}).size() == 4);

  const auto csv = box.healthctl({"export", "--since", "@0", "--until", "@16", "-c", "db", "--format", "csv"});
  CHECK(csv.out ==
        "ts,ts_ms,node,component,name,labels,type,unit,value,context\n"
        "1970-01-01T00:00:15.000Z,15000,test-node,db,ctx,,counter,,1,\"{\"\"a\"\":\"\"x,\\\"\"y\\\"\"\"\"}\"\n"
        "1970-01-01T00:00:15.000Z,15000,test-node,db,e,kind=io,counter,,1,\n"
        "1970-01-01T00:00:10.000Z,10000,test-node,db,q,,gauge,,1,\n");
  const auto tsv = box.healthctl({"export", "--since", "@0", "--until", "@16", "-m", "e", "--format", "tsv"});
  CHECK(tsv.out ==
        "ts\tts_ms\tnode\tcomponent\tname\tlabels\ttype\tunit\tvalue\tcontext\n"
        "1970-01-01T00:00:15.000Z\t15000\ttest-node\tdb\te\tkind=io\tcounter\t\t1\t\n");
  const auto backwards = box.healthctl({"export", "--since", "@20", "--until", "@10"});
  CHECK(backwards.exit_code == 2);
  CHECK_THAT(backwards.err, Catch::Contains("--until is before --since"));
}

TEST_CASE("commands: ingest from files and stdin, and its summary", "[cli]") {
  test::Sandbox box;
  const auto csv = box.write_file("batch.csv", "ts,component,name,type,value\n"
                                               "2025-01-15T10:00:00Z,db,q,gauge,1.5\n"
                                               "2025-01-15T10:01:00Z,db,q,gauge,2.5\n");
  const auto result = box.healthctl({"ingest", csv});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ingested 2 samples into 1 series (1 new) from 3 lines in 1 batch\n");
  const auto piped = box.healthctl({"ingest", "--format", "ndjson"},
                                   "{\"ts_ms\":1,\"component\":\"db\",\"name\":\"c\"}\n");
  CHECK(piped.out == "ingested 1 samples into 1 series (1 new) from 1 lines in 1 batch\n");
  const auto dash = box.healthctl({"ingest", "-", "-q"}, "{\"ts_ms\":2,\"component\":\"db\",\"name\":\"c\"}\n");
  CHECK(dash.exit_code == 0);
  CHECK(dash.out.empty());
  CHECK(export_all(box).size() == 4);

  const auto missing = box.healthctl({"ingest", "nope.csv"});
  CHECK(missing.exit_code == 66);
  CHECK(missing.err == "healthctl: error: cannot open nope.csv (check the file name and its permissions)\n");
  const auto wrong_format = box.healthctl({"ingest", "--format", "influx"}, "");
  CHECK(wrong_format.exit_code == 2);
}

TEST_CASE("commands: ingest is all or nothing and names file:line", "[cli]") {
  test::Sandbox box;
  std::string text = "ts_ms,component,name,value\n";
  for (int i = 0; i < 500; ++i) text += std::to_string(i) + ",db,c,1\n";
  text += "500,db,c,-1\n";
  for (int i = 501; i < 1000; ++i) text += std::to_string(i) + ",db,c,1\n";
  const auto file = box.write_file("bad.csv", text);
  const auto result = box.healthctl({"ingest", file});
  CHECK(result.exit_code == 65);
  CHECK(result.out.empty());
  CHECK(result.err == "healthctl: error: " + file +
                          ":502: a counter increment must not be negative (nothing was written)\n");
  const auto components = box.healthctl({"components", "--format", "json"});
  CHECK(components.out == "[]\n");

  const auto batched = box.healthctl({"ingest", "--batch-size", "100", file});
  CHECK(batched.exit_code == 65);
  CHECK_THAT(batched.err, Catch::EndsWith("(500 samples in 5 batches were committed before this)\n"));
  CHECK(export_all(box).size() == 500);
}

TEST_CASE("commands: ingest --dry-run writes nothing and creates nothing", "[cli]") {
  test::Sandbox box;
  const std::string input = "{\"ts_ms\":1,\"component\":\"db\",\"name\":\"c\"}\n";
  const auto dry = box.healthctl({"ingest", "--dry-run"}, input);
  CHECK(dry.exit_code == 0);
  CHECK(dry.out == "checked 1 samples in 1 series from 1 lines (dry run: nothing written)\n");
  CHECK_FALSE(std::filesystem::exists(box.db()));
  const auto bad = box.healthctl({"ingest", "--dry-run"}, "{\"ts_ms\":1}\n");
  CHECK(bad.exit_code == 65);
  CHECK(bad.err == "healthctl: error: <stdin>:1: empty component name (dry run: nothing was written)\n");
}

TEST_CASE("commands: an export re-ingested into a new file gives the same samples", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "db", "q", "0.1", "-t", "timer", "--at", "@1.5", "--context", "{\"s\":\"a;b,c\\n\"}"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "q", "0.1", "-t", "timer", "--at", "@1.5"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "db", "n", "-l", "k=semi;colon", "--at", "@2"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "sys", "g", "1e300", "-t", "gauge", "--unit", "%", "--node", "other"}).exit_code == 0);
  for (const char* format : {"csv", "ndjson", "tsv", "json"}) {
    INFO(format);
    const auto dump = box.healthctl({"export", "--since", "@0", "--until", "now+1d", "--format", format});
    REQUIRE(dump.exit_code == 0);
    const auto copy = (box.dir() / (std::string("copy-") + format + ".db")).string();
    const auto ingested = box.healthctl({"--db", copy, "ingest", "--format", format}, dump.out);
    INFO(ingested.err);
    REQUIRE(ingested.exit_code == 0);
    CHECK(ingested.out == "ingested 4 samples into 3 series (3 new) from " +
                              std::string(format == std::string("csv") || format == std::string("tsv") ? "5" : "4") +
                              " lines in 1 batch\n");
    CHECK(export_all(box, {"--db", copy}) == export_all(box));
    // The same export again: every row is there already, nothing doubles.
    const auto again = box.healthctl({"--db", copy, "ingest", "--format", format}, dump.out);
    CHECK_THAT(again.out, Catch::StartsWith("ingested 0 samples into 3 series (0 new)"));
    CHECK_THAT(again.out, Catch::EndsWith("; skipped 4 duplicates\n"));
    CHECK(export_all(box, {"--db", copy}) == export_all(box));
  }
  // By the file's extension.
  const auto json_file = box.write_file("dump.json", box.healthctl({"export", "--since", "@0", "--format", "json"}).out);
  const auto by_name = box.healthctl({"--db", (box.dir() / "by-name.db").string(), "ingest", json_file});
  CHECK(by_name.out == "ingested 4 samples into 3 series (3 new) from 4 lines in 1 batch\n");
}

TEST_CASE("commands: merging another node's export twice doubles nothing, and a new value in a taken millisecond is kept",
          "[cli]") {
  test::Sandbox box;
  const auto other = (box.dir() / "other.db").string();
  REQUIRE(box.healthctl({"--db", other, "--node", "web2", "record", "api", "requests", "--at", "@100"}).exit_code == 0);
  REQUIRE(box.healthctl({"--db", other, "--node", "web2", "record", "api", "requests", "--at", "@160"}).exit_code == 0);
  REQUIRE(box.healthctl({"--node", "web1", "record", "api", "requests", "--at", "@100"}).exit_code == 0);
  const auto dump = box.healthctl({"--db", other, "export", "--since", "@0", "--format", "ndjson"}).out;
  CHECK(box.healthctl({"ingest"}, dump).out == "ingested 2 samples into 1 series (1 new) from 2 lines in 1 batch\n");
  CHECK(box.healthctl({"ingest"}, dump).out ==
        "ingested 0 samples into 1 series (0 new) from 2 lines in 1 batch; skipped 2 duplicates\n");
  const auto counts = box.healthctl({"sql", "--format", "csv", "SELECT node, count(*) FROM samples_view GROUP BY node"});
  CHECK(counts.out == "node,count(*)\nweb1,1\nweb2,2\n");
  // The same millisecond and place with another value is a sample of its own.
  const std::string changed = R"({"ts_ms":100000,"node":"web2","component":"api","name":"requests","value":5})" "\n";
  CHECK(box.healthctl({"ingest"}, changed).out == "ingested 1 samples into 1 series (0 new) from 1 lines in 1 batch\n");
  CHECK(box.healthctl({"ingest"}, changed).out ==
        "ingested 0 samples into 1 series (0 new) from 1 lines in 1 batch; skipped 1 duplicate\n");
}

TEST_CASE("commands: ingest --format json refuses buckets and documents that are not an export", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "api", "requests", "--at", "@100"}).exit_code == 0);
  const auto buckets = box.healthctl({"export", "--since", "@0", "--step", "1h", "--format", "json"}).out;
  check_error(box.healthctl({"ingest", "--format", "json"}, buckets), 65,
              "<stdin>: a bucketed export (step \"1h\") holds buckets, not samples");
  check_error(box.healthctl({"ingest", "--format", "json"}, "[1,2]"), 65, "<stdin>: not a JSON object");
  check_error(box.healthctl({"ingest", "--format", "json"}, R"({"components":{"api":{"series":[{"name":"x"}]}}})"), 65,
              "<stdin>: series api/x: \"node\" is missing or of the wrong type");
  const std::string bad_row =
      R"({"components":{"api":{"series":[{"name":"x","node":"n","labels":{},"type":"gauge","unit":"",)"
      R"("columns":["ts","value"],"rows":[["2025-01-01T00:00:00Z",1],["yesterday-ish",2]]}]}}})";
  check_error(box.healthctl({"ingest", "--format", "json"}, bad_row), 65,
              "<stdin>: series api/x, row 2: invalid time 'yesterday-ish' in ts (nothing was written)");
  CHECK(box.healthctl({"sql", "--format", "csv", "SELECT count(*) FROM samples_view"}).out == "count(*)\n1\n");
}

TEST_CASE("commands: 16 processes recording at once all succeed", "[cli][concurrency]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  constexpr int k_writers = 16;
  constexpr int k_records = 25;
  std::vector<pid_t> writers;
  for (int w = 0; w < k_writers; ++w) {
    const std::string script = "i=0; while [ $i -lt " + std::to_string(k_records) + " ]; do \"$0\" record "
                               "load writer_" + std::to_string(w) + " || exit 1; i=$((i+1)); done";
    writers.push_back(box.start({"sh", "-c", script, test::healthctl_path()}));
  }
  for (const pid_t pid : writers) {
    const auto result = box.finish(pid);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
  const auto components = json::parse(box.healthctl({"components", "--format", "json"}).out);
  REQUIRE(components.size() == 1);
  CHECK(components[0]["samples"] == k_writers * k_records);
  CHECK(components[0]["series"] == k_writers);
}

TEST_CASE("commands: --format is checked by every command, naming the formats it has", "[cli]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "requests"}).exit_code == 0);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"record", "web", "requests"}, "record (use --format with one of: text)"},
      {{"maintain"}, "maintain (use --format with one of: text, json)"},
      {{"threshold", "set", "web", "requests", "--warn", "5"}, "threshold set (use --format with one of: text)"},
      {{"threshold", "rm", "web", "requests"}, "threshold rm (use --format with one of: text)"},
      {{"threshold", "export"}, "threshold export (use --format with one of: json)"},
      {{"backup", "prune"}, "backup prune (use --format with one of: text)"},
      {{"backup", "verify", "x.db"}, "backup verify (use --format with one of: text)"},
      {{"backup", "restore", "now", "--yes"}, "backup restore (use --format with one of: text)"},
  };
  const auto before = test::slurp(box.db()) + test::slurp(box.db() + "-wal");
  for (const auto& [args, what] : cases) {
    auto with_format = args;
    with_format.insert(with_format.end(), {"--format", "yaml"});
    INFO(with_format.front());
    test::check_error(box.healthctl(with_format), 2, "unsupported format 'yaml' for " + what);
  }
  CHECK(test::slurp(box.db()) + test::slurp(box.db() + "-wal") == before); // refused before any write
  const auto maintained = box.healthctl({"maintain", "--format", "json", "-q"});
  CHECK(maintained.exit_code == 0);
  CHECK(json::parse(maintained.out)["ok"] == true); // json is printed even with -q
}
