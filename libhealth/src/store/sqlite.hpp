#pragma once
// A thin RAII layer over the SQLite C API, private to libhealth. Every failure
// becomes a health::Error whose kind follows SQLite's result code.

#include <health/error.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace health::sqlite {

// Throws the Error for result code `rc` on `db`, saying what we were doing.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view doing);

inline void check(sqlite3* db, int rc, std::string_view doing) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    fail(db, rc, doing);
}

// Runs `sql` (one or more statements, no results) on `db`.
void exec(sqlite3* db, const char* sql);

// Folds the WAL into the database file and truncates it to zero bytes.
// Another process's checkpoint (a writer's automatic one, say) makes SQLite
// give up at once rather than wait, so this tries again for `patience_ms`.
// False when the WAL could not be truncated in that time.
bool truncate_wal(sqlite3* db, std::int64_t patience_ms);

// The rows changed by the last INSERT, UPDATE or DELETE on `db`.
std::int64_t changes(sqlite3* db);
// The rowid of the last successful INSERT on `db`.
std::int64_t last_insert_rowid(sqlite3* db);
// True when `db` is inside an explicit transaction.
bool in_transaction(sqlite3* db);

// A database file opened read-only without locks or a journal, for a file
// that does not change while it is read (a backup). Throws on failure.
class ReadOnlyFile {
public:
  explicit ReadOnlyFile(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  sqlite3* handle() const { return m_db; }

private:
  sqlite3* m_db = nullptr;
};

// Restores: replaces every page of `target` with those of `source` in one
// write transaction, waiting up to `patience_ms` for the write lock. Throws
// Error(busy) when the lock never came, saying nothing was restored. Calls
// `progress` (when set) with the pages copied of the total as it goes; the
// copy stays one write transaction on the target whatever the steps.
void copy_database(sqlite3* target, sqlite3* source, std::int64_t patience_ms, std::string_view doing,
                   const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

// While alive, calls `tick` every few thousand virtual-machine steps of any
// statement on `db` (for progress of a long VACUUM); `tick` must not use `db`.
class ProgressHandler {
public:
  ProgressHandler(sqlite3* db, std::function<void()> tick);
  ~ProgressHandler();
  ProgressHandler(const ProgressHandler&) = delete;
  ProgressHandler& operator=(const ProgressHandler&) = delete;

private:
  sqlite3* m_db;
  std::function<void()> m_tick;
};

class Statement {
public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value); // copied by SQLite
  // NULL when `value` is empty.
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind(int index, const std::optional<double>& value);
  Statement& bind_null(int index);

  // Advances to the next row: true when a row is available, false when done.
  bool step();
  // Steps a statement that returns no rows.
  void run() { step(); }
  // Makes the statement ready to run again, keeping its bindings.
  void reset();
  void clear_bindings();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  // The text of `column`; valid until the next step, reset or destruction.
  std::string_view text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<double> optional_real(int column) const;

  sqlite3_stmt* handle() const { return m_stmt; }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

enum class TransactionKind { deferred, immediate };

// `trusted`: SQLite does not check foreign keys inside the transaction (they
// are checked again after it). Only for a writer whose every key was read or
// created inside that same write transaction, so none can be dangling.
enum class ForeignKeys { checked, trusted };

// A transaction that rolls back unless committed. `immediate` takes the write
// lock at once, so the busy timeout applies there and not at a later upgrade.
class Transaction {
public:
  Transaction(sqlite3* db, TransactionKind kind, ForeignKeys keys = ForeignKeys::checked);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

private:
  sqlite3* m_db;
  bool m_open = true;
  bool m_keys_off = false; // foreign keys to turn on again once it ends
};

} // namespace health::sqlite
