#include "store/sqlite.hpp"

#include <chrono>
#include <string>
#include <thread>

namespace health::sqlite {

void fail(sqlite3* db, int rc, std::string_view doing) {
  const int primary = rc & 0xff;
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string detail = "SQLite error " + std::to_string(rc) + " (" + sqlite3_errstr(rc) +
                       ") while " + std::string(doing) + ": " + message;
  switch (primary) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    throw Error(ErrorKind::busy, "the database stayed locked past the busy timeout",
                "another process holds the write lock; retry later or raise HEALTH_BUSY_TIMEOUT",
                detail, rc);
  case SQLITE_INTERRUPT:
    throw Error(ErrorKind::busy, "the query ran past its time limit",
                "narrow the time range or the series, or raise the limit", detail, rc);
  case SQLITE_NOTADB:
    throw Error(ErrorKind::bad_data, "the file is not an SQLite database",
                "check --db or HEALTH_DB_PATH", detail, rc);
  case SQLITE_CORRUPT:
    throw Error(ErrorKind::runtime, "the database file is corrupt",
                "restore it from a backup", detail, rc);
  case SQLITE_READONLY:
    throw Error(ErrorKind::runtime, "the database is read-only",
                "check the permissions of the file and its folder", detail, rc);
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
  case SQLITE_AUTH:
    throw Error(ErrorKind::runtime, "cannot open the database: " + message,
                "check the path and its permissions", detail, rc);
  case SQLITE_FULL:
    throw Error(ErrorKind::runtime, "the disk is full", "free space and retry", detail, rc);
  default:
    throw Error(ErrorKind::runtime, "database error while " + std::string(doing) + ": " + message,
                {}, detail, rc);
  }
}

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  check(db, rc, "running SQL");
}

bool truncate_wal(sqlite3* db, std::int64_t patience_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms);
  for (;;) {
    const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc == SQLITE_OK) return true;
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) fail(db, rc, "checkpointing the WAL");
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
  check(db, rc, "preparing a statement");
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind(int index, std::int64_t value) {
  check(m_db, sqlite3_bind_int64(m_stmt, index, value), "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check(m_db, sqlite3_bind_double(m_stmt, index, value), "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check(m_db,
        sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8),
        "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  check(m_db, sqlite3_bind_null(m_stmt, index), "binding a parameter");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(m_stmt);
  fail(m_db, rc, "running a statement");
}

void Statement::reset() { sqlite3_reset(m_stmt); }
void Statement::clear_bindings() { sqlite3_clear_bindings(m_stmt); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(m_stmt, column); }
double Statement::real(int column) const { return sqlite3_column_double(m_stmt, column); }

std::string_view Statement::text(int column) const {
  const auto* data = sqlite3_column_text(m_stmt, column);
  const int size = sqlite3_column_bytes(m_stmt, column);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

namespace {
int foreign_keys_on(sqlite3* db) {
  return sqlite3_exec(db, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
}
} // namespace

Transaction::Transaction(sqlite3* db, TransactionKind kind, ForeignKeys keys) : m_db(db) {
  // The pragma is a no-op inside a transaction: it goes before BEGIN.
  if (keys == ForeignKeys::trusted && !in_transaction(db)) {
    exec(db, "PRAGMA foreign_keys = OFF");
    m_keys_off = true;
  }
  try {
    exec(db, kind == TransactionKind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
  } catch (...) {
    if (m_keys_off) foreign_keys_on(db);
    throw;
  }
}

Transaction::~Transaction() {
  if (m_open) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (m_keys_off) foreign_keys_on(m_db);
}

void Transaction::commit() {
  exec(m_db, "COMMIT");
  m_open = false;
  if (m_keys_off) {
    m_keys_off = false;
    check(m_db, foreign_keys_on(m_db), "turning foreign key checks on again");
  }
}

std::int64_t changes(sqlite3* db) { return sqlite3_changes(db); }

std::int64_t last_insert_rowid(sqlite3* db) { return sqlite3_last_insert_rowid(db); }

bool in_transaction(sqlite3* db) { return sqlite3_get_autocommit(db) == 0; }

ReadOnlyFile::ReadOnlyFile(const std::string& path) {
  const std::string uri = "file:" + path + "?immutable=1";
  const int rc = sqlite3_open_v2(uri.c_str(), &m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  if (rc == SQLITE_OK) return;
  // Close before leaving: the destructor of a half-built object never runs.
  try {
    fail(m_db, rc, "opening " + path);
  } catch (...) {
    sqlite3_close_v2(m_db);
    throw;
  }
}

ReadOnlyFile::~ReadOnlyFile() { sqlite3_close_v2(m_db); }

void copy_database(sqlite3* target, sqlite3* source, std::int64_t patience_ms, std::string_view doing,
                   const std::function<void(std::uint64_t done, std::uint64_t total)>& progress) {
  sqlite3_backup* copy = sqlite3_backup_init(target, "main", source, "main");
  if (copy == nullptr) fail(target, sqlite3_errcode(target), "starting the restore");
  // The target's write transaction opens at the first step and commits only
  // with the last (SQLITE_DONE), so stepping in chunks for progress keeps
  // the copy all or nothing. The source is a backup file no one writes.
  constexpr int k_pages_per_step = 1024;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms);
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(copy, progress ? k_pages_per_step : -1);
    if (rc == SQLITE_OK) {
      const auto total = static_cast<std::uint64_t>(sqlite3_backup_pagecount(copy));
      progress(total - static_cast<std::uint64_t>(sqlite3_backup_remaining(copy)), total);
      continue;
    }
    if (rc == SQLITE_DONE && progress) {
      const auto total = static_cast<std::uint64_t>(sqlite3_backup_pagecount(copy));
      progress(total, total);
    }
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sqlite3_backup_finish(copy);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    throw Error(ErrorKind::busy, "the database stayed locked; nothing was restored", "try again");
  if (rc != SQLITE_DONE) fail(target, rc, doing);
}

ProgressHandler::ProgressHandler(sqlite3* db, std::function<void()> tick) : m_db(db), m_tick(std::move(tick)) {
  constexpr int k_steps_per_tick = 100000;
  sqlite3_progress_handler(
      m_db, k_steps_per_tick,
      [](void* self) {
        static_cast<ProgressHandler*>(self)->m_tick();
        return 0; // go on
      },
      this);
}

ProgressHandler::~ProgressHandler() { sqlite3_progress_handler(m_db, 0, nullptr, nullptr); }

} // namespace health::sqlite
