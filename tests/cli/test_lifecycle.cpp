// cleanup, backup and maintain end to end: writers that keep writing while
// a cleanup or a backup runs, restore refusals, prune, and the error paths.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sys/stat.h>

namespace fs = std::filesystem;
using nlohmann::json;
using test::check_error;

namespace {

// `days` days of one sample a minute for 4 series, ending now.
void seed(const test::Sandbox& box, int days) {
  std::string csv = "ts,component,name,type,value\n";
  for (int minute = days * 1440; minute > 0; --minute)
    for (int s = 0; s < 4; ++s)
      csv += "-" + std::to_string(minute) + "m,app,metric_" + std::to_string(s) + ",gauge," +
             std::to_string(minute % 97) + ".5\n";
  const auto result = box.healthctl({"ingest", "--format", "csv", "-q", "-"}, csv);
  REQUIRE(result.exit_code == 0);
}

// Starts `writers` processes that each record `count` samples, one process per sample.
std::vector<pid_t> start_writers(const test::Sandbox& box, int writers, int count) {
  std::vector<pid_t> pids;
  for (int w = 0; w < writers; ++w)
    pids.push_back(box.start({"sh", "-c",
                              "for i in $(seq " + std::to_string(count) + "); do \"" +
                                  std::string(test::healthctl_path()) + "\" record live writer_" + std::to_string(w) +
                                  " || exit 1; done"}));
  return pids;
}

std::int64_t count(const test::Sandbox& box, const std::string& where) {
  const auto result = box.healthctl({"sql", "SELECT count(*) AS n FROM samples_view WHERE " + where, "--format", "json"});
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out)[0]["n"].get<std::int64_t>();
}

} // namespace

TEST_CASE("cleanup: writers keep writing during a large cleanup, none fails", "[cli][cleanup]") {
  test::Sandbox box;
  seed(box, 60); // 345,600 samples over 60 days
  auto writers = start_writers(box, 4, 40);
  const auto result = box.healthctl({"cleanup", "--retention", "30d", "--format", "json"});
  for (const pid_t pid : writers) {
    const auto writer = box.finish(pid);
    CHECK(writer.exit_code == 0);
    CHECK(writer.err.empty());
  }
  REQUIRE(result.exit_code == 0);
  const auto report = json::parse(result.out);
  // Minutes 43200 to 86400 ago at ingest are older than 30 days at cleanup,
  // and one minute more for each minute a loaded machine takes between the
  // two: so every sample older than the cutoff is gone, and no other.
  const auto removed = report["samples_removed"].get<std::int64_t>();
  CHECK(removed >= 43201 * 4);
  CHECK(removed % 4 == 0);
  const std::string cutoff = report["cutoff"];
  CHECK(count(box, "component = 'app' AND ts < '" + cutoff + "'") == 0);
  CHECK(count(box, "component = 'app'") == 86400 * 4 - removed);
  CHECK(report["longest_lock_ms"].get<int>() < 1000);
  CHECK(report["bytes_after"].get<double>() < report["bytes_before"].get<double>());
  CHECK(count(box, "component = 'live'") == 4 * 40);
}

TEST_CASE("cleanup: dry run, json report and malformed settings", "[cli][cleanup]") {
  test::Sandbox box;
  seed(box, 2);
  const auto before = test::slurp(box.db());
  auto result = box.healthctl({"cleanup", "--retention", "1d", "--dry-run"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("would remove 5764 samples older than "));
  CHECK(test::slurp(box.db()) == before);
  box.env["HEALTH_RETENTION_DAYS"] = "thirty";
  check_error(box.healthctl({"cleanup"}), 2,
              "HEALTH_RETENTION_DAYS='thirty' is not a number of days or a duration (set HEALTH_RETENTION_DAYS to 30 or 30d");
  // The flag and the variable take the same two forms: days, or a duration.
  for (const char* form : {"1", "1d", "24h"}) {
    box.env["HEALTH_RETENTION_DAYS"] = form;
    CHECK_THAT(box.healthctl({"cleanup", "--dry-run"}).out, Catch::StartsWith("would remove 5764 samples"));
    box.env.erase("HEALTH_RETENTION_DAYS");
    CHECK_THAT(box.healthctl({"cleanup", "--dry-run", "--retention", form}).out,
               Catch::StartsWith("would remove 5764 samples"));
  }
  check_error(box.healthctl({"cleanup", "--retention", "0"}), 2,
              "invalid retention '0' (use a number of days or a duration, e.g. 30 or 30d or 12h)");
  check_error(box.healthctl({"cleanup", "--retention", "3mo"}), 2, "invalid retention '3mo': months and years");
  check_error(box.healthctl({"cleanup", "--max-size", "lots"}), 2, "invalid size 'lots'");
  check_error(box.healthctl({"--db", (box.dir() / "none.db").string(), "cleanup"}), 66, "no database at");
  box.env["HEALTH_RETENTION_DAYS"] = "1";
  result = box.healthctl({"cleanup", "--format", "json"});
  CHECK(json::parse(result.out)["samples_removed"] == 5764);
}

TEST_CASE("backup: a backup taken while four writers record passes its check", "[cli][backup]") {
  test::Sandbox box;
  seed(box, 5);
  auto writers = start_writers(box, 4, 30);
  const auto created = box.healthctl({"backup", "create", "--format", "json"});
  for (const pid_t pid : writers) CHECK(box.finish(pid).exit_code == 0);
  REQUIRE(created.exit_code == 0);
  const auto backup = json::parse(created.out);
  const std::string path = backup["path"];
  CHECK(fs::path(path).parent_path() == box.dir() / "backups");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(backup["samples"].get<int>() >= 5 * 1440 * 4);
  const auto verified = box.healthctl({"backup", "verify", path});
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::StartsWith("ok: " + path + " (schema "));
  CHECK(count(box, "component = 'live'") == 4 * 30);
  const auto status = json::parse(box.healthctl({"backup", "status", "--format", "json"}).out);
  CHECK(status["last_success"]["path"] == path);
  CHECK(status["last_verified"]["path"] == path);
  CHECK(status["success_rate"] == 1);
  CHECK(count(box, "component = 'healthctl' AND name = 'backup_duration_ms'") == 1);
}

