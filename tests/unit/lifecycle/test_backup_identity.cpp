// Backups belong to one database: named after its file, carrying its
// identity, listed, pruned and restored only for it.

#include <health/backup.hpp>
#include <health/error.hpp>
#include <health/recorder.hpp>

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

namespace fs = std::filesystem;
using health::k_day_ms;
using health::Millis;

namespace {

constexpr Millis k_now = 1736899200000; // 2025-01-15T00:00:00Z

health::StoreOptions options_for(const std::string& path, health::OpenMode mode = health::OpenMode::create) {
  health::StoreOptions options;
  options.path = path;
  options.mode = mode;
  return options;
}

health::Store open_new(const std::string& path) { return health::Store::open(options_for(path)); }

void add_samples(health::Store& store, int count) {
  health::SeriesSpec spec;
  spec.key = {"node-1", "db", "g", {}};
  spec.type = health::MetricType::gauge;
  for (int i = 0; i < count; ++i) health::record(store, spec, {k_now - 1000 * (count - i), 1.0 * i, {}});
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_of(const std::vector<health::BackupFile>& files) {
  std::vector<std::string> out;
  for (const auto& file : files) out.push_back(file.name);
  return out;
}

} // namespace

TEST_CASE("identity: every database gets its own random UUID, kept across opens", "[backup]") {
  test::TempDir dir;
  auto one = open_new(dir.file("one.db"));
  auto two = open_new(dir.file("two.db"));
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  CHECK(std::regex_match(one.database_id(), uuid));
  CHECK(std::regex_match(two.database_id(), uuid));
  CHECK(one.database_id() != two.database_id());
  CHECK(health::Store::open(options_for(dir.file("one.db"), health::OpenMode::read_only)).database_id() ==
        one.database_id());
}

TEST_CASE("identity: a file older than schema 5 gets one when migrated", "[backup]") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  open_new(path);
  // Back to schema 4, as an older healthctl left it.
  REQUIRE(std::system(("sqlite3 '" + path + "' \"DROP TABLE identity; ALTER TABLE series DROP COLUMN sample_count; ALTER TABLE series DROP COLUMN total_count; ALTER TABLE series DROP COLUMN total_sum; ALTER TABLE series DROP COLUMN scraped_total; ALTER TABLE series DROP COLUMN scraped_at; DROP TABLE push_cursors; DROP TABLE push_targets; DROP TABLE probes; DROP TABLE job_runs; DELETE FROM schema_version WHERE version >= 5\"")
                          .c_str()) == 0);
  CHECK(health::backup_owner(options_for(path)).database_id.empty()); // needs a migration: unknown, not an error
  auto store = health::Store::open(options_for(path, health::OpenMode::read_write));
  CHECK(store.database_id().size() == 36);
}

TEST_CASE("backup: named after the database, carrying its identity", "[backup]") {
  test::TempDir dir;
  auto store = open_new(dir.file("node-2.db"));
  const std::string backups = dir.file("backups");
  const auto first = health::create_backup(store, backups, k_now, "node-1");
  CHECK(first.file.name == "node-2-20250115T000000Z.db");
  CHECK(first.file.kind == health::BackupKind::backup);
  CHECK(first.check.database_id == store.database_id());
  const auto second = health::create_backup(store, backups, k_now, "node-1");
  CHECK(second.file.name == "node-2-20250115T000000Z-2.db");
  const auto copy = health::create_backup(store, backups, k_now, "node-1", "pre-restore");
  CHECK(copy.file.name == "node-2-20250115T000000Z-pre-restore.db");
  CHECK(copy.file.kind == health::BackupKind::pre_restore);
  // A second restore within the second keeps its safety copy too.
  CHECK(health::create_backup(store, backups, k_now, "node-1", "pre-restore").file.name ==
        "node-2-20250115T000000Z-2-pre-restore.db");

  const auto listed = health::list_backups(backups, health::backup_owner(store));
  CHECK(names_of(listed) == std::vector<std::string>{"node-2-20250115T000000Z-2-pre-restore.db", copy.file.name,
                                                      second.file.name, first.file.name});
  for (const auto& file : listed) CHECK(file.database_id == store.database_id());
  CHECK(health::backup_kind_name(listed[0].kind) == "pre-restore");
  CHECK(health::backup_kind_name(listed[2].kind) == "backup");
  // A time picks a backup, never a safety copy.
  CHECK(health::find_backup(backups, health::backup_owner(store), k_now).name == second.file.name);
}

