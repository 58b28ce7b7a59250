// The error contract: one line on stderr, `healthctl: error: <what> (<hint>)`,
// the documented exit code, and a database left as it was.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <unistd.h>

using test::check_error;
using test::slurp;

TEST_CASE("errors: usage errors exit 2 with a hint to --help", "[cli][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({}), 2, "no command given (see 'healthctl help')");
  check_error(box.healthctl({"frobnicate"}), 2,
              "unknown command 'frobnicate' (see 'healthctl --help')");
  check_error(box.healthctl({"record", "--bogus", "c", "n"}), 2, "unknown option '--bogus'");
  check_error(box.healthctl({"record"}), 2,
              "missing COMPONENT (usage: healthctl record [OPTIONS] COMPONENT NAME [VALUE...])");
  check_error(box.healthctl({"record", "c", "n", "-t", "histogram"}), 2, "histogram");
  const auto result = box.healthctl({"record", "--bogus", "c", "n"});
  CHECK_THAT(result.err, Catch::EndsWith("(see 'healthctl record --help')\n"));
  CHECK_FALSE(std::filesystem::exists(box.db()));
}

TEST_CASE("errors: malformed arguments exit 2 and name the value", "[cli][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({"record", "c", "n", "abc"}), 2,
              "invalid value 'abc' (give a finite number such as 42 or 0.25)");
  check_error(box.healthctl({"record", "c", "n", "nan"}), 2, "invalid value 'nan'");
  check_error(box.healthctl({"record", "c", "n", "5", "--at", "next tuesday"}), 2,
              "invalid time 'next tuesday'");
  check_error(box.healthctl({"record", "c", "n", "5", "--at", "-1y"}), 2, "-1y");
  check_error(box.healthctl({"record", "bad name", "n"}), 2,
              "component name 'bad name' has a character outside [A-Za-z0-9_.:-]");
  check_error(box.healthctl({"record", "c", "-n"}), 2, "");
  check_error(box.healthctl({"record", "c", "n", "-l", "novalue"}), 2, "label 'novalue' has no '='");
  check_error(box.healthctl({"record", "c", "n", "-t", "gauge"}), 2, "a gauge needs a VALUE");
  check_error(box.healthctl({"record", "c", "n", "--", "-1"}), 2,
              "a counter increment must not be negative");
  check_error(box.healthctl({"record", "c", "n", "1", "--unit", "per second"}), 2,
              "unit 'per second' is not valid");
  check_error(box.healthctl({"components", "--format", "xml"}), 2,
              "unsupported format 'xml' for components (use --format with one of: table, json, csv)");
}

TEST_CASE("errors: bad context JSON and type conflicts exit 65", "[cli][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({"record", "c", "n", "--context", "{oops"}), 65,
              "the context is not valid JSON");
  check_error(box.healthctl({"record", "c", "n", "--context", "[1]"}), 65,
              "the context must be a JSON object");
  REQUIRE(box.healthctl({"record", "database", "query_ms", "12", "-t", "timer"}).exit_code == 0);
  check_error(box.healthctl({"record", "database", "query_ms", "12", "-t", "gauge"}), 65,
              "series database/query_ms on node test-node is a timer, not a gauge (a series keeps "
              "the type it was first recorded with; use another name)");
  check_error(box.healthctl({"record", "database", "query_ms", "12", "-t", "timer", "--unit", "s"}),
              65, "has unit 'ms', not 's'");
}

namespace {

// A JSON value nested `depth` levels: {"a":[[...[1]...]]}.
std::string nested(std::size_t depth) {
  return "{\"a\":" + std::string(depth - 1, '[') + "1" + std::string(depth - 1, ']') + "}";
}

// The series the sandbox's database holds (0 when there is no database).
std::string series_count(const test::Sandbox& box) {
  const auto result = box.healthctl({"sql", "select count(*) from series_view", "--format", "csv"});
  return result.exit_code == 0 ? result.out : "no database";
}

} // namespace

