#include <health/error.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sys/stat.h>

namespace {

health::Store open(const std::string& path, health::OpenMode mode) {
  health::StoreOptions options;
  options.path = path;
  options.mode = mode;
  options.busy_timeout = 200;
  return health::Store::open(options);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void sql(const std::string& path, const char* statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, statements, nullptr, nullptr, &message);
  INFO((message != nullptr ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string pragma(const health::Store& store, const char* name) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(store.handle(), (std::string("PRAGMA ") + name).c_str(), -1, &stmt, nullptr);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW)
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  return value;
}

health::ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const health::Error& error) {
    return error.kind();
  }
  FAIL("no health::Error thrown");
  return health::ErrorKind::runtime;
}

} // namespace

TEST_CASE("store: a fresh file gets every migration, WAL and mode 0600", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("sub/folder/health.db");
  auto store = open(path, health::OpenMode::create);
  CHECK(store.created());
  CHECK(store.schema_version() == health::latest_schema_version());
  CHECK(health::latest_schema_version() == static_cast<int>(health::schema::migrations().size()));
  CHECK(pragma(store, "journal_mode") == "wal");
  CHECK(pragma(store, "synchronous") == "1"); // NORMAL
  CHECK(pragma(store, "foreign_keys") == "1");
  CHECK(pragma(store, "auto_vacuum") == "2"); // INCREMENTAL
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  REQUIRE(::stat(dir.file("sub/folder").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);

  auto again = open(path, health::OpenMode::read_write);
  CHECK_FALSE(again.created());
  CHECK(again.schema_version() == health::latest_schema_version());
}

TEST_CASE("store: synchronous FULL is an option", "[store]") {
  test::TempDir dir;
  health::StoreOptions options;
  options.path = dir.file("health.db");
  options.mode = health::OpenMode::create;
  options.synchronous = health::Synchronous::full;
  auto store = health::Store::open(options);
  CHECK(pragma(store, "synchronous") == "2");
}

TEST_CASE("store: missing files are not created by read or read-write opens", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("absent.db");
  CHECK(kind_of([&] { open(path, health::OpenMode::read_only); }) == health::ErrorKind::not_found);
  CHECK(kind_of([&] { open(path, health::OpenMode::read_write); }) == health::ErrorKind::not_found);
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("store: an older schema is migrated by a write open, not by a read open", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  // A version-1 file as a first release would have left it.
  sql(path, "PRAGMA journal_mode = WAL;");
  sql(path, health::schema::migrations().at(0).sql);
  sql(path, "INSERT INTO schema_version VALUES (1, 'series_and_samples', 0);");
  REQUIRE(health::latest_schema_version() > 1);
  try {
    open(path, health::OpenMode::read_only);
    FAIL("a read-only open migrated");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::runtime);
    CHECK_THAT(error.what(), Catch::Contains("needs a schema migration (version 1 to"));
    CHECK(error.hint() == "run 'healthctl init' to migrate it");
  }
  auto store = open(path, health::OpenMode::read_write);
  CHECK(store.schema_version() == health::latest_schema_version());
  auto reader = open(path, health::OpenMode::read_only);
  CHECK(reader.schema_version() == health::latest_schema_version());
  // Every version is logged once, in order.
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(reader.handle(), "SELECT group_concat(version) FROM schema_version", -1, &stmt, nullptr);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  std::string versions = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  std::string expected;
  for (int v = 1; v <= health::latest_schema_version(); ++v) expected += (v > 1 ? "," : "") + std::to_string(v);
  CHECK(versions == expected);
}

TEST_CASE("store: migration 6 gives every series the count of its samples", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("five.db");
  sql(path, "PRAGMA journal_mode = WAL;");
  for (int v = 1; v <= 5; ++v) {
    sql(path, health::schema::migrations().at(static_cast<std::size_t>(v - 1)).sql);
    sql(path, ("INSERT INTO schema_version VALUES (" + std::to_string(v) + ", 'v', 0);").c_str());
  }
  sql(path, "INSERT INTO series (id, node, component, name, type, created_at) VALUES "
            "(1, 'n', 'web', 'hits', 'counter', 0), (2, 'n', 'web', 'load', 'gauge', 0);"
            "INSERT INTO samples VALUES (1, 1, 0, 1), (1, 2, 0, 1), (1, 2, 1, 1);");
  auto store = open(path, health::OpenMode::read_write);
  REQUIRE(store.schema_version() >= 6);
  const auto series = health::list_series(store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 2);
  CHECK(series[0].name == "hits");
  CHECK(series[0].count == 3);
  CHECK(series[1].count == 0);
  CHECK_FALSE(series[1].first.has_value());
}

TEST_CASE("store: a file from a newer healthctl is refused and left byte-identical", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("newer.db");
  { open(path, health::OpenMode::create); }
  const int newer = health::latest_schema_version() + 1;
  sql(path, ("INSERT INTO schema_version VALUES (" + std::to_string(newer) + ", 'future', 0);").c_str());
  sql(path, "PRAGMA wal_checkpoint(TRUNCATE);");
  const std::string before = slurp(path);
  for (const auto mode : {health::OpenMode::read_only, health::OpenMode::read_write, health::OpenMode::create}) {
    try {
      open(path, mode);
      FAIL("opened a newer file");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::runtime);
      CHECK_THAT(error.what(), Catch::Contains("newer than this healthctl supports"));
      CHECK(error.hint() == "upgrade healthctl");
    }
  }
  CHECK(slurp(path) == before);
}