TEST_CASE("backup: two databases in one folder each see only their own backups", "[backup]") {
  test::TempDir dir;
  auto big = open_new(dir.file("big.db"));
  auto small = open_new(dir.file("small.db"));
  add_samples(big, 50);
  add_samples(small, 5);
  const std::string backups = dir.file("backups");
  health::create_backup(big, backups, k_now - 40 * k_day_ms, "n");
  health::create_backup(big, backups, k_now - 1000, "n");
  const auto small_old = health::create_backup(small, backups, k_now - 40 * k_day_ms, "n");
  const auto small_new = health::create_backup(small, backups, k_now, "n"); // the newest in the folder

  const auto big_owner = health::backup_owner(big);
  CHECK(health::list_backups(backups, big_owner).size() == 2);
  CHECK(health::list_backups(backups, health::backup_owner(small)).size() == 2);
  // restore TIME: the newest of big's own, not small's newer one.
  CHECK(health::find_backup(backups, big_owner, k_now).name == "big-20250114T235959Z.db");

  // prune leaves the other database's backups alone, however old.
  const auto pruned = health::prune_backups(backups, big_owner, 30 * k_day_ms, 1, k_now, false);
  CHECK(pruned.removed.size() == 1);
  CHECK(fs::exists(small_old.file.path));
  CHECK(fs::exists(small_new.file.path));

  // restore FILE of the other database: refused, naming both, nothing changed.
  const auto live = options_for(big.path(), health::OpenMode::read_write);
  const std::string before = slurp(big.path()) + slurp(big.path() + "-wal");
  try {
    health::restore_backup(live, small_new.file.path, backups, k_now + 1000, "n");
    FAIL("restored another database's backup");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::bad_data);
    CHECK_THAT(std::string(error.what()),
               Catch::Contains("it is a backup of database " + small.database_id() + ", not of " + big.path() +
                               " (database " + big.database_id() + ")"));
  }
  CHECK(slurp(big.path()) + slurp(big.path() + "-wal") == before);
  CHECK(health::list_backups(backups, big_owner).size() == 1); // no safety copy was taken

  // Allowed on purpose: the file takes the other's data but keeps its identity.
  const std::string big_id = big.database_id();
  health::restore_backup(live, small_new.file.path, backups, k_now + 1000, "n", health::OtherDatabase::allow);
  auto restored = health::Store::open(live);
  CHECK(restored.database_id() == big_id);
  CHECK(health::list_backups(backups, health::backup_owner(restored)).size() == 2); // with the safety copy
}

TEST_CASE("backup: two files of one name sharing a backup folder are told apart by identity", "[backup]") {
  test::TempDir dir;
  fs::create_directories(dir.file("a"));
  fs::create_directories(dir.file("b"));
  auto a = open_new(dir.file("a/health.db"));
  auto b = open_new(dir.file("b/health.db"));
  const std::string backups = dir.file("backups");
  const auto from_a = health::create_backup(a, backups, k_now - 1000, "n");
  const auto from_b = health::create_backup(b, backups, k_now, "n");
  CHECK(names_of(health::list_backups(backups, health::backup_owner(a))) ==
        std::vector<std::string>{from_a.file.name});
  CHECK(health::find_backup(backups, health::backup_owner(a), k_now).name == from_a.file.name);
  // A database whose identity cannot be read sees every file of its name.
  CHECK(health::list_backups(backups, {"health", ""}).size() == 2);
}

TEST_CASE("backup: only names of ours parse, and stems may hold dashes and digits", "[backup]") {
  test::TempDir dir;
  const std::string backups = dir.file("backups");
  fs::create_directories(backups);
  for (const char* name : {"web-1-20250115T000000Z.db", "web-1-20250115T000000Z-3.db",
                           "web-1-20250115T000000Z-pre-restore.db", "web-1-20250115T000000Z-2-pre-restore.db",
                           "web-1-20250115T000000Z-1.db",
                           "web-1-20250115T000000Z-x.db", "web-1-20251315T000000Z.db", "web-20250115T000000Z.db",
                           "web-1-2025011T000000Z.db", "web-1-20250115T000000Z.db.bak", "-20250115T000000Z.db"})
    std::ofstream(backups + "/" + name) << "x";
  CHECK(names_of(health::list_backups(backups, {"web-1", ""})) ==
        std::vector<std::string>{"web-1-20250115T000000Z-2-pre-restore.db", "web-1-20250115T000000Z-pre-restore.db",
                                 "web-1-20250115T000000Z-3.db",
                                 "web-1-20250115T000000Z.db"});
  CHECK(names_of(health::list_backups(backups, {"web", ""})) == std::vector<std::string>{"web-20250115T000000Z.db"});
}