TEST_CASE("errors: JSON nested deeper than 64 levels is refused with exit 65, never a crash",
          "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  const std::string before = series_count(box);
  // 60,000 levels overflowed the stack of a recursive parser (SIGSEGV).
  check_error(box.healthctl({"record", "c", "n", "--context", nested(60000)}), 65,
              "the context is nested deeper than 64 levels");
  check_error(box.healthctl({"record", "c", "n", "--context", nested(65)}), 65, "nested deeper than 64 levels");

  const std::string good = R"({"ts_ms":1700000000000,"component":"c","name":"n"})";
  const std::string deep_context = R"({"ts_ms":1700000000000,"component":"c","name":"n","context":)" + nested(60000) + "}";
  const std::string deep_line = R"({"ts_ms":1700000000000,"component":"c","name":"n","labels":)" + nested(60000) + "}";
  check_error(box.healthctl({"ingest", "--format", "ndjson"}, good + "\n" + deep_context + "\n"), 65,
              "<stdin>:2: the context is nested deeper than 64 levels");
  check_error(box.healthctl({"ingest", "--format", "ndjson"}, good + "\n\n" + deep_line + "\n"), 65,
              "<stdin>:3: the line is nested deeper than 64 levels");

  const std::string thresholds = "{\"thresholds\":[\n{\"component\":\"c\",\"metric\":\"n\",\n\"x\":" +
                                 nested(60000) + "}]}";
  check_error(box.healthctl({"threshold", "import", box.write_file("t.json", thresholds)}), 65,
              "t.json:3: nested deeper than 64 levels");
  CHECK(series_count(box) == before); // nothing was written

  // 64 levels are fine.
  CHECK(box.healthctl({"record", "c", "n", "--context", nested(64)}).exit_code == 0);
}

TEST_CASE("errors: control characters in a message are shown escaped, never sent to the terminal",
          "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  const auto result = box.healthctl({"export", "--since", "\x1b[31mRED\x7f\xc2\x9bX\tY"});
  check_error(result, 2, R"(invalid time '\x1b[31mRED\x7f\u009bX\x09Y')");
  CHECK(result.err.find('\x1b') == std::string::npos);
  CHECK(result.err.find('\x7f') == std::string::npos);
  CHECK(result.err.find("\xc2\x9b") == std::string::npos);
  // A stray byte (0x9b is CSI to a Latin-1 terminal) is escaped; whole
  // UTF-8 characters are kept.
  const auto stray = box.healthctl({"export", "--since", "caf\xc3\xa9 \x9b[31m \xe2\x82"});
  check_error(stray, 2, "invalid time 'caf\xc3\xa9 \\x9b[31m \\xe2\\x82'");
  CHECK(stray.err.find('\x9b') == std::string::npos);
}

TEST_CASE("errors: a time far in the future or outside 1970 to 9999 is refused", "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  check_error(box.healthctl({"record", "c", "n", "--at", "now+1h"}), 2,
              "is 1h in the future (more than 10m ahead: a clock running fast? --allow-future keeps it)");
  check_error(box.healthctl({"record", "c", "n", "--at", "1969-12-31"}), 2, "is before 1970-01-01");
  check_error(box.healthctl({"ingest", "--format", "ndjson"},
                            "{\"ts\":\"now+2h\",\"component\":\"c\",\"name\":\"n\"}\n"),
              65, "<stdin>:1: the time ");
  CHECK(series_count(box) == "count(*)\n0\n"); // nothing was written
  CHECK(box.healthctl({"record", "c", "n", "--at", "now+5m"}).exit_code == 0); // clock skew
  CHECK(box.healthctl({"record", "c", "n", "--at", "2030-01-01", "--allow-future"}).exit_code == 0);
  CHECK(box.healthctl({"ingest", "--format", "ndjson", "--allow-future"},
                      "{\"ts\":\"now+2h\",\"component\":\"c\",\"name\":\"n\"}\n")
            .exit_code == 0);
}

TEST_CASE("errors: text that is not UTF-8 is refused with exit 65, and JSON out stays valid", "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "hits"}).exit_code == 0);
  check_error(box.healthctl({"issue", "report", "web", "hits", "--severity", "warning", "--reason", "bad \xff byte"}),
              65, "the reason is not valid UTF-8");
  REQUIRE(box.healthctl({"issue", "report", "web", "hits", "--severity", "warning", "--reason", "ok"}).exit_code == 0);
  check_error(box.healthctl({"issue", "ack", "1", "--note", "bad \xff"}), 65, "the note is not valid UTF-8");
  REQUIRE(box.healthctl({"issue", "resolve", "1"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(), "DELETE FROM issue_events; DELETE FROM issues"}).exit_code == 0);
  check_error(box.healthctl({"threshold", "set", "web", "hits", "--warn", "10", "--description", "bad \xff"}), 65,
              "the description of web hits is not valid UTF-8");
  CHECK(box.healthctl({"issue", "list", "--status", "all", "--format", "json"}).out == "[]\n"); // nothing written

  // A file edited by hand still gives valid JSON: U+FFFD stands for the bad byte.
  REQUIRE(box.healthctl({"issue", "report", "web", "hits", "--severity", "warning", "--reason", "fine"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(), "UPDATE issues SET reason = 'bad ' || char(255) || x'ff'"}).exit_code == 0);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"status", "--format", "json"},
                                              {"issue", "list", "--format", "json"},
                                              {"sql", "select reason from issues", "--format", "json"},
                                              {"analyze", "--format", "json"}}) {
    const auto result = box.healthctl(args);
    INFO(args.front() << ": " << result.err);
    CHECK((result.exit_code == 0 || result.exit_code == 1));
    CHECK(result.err.find("json") == std::string::npos);
    CHECK_NOTHROW(nlohmann::json::parse(result.out));
  }
}