TEST_CASE("store: a file that is not SQLite, or not ours, is refused untouched", "[store]") {
  test::TempDir dir;
  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << "these are not the droids you are looking for\n" << std::string(5000, 'x');
  const std::string before = slurp(text);
  try {
    open(text, health::OpenMode::create);
    FAIL("opened a text file");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::bad_data);
    CHECK(std::string(error.what()) == "the file is not an SQLite database");
  }
  CHECK(slurp(text) == before);
  CHECK_FALSE(std::filesystem::exists(text + "-wal"));

  const std::string foreign = dir.file("other.db");
  sql(foreign, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
  const std::string foreign_before = slurp(foreign);
  try {
    open(foreign, health::OpenMode::create);
    FAIL("opened a foreign database");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::bad_data);
    CHECK_THAT(error.what(), Catch::Contains("not a healthctl one"));
  }
  CHECK(slurp(foreign) == foreign_before);
}

TEST_CASE("store: a folder as the database path is a usage error", "[store]") {
  test::TempDir dir;
  CHECK(kind_of([&] { open(dir.path().string(), health::OpenMode::create); }) ==
        health::ErrorKind::usage);
}

TEST_CASE("store: the write lock held past the busy timeout is reported as busy", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  auto holder = open(path, health::OpenMode::create);
  REQUIRE(sqlite3_exec(holder.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto writer = open(path, health::OpenMode::read_write);
  health::SeriesSpec spec;
  spec.key = {"node-1", "database", "queries", {}};
  try {
    health::record(writer, spec, health::Sample{1000, 1, {}});
    FAIL("recorded under a held lock");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::busy);
    CHECK((error.sqlite_code() & 0xff) == SQLITE_BUSY);
  }
  sqlite3_exec(holder.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  health::record(writer, spec, health::Sample{1000, 1, {}});
}

TEST_CASE("store: the embedded migrations are numbered from 1 without gaps", "[store]") {
  const auto& migrations = health::schema::migrations();
  REQUIRE_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    CHECK(migrations[i].version == static_cast<int>(i + 1));
    const std::string sql = migrations[i].sql;
    CHECK((sql.find("CREATE ") != std::string::npos || sql.find("ALTER TABLE ") != std::string::npos));
  }
}

TEST_CASE("store: migration 7 starts each series' running totals from the samples it holds", "[store]") {
  test::TempDir dir;
  const std::string path = dir.file("six.db");
  sql(path, "PRAGMA journal_mode = WAL;");
  const auto& migrations = health::schema::migrations();
  REQUIRE(migrations.size() >= 7);
  for (std::size_t i = 0; i < 6; ++i) {
    sql(path, migrations.at(i).sql);
    sql(path, ("INSERT INTO schema_version VALUES (" + std::to_string(i + 1) + ", 'v', 0);").c_str());
  }
  sql(path, "INSERT INTO series (id, node, component, name, labels, type, unit, created_at, sample_count) "
            "VALUES (1, 'n', 'api', 'hits', '', 'counter', '', 0, 2), (2, 'n', 'api', 'idle', '', 'gauge', '', 0, 0);"
            "INSERT INTO samples (series_id, ts_ms, seq, value) VALUES (1, 1000, 0, 2.5), (1, 2000, 0, 4);");
  auto store = open(path, health::OpenMode::read_write);
  const auto series = health::list_series(store, {}, health::WithStats::no);
  REQUIRE(series.size() == 2);
  CHECK(series[0].total_count == 2);
  CHECK(series[0].total_sum == 6.5);
  CHECK(series[1].total_count == 0);
  CHECK(series[1].total_sum == 0);
}

TEST_CASE("store: a Statement binds an empty optional as NULL and a full one as its value", "[store]") {
  test::TempDir dir;
  auto store = open((dir.path() / "h.db").string(), health::OpenMode::create);
  health::sqlite::Statement query(store.handle(), "SELECT ?1, typeof(?1), ?2, typeof(?2), typeof(?3), typeof(?4)");
  query.bind(1, std::optional<std::int64_t>(7)).bind(2, std::optional<double>(2.5));
  query.bind(3, std::optional<std::int64_t>()).bind(4, std::optional<double>());
  REQUIRE(query.step());
  CHECK(query.int64(0) == 7);
  CHECK(query.text(1) == "integer");
  CHECK(query.real(2) == 2.5);
  CHECK(query.text(3) == "real");
  CHECK(query.text(4) == "null");
  CHECK(query.text(5) == "null");
  // Bindings stay until they are bound again: NULL replaces a value.
  query.reset();
  query.bind(1, std::optional<std::int64_t>());
  REQUIRE(query.step());
  CHECK(query.is_null(0));
}