TEST_CASE("backup: restore needs --yes, refuses bad backups, and round-trips", "[cli][backup]") {
  test::Sandbox box;
  seed(box, 1);
  const auto created = json::parse(box.healthctl({"backup", "create", "--format", "json"}).out);
  const std::string path = created["path"];
  REQUIRE(box.healthctl({"record", "after", "backup"}).exit_code == 0);

  check_error(box.healthctl({"backup", "restore", path}), 2, "restore replaces the live database and needs confirmation");
  check_error(box.healthctl({"backup", "restore", "missing.db", "--yes"}), 66, "no backup at missing.db");
  const auto truncated = box.write_file("truncated.db", test::slurp(path).substr(0, 8192));
  const auto before = test::slurp(box.db()) + test::slurp(box.db() + "-wal");
  check_error(box.healthctl({"backup", "restore", truncated, "--yes"}), 65,
              "refusing to restore " + truncated + ": it ");
  CHECK(test::slurp(box.db()) + test::slurp(box.db() + "-wal") == before);
  check_error(box.healthctl({"backup", "verify", truncated}), 65, truncated + ": it ");

  const auto restored = box.healthctl({"backup", "restore", "now", "--yes"}); // the newest backup
  CHECK(restored.exit_code == 0);
  CHECK_THAT(restored.out, Catch::StartsWith("restored " + path));
  CHECK(count(box, "component = 'after'") == 0);
  CHECK(count(box, "component = 'app'") == 1440 * 4);
  const auto list = json::parse(box.healthctl({"backup", "list", "--format", "json"}).out);
  REQUIRE(list.size() == 2); // the backup and the safety copy
  CHECK(list[0]["name"].get<std::string>().find("-pre-restore.db") != std::string::npos);
}

TEST_CASE("backup: two databases in one folder keep their backups apart", "[cli][backup]") {
  test::Sandbox box;
  const std::string big = (box.dir() / "big.db").string();
  const std::string small = (box.dir() / "small.db").string();
  const auto on = [&box](const std::string& db) -> test::Sandbox& {
    box.env["HEALTH_DB_PATH"] = db;
    return box;
  };
  seed(on(big), 1);
  REQUIRE(on(small).healthctl({"record", "small", "only"}).exit_code == 0);
  const auto big_backup = json::parse(on(big).healthctl({"backup", "create", "--format", "json"}).out);
  const auto small_backup = json::parse(on(small).healthctl({"backup", "create", "--format", "json"}).out); // newer
  const std::string small_path = small_backup["path"];
  const std::string big_id = big_backup["database_id"], small_id = small_backup["database_id"];
  CHECK(fs::path(small_path).filename().string().rfind("small-", 0) == 0);
  CHECK(big_id != small_id);

  const auto listed = json::parse(on(big).healthctl({"backup", "list", "--format", "json"}).out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["path"] == big_backup["path"]);
  CHECK(listed[0]["kind"] == "backup");
  CHECK(listed[0]["database_id"] == big_id);

  // A time picks big's own backup, though small's is newer.
  const auto restored = on(big).healthctl({"backup", "restore", "now", "--yes"});
  REQUIRE(restored.exit_code == 0);
  CHECK_THAT(restored.out, Catch::StartsWith("restored " + big_backup["path"].get<std::string>()));
  CHECK(count(box, "component = 'app'") == 1440 * 4);

  // Another database's backup by name: refused, naming both, unless --force.
  const auto before = test::slurp(big) + test::slurp(big + "-wal");
  check_error(box.healthctl({"backup", "restore", small_path, "--yes"}), 65,
              "refusing to restore " + small_path + ": it is a backup of database " + small_id + ", not of " + big +
                  " (database " + big_id + ") (pass --force");
  CHECK(test::slurp(big) + test::slurp(big + "-wal") == before);
  REQUIRE(box.healthctl({"backup", "restore", small_path, "--yes", "--force"}).exit_code == 0);
  CHECK(count(box, "component = 'small'") == 1);

  const auto kinds = json::parse(box.healthctl({"backup", "list", "--format", "json"}).out);
  REQUIRE(kinds.size() == 3); // its backup and two safety copies, none of small's
  CHECK(kinds[0]["kind"] == "pre-restore");
  CHECK(kinds[0]["database_id"] == big_id); // the file kept its identity
  CHECK(json::parse(on(small).healthctl({"backup", "list", "--format", "json"}).out).size() == 1);
}