TEST_CASE("errors: read commands on a missing database exit 66", "[cli][errors]") {
  test::Sandbox box;
  for (const char* command : {"components", "metrics", "export", "summary"}) {
    check_error(box.healthctl({command}), 66,
                "no database at " + box.db() + " (record something first or run 'healthctl init')");
  }
  CHECK_FALSE(std::filesystem::exists(box.db()));
}

TEST_CASE("errors: a file that is not a healthctl database is refused untouched", "[cli][errors]") {
  test::Sandbox box;
  const auto text = box.write_file("notes.txt", std::string(8192, 'n'));
  check_error(box.healthctl({"--db", text, "record", "c", "n"}), 65,
              "the file is not an SQLite database");
  check_error(box.healthctl({"--db", text, "components"}), 65, "the file is not an SQLite database");
  CHECK(slurp(text) == std::string(8192, 'n'));

  const auto foreign = (box.dir() / "other.db").string();
  REQUIRE(box.run({"sqlite3", foreign, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"}).exit_code == 0);
  const auto before = slurp(foreign);
  check_error(box.healthctl({"--db", foreign, "init"}), 65, "is an SQLite database but not a healthctl one");
  CHECK(slurp(foreign) == before);
}

TEST_CASE("errors: a database from a newer healthctl is refused byte-identical", "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "c", "n"}).exit_code == 0);
  REQUIRE(box.run({"sqlite3", box.db(),
                   "INSERT INTO schema_version VALUES (999, 'future', 0); PRAGMA wal_checkpoint(TRUNCATE);"})
              .exit_code == 0);
  const auto before = slurp(box.db());
  check_error(box.healthctl({"record", "c", "n"}), 1,
              "has schema version 999, newer than this healthctl supports");
  check_error(box.healthctl({"export"}), 1, "(upgrade healthctl)");
  CHECK(slurp(box.db()) == before);
}

TEST_CASE("errors: a malformed environment variable is an error, not a default", "[cli][errors]") {
  test::Sandbox box;
  box.env["HEALTH_BUSY_TIMEOUT"] = "soon";
  check_error(box.healthctl({"record", "c", "n"}), 2, "HEALTH_BUSY_TIMEOUT='soon' is not a duration");
  box.env["HEALTH_BUSY_TIMEOUT"] = "250";
  CHECK(box.healthctl({"record", "c", "n"}).exit_code == 0);
  box.env["HEALTH_BUSY_TIMEOUT"] = "2s";
  CHECK(box.healthctl({"record", "c", "n"}).exit_code == 0);
  box.env["HEALTH_NODE_NAME"] = "bad node";
  check_error(box.healthctl({"record", "c", "n"}), 2,
              "node name 'bad node' has a character outside [A-Za-z0-9_.:-] (from HEALTH_NODE_NAME)");
  box.env["HEALTH_NODE_NAME"] = "web-1";
  box.env["HEALTH_SYNCHRONOUS"] = "sometimes";
  check_error(box.healthctl({"record", "c", "n"}), 2, "HEALTH_SYNCHRONOUS='sometimes'");
}

TEST_CASE("errors: the write lock held past the busy timeout exits 75 and writes nothing",
          "[cli][errors]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "c", "n"}).exit_code == 0);
  // sqlite3 holds the write lock for two seconds.
  const pid_t holder = box.start({"sqlite3", box.db()},
                                 ".timeout 5000\nBEGIN IMMEDIATE;\nINSERT INTO samples VALUES (1, 99, 0, 1);\n"
                                 ".shell sleep 2\nCOMMIT;\n");
  // Wait until it has the lock: a 1 ms busy timeout then fails at once.
  box.env["HEALTH_BUSY_TIMEOUT"] = "1";
  bool locked = false;
  for (int i = 0; i < 100 && !locked; ++i) {
    const auto probe = box.healthctl({"record", "c", "probe"});
    locked = probe.exit_code == 75;
    if (!locked) ::usleep(10000);
  }
  REQUIRE(locked);
  box.env["HEALTH_BUSY_TIMEOUT"] = "100ms";
  const auto result = box.healthctl({"record", "c", "n", "--at", "@5"});
  check_error(result, 75, "the database stayed locked past the busy timeout (another process holds "
                          "the write lock; retry later or raise HEALTH_BUSY_TIMEOUT)");
  box.finish(holder);
  box.env["HEALTH_BUSY_TIMEOUT"] = "5s";
  const auto rows = box.healthctl({"export", "--since", "@0", "--until", "@6", "--format", "csv"});
  CHECK(rows.out.find(",5000,") == std::string::npos);
}
