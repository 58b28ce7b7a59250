// Product bugs the hostile suite found, each kept as the test that failed
// before its fix, with the command line that showed it. A bug found later
// and not yet fixed goes here tagged [!mayfail] (and Tally::run_case's
// `known` counts the seeded cases that hit it apart) until it is fixed.

#include "checks.hpp"
#include "hostile.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sys/stat.h>

namespace {

// Counts the samples in the sandbox's database.
std::string sample_count(const test::Sandbox& box) {
  return box.healthctl({"sql", "SELECT count(*) AS n FROM samples", "--format", "csv"}).out;
}

void check_clean_failure(const hostile::Outcome& outcome, int code) {
  for (const auto& problem : hostile::contract_problems(outcome)) {
    INFO(problem << "\nstderr: " << outcome.result.err);
    CHECK(problem.empty());
  }
  CHECK(outcome.result.exit_code == code);
}

} // namespace

// Bug 1: `now+<duration>` adds without checking, so a duration past
// 2^63 ms minus now overflows (undefined behaviour; UBSan aborts, a release
// build wraps to a time before 1970). `now-` and bare durations are fine.
//   healthctl record web requests --at now+9223372036854775807ms
//   healthctl export --since now+9223372036854775s
TEST_CASE("regressions: now plus a huge duration is refused, not overflowed", "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  check_clean_failure(hostile::run_healthctl(box, {"record", "web", "requests", "--at", "now+9223372036854775807ms"}),
                      2);
  check_clean_failure(hostile::run_healthctl(box, {"export", "--since", "now+9223372036854775s"}), 2);
  check_clean_failure(hostile::run_healthctl(box, {"ingest", "--format", "csv"},
                                             "ts,component,name\nnow+9223372036854775807ms,web,requests\n"),
                      65);
}

// Bug 2: HEALTH_RETENTION_DAYS and HEALTH_BACKUP_RETENTION_DAYS are
// multiplied by a day's milliseconds without a bound (cli/settings.cpp):
// past 106751991167300 days that overflows (UBSan aborts; a release build
// gets a negative retention).
//   HEALTH_RETENTION_DAYS=106751991167301 healthctl cleanup --dry-run
//   HEALTH_BACKUP_RETENTION_DAYS=106751991167301 healthctl backup prune --dry-run
TEST_CASE("regressions: a retention of too many days is refused, not overflowed", "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  box.env["HEALTH_RETENTION_DAYS"] = "106751991167301";
  check_clean_failure(hostile::run_healthctl(box, {"cleanup", "--dry-run"}), 2);
  box.env.erase("HEALTH_RETENTION_DAYS");
  box.env["HEALTH_BACKUP_RETENTION_DAYS"] = "106751991167301";
  check_clean_failure(hostile::run_healthctl(box, {"backup", "prune", "--dry-run"}), 2);
}

// Bug 3: HEALTH_MAX_DB_SIZE_MB is shifted into bytes without a bound
// (`*mb << 20`, cli/settings.cpp): 17592186044416 (2^44) MB wraps to 0
// bytes, and cleanup then removes every sample to meet a limit of nothing
// (the dry run says it would). A careless value destroys the data, where
// a malformed value must be an error (healthctl(1), ENVIRONMENT).
//   healthctl record web requests
//   HEALTH_MAX_DB_SIZE_MB=17592186044416 healthctl cleanup     # removes the sample
TEST_CASE("regressions: a huge HEALTH_MAX_DB_SIZE_MB never wraps to a limit that removes everything",
          "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "requests"}).exit_code == 0);
  const auto before = sample_count(box);
  box.env["HEALTH_MAX_DB_SIZE_MB"] = "17592186044416";
  const auto outcome = hostile::run_healthctl(box, {"cleanup"});
  INFO("stderr: " << outcome.result.err << "stdout: " << outcome.result.out);
  CHECK(hostile::contract_problems(outcome).empty());
  CHECK(sample_count(box) == before); // refused (exit 2) or no limit at all, never everything gone
}

// Bug 4: a label key in NDJSON is written into the text form k=v;k=v
// before it is checked, so a key holding '=' or ';' smuggles in other
// labels instead of being refused: {"a=b;x":"c"} is stored as the two
// labels a=b and x=c. The same key given to -l is refused (exit 2).
//   printf '%s\n' '{"ts":"now","component":"c","name":"n","labels":{"a=b;x":"c"}}' | healthctl ingest
//   healthctl metrics --format json      # "labels":{"a":"b","x":"c"}
TEST_CASE("regressions: an NDJSON label key holding = or a semicolon is refused, not split into other labels",
          "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  for (const std::string key : {"a=b;x", "k=v", "a;b"}) {
    const std::string line =
        nlohmann::json{{"ts", "now"}, {"component", "c"}, {"name", "n"}, {"labels", {{key, "c"}}}}.dump() + "\n";
    INFO("label key " << key);
    test::check_error(box.healthctl({"ingest", "--format", "ndjson"}, line), 65, "<stdin>:1: label");
  }
  CHECK(sample_count(box) == "n\n0\n");
}