TEST_CASE("backup: prune removes old backups of ours only", "[cli][backup]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  const auto dir = box.dir() / "backups";
  fs::create_directories(dir);
  for (const char* name : {"health-20200101T000000Z.db", "health-20200102T000000Z.db", "notes.txt",
                           "health-latest.db"})
    box.write_file("backups/" + std::string(name), "x");
  REQUIRE(box.healthctl({"backup", "create", "-q"}).exit_code == 0);
  const auto result = box.healthctl({"backup", "prune", "--keep-days", "30"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "removed " + (dir / "health-20200102T000000Z.db").string() + "\nremoved " +
                          (dir / "health-20200101T000000Z.db").string() + "\nkept 1 backup\n");
  CHECK(fs::exists(dir / "notes.txt"));
  CHECK(fs::exists(dir / "health-latest.db"));
  box.env["HEALTH_BACKUP_DIR"] = (box.dir() / "elsewhere").string();
  REQUIRE(box.healthctl({"backup", "create", "-q"}).exit_code == 0);
  CHECK(fs::is_directory(box.dir() / "elsewhere"));
}

TEST_CASE("backup: prune --keep-days 0 keeps none by age, only --keep-last", "[cli][backup]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  fs::create_directories(box.dir() / "backups");
  box.write_file("backups/health-20200101T000000Z.db", "x");
  REQUIRE(box.healthctl({"backup", "create", "-q"}).exit_code == 0); // today's
  // Today's backup is within the default 30 days, so only 0 can let it go.
  auto result = box.healthctl({"backup", "prune", "--keep-days", "0", "--keep-last", "0", "--dry-run"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("would keep 0 backups"));
  result = box.healthctl({"backup", "prune", "--keep-days", "0", "--keep-last", "1"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("removed " + (box.dir() / "backups/health-20200101T000000Z.db").string()));
  CHECK_THAT(result.out, Catch::Contains("kept 1 backup"));
}

TEST_CASE("backup: a create counts as a verification in status", "[cli][backup]") {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  CHECK_THAT(box.healthctl({"backup", "status"}).out, Catch::Contains("last verified:  never"));
  REQUIRE(box.healthctl({"backup", "create", "-q"}).exit_code == 0);
  const auto status = box.healthctl({"backup", "status"}).out;
  CHECK_THAT(status, Catch::Contains("last verified:  20"));
  CHECK_THAT(status, !Catch::Contains("never"));
}

TEST_CASE("maintain: check, cleanup, backup when due and prune, each recorded", "[cli][maintain]") {
  test::Sandbox box;
  seed(box, 1);
  REQUIRE(box.healthctl({"threshold", "set", "app", "metric_0", "--agg", "max", "--warn", "4"}).exit_code == 0);
  auto result = box.healthctl({"maintain"});
  CHECK(result.exit_code == 0); // degraded, but every step ran: health stays with status
  CHECK_THAT(result.out, Catch::StartsWith("check: degraded, 1 thresholds, 1 changes\n  opened issue 1:"));
  CHECK_THAT(result.out, Catch::Contains("\ncleanup: removed 0 samples"));
  CHECK_THAT(result.out, Catch::Contains("\nbackup: created " + (box.dir() / "backups").string()));
  CHECK_THAT(result.out, Catch::Contains("\nprune: removed 0, kept 1"));
  result = box.healthctl({"maintain"});
  CHECK_THAT(result.out, Catch::Contains("\nbackup: not due (last "));
  CHECK(count(box, "component = 'healthctl' AND name = 'maintain_step_ms'") == 8);
  CHECK(count(box, "component = 'healthctl' AND name = 'maintain_step_failures' AND value > 0") == 0);

  // A failing step is reported, recorded, and does not stop the next.
  box.env["HEALTH_BACKUP_INTERVAL"] = "1ms";
  box.env["HEALTH_BACKUP_DIR"] = box.write_file("not-a-folder", "x");
  result = box.healthctl({"maintain"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("\nbackup: failed: "));
  CHECK_THAT(result.out, Catch::Contains("\nprune: "));
  CHECK_THAT(result.err, Catch::Contains("healthctl: warning: maintain step backup failed: "));
  CHECK(count(box, "component = 'healthctl' AND name = 'maintain_step_failures' AND value > 0") == 1);
  // Errors before the steps have the exit codes of every other command.
  check_error(box.healthctl({"maintain", "--bogus"}), 2, "--bogus");
  box.env["HEALTH_BACKUP_INTERVAL"] = "daily";
  check_error(box.healthctl({"maintain"}), 2, "HEALTH_BACKUP_INTERVAL='daily' is not a duration");
}