// Bug 5: backup create writes its snapshot with VACUUM INTO to
// .health-<time>.db.tmp-XXXXXX, and SQLite keeps a rollback journal beside
// it, .health-<time>.db.tmp-XXXXXX-journal. A create (or the safety copy of
// a restore) killed meanwhile leaves both; the next create or prune removes
// the temp file once an hour old, as healthctl-backup(1) says, but never
// the journal, which neither the page nor the clean-up knows, so one
// accumulates per killed backup. The kill suite meets it at random; here
// is the state a kill leaves, made by hand:
//   healthctl backup create & sleep 0.2; kill -9 $!      # on a database of a few MB
//   touch -d '2 hours ago' backups/.health-*; healthctl backup create
//   ls -a backups        # .health-...Z.db.tmp-XXXXXX-journal is still there
TEST_CASE("regressions: the journal of a killed backup's temp file is removed with it", "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "requests"}).exit_code == 0);
  const auto dir = box.dir() / "backups";
  std::filesystem::create_directories(dir);
  const std::string temp = (dir / ".health-20250101T000000Z.db.tmp-AbC123").string();
  box.write_file("backups/.health-20250101T000000Z.db.tmp-AbC123", "partial");
  box.write_file("backups/.health-20250101T000000Z.db.tmp-AbC123-journal", std::string(512, '\0'));
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(2);
  std::filesystem::last_write_time(temp, old);
  std::filesystem::last_write_time(temp + "-journal", old);
  REQUIRE(box.healthctl({"backup", "create", "-q"}).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(temp)); // documented, and done
  CHECK_FALSE(std::filesystem::exists(temp + "-journal"));
}

// Bug 6: export -o writes to a temp file and renames it over the path
// (health::AtomicFile), so a path that is a symbolic link, a FIFO or a
// device node is replaced by a regular file instead of written to: the
// link's target keeps its old content, a reader on the FIFO gets nothing,
// and as root `healthctl export -o /dev/stdout` (or /dev/null) replaces the
// system's node with a regular file (found by hand: /dev/full was replaced).
//   echo old > real.csv; ln -s real.csv link.csv
//   healthctl export -o link.csv; ls -l link.csv    # a regular file now; real.csv still says old
TEST_CASE("regressions: export -o through a symbolic link writes its target, not over the link",
          "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"record", "web", "requests"}).exit_code == 0);
  const auto real = box.write_file("real.csv", "old\n");
  const auto link = box.dir() / "link.csv";
  std::filesystem::create_symlink("real.csv", link);
  const auto outcome = hostile::run_healthctl(box, {"export", "-o", link.string(), "--format", "csv"});
  CHECK(hostile::contract_problems(outcome).empty());
  CHECK(std::filesystem::is_symlink(link));
  CHECK(test::slurp(real) != "old\n");
}

// Bug 7: a --db that names a FIFO (a careless path, or a pipe left where
// the database was) makes read commands wait forever: the read-only open
// blocks until some process opens the FIFO for writing. Write commands
// fail at once with "disk I/O error" (exit 1).
//   mkfifo f; healthctl --db f components      # never returns
TEST_CASE("regressions: a --db that is a FIFO is refused, not waited on forever", "[hostile][regression]") {
  test::Sandbox box;
  const auto fifo = (box.dir() / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto outcome = hostile::run_healthctl(box, {"--db", fifo, "components"}, {}, std::chrono::seconds(3));
  CHECK_FALSE(outcome.hung);
  CHECK(hostile::contract_problems(outcome).empty());
}

// Bug 8: threshold import of a folder reads it through std::ifstream,
// whose failure is a std::exception, not a health::Error: exit 1 with
// main.cpp's last resort, "basic_filebuf::underflow error reading the file:
// Is a directory (this is a bug in healthctl; please report it)", where a
// missing or unreadable input is exit 66 (ingest says "cannot read").
//   healthctl threshold import /tmp
TEST_CASE("regressions: threshold import of a folder is a clean error, not an escaped exception",
          "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  std::filesystem::create_directory(box.dir() / "folder");
  const auto outcome = hostile::run_healthctl(box, {"threshold", "import", (box.dir() / "folder").string()});
  CHECK(hostile::contract_problems(outcome).empty());
  CHECK(outcome.result.exit_code == 66);
}

// Bug 9: threshold import reads all of its input before parsing, with no
// bound (ingest stops a line at 16 MiB), so an endless input, a runaway
// producer on standard input or /dev/zero, grows memory until the process
// is killed (about 50 MB a second here) instead of failing at the first
// byte that is not JSON.
//   healthctl threshold import /dev/zero        # never returns
TEST_CASE("regressions: threshold import of an endless input fails instead of reading forever",
          "[hostile][regression]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init"}).exit_code == 0);
  const auto outcome = hostile::run_healthctl(box, {"threshold", "import", "/dev/zero"}, {}, std::chrono::seconds(3));
  CHECK_FALSE(outcome.hung);
  CHECK(outcome.result.exit_code == 65);
}
