#pragma once
// Read-only SQL over the database file, for people and tools that want to ask
// their own questions (see the samples_view and series_view views).

#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace health {

struct Blob {
  std::string bytes;
};

// One result cell: NULL, integer, real, text or blob.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

struct SqlParameter {
  std::string name;  // without the leading ':', '@' or '$'
  std::string value; // bound as an integer or a real when it reads as one, else as text
};

// Runs one read-only statement on `store` and calls `on_columns` once with
// the column names, then `on_row` for each row.
// The statement may only read: SELECT (WITH, WITH RECURSIVE), reads of tables
// and views, functions other than those that reach outside the data
// (load_extension, fts3_tokenizer, ...), and a short list of pragmas that
// read (healthctl-sql(1)); an authorizer refuses everything else as SQLite
// compiles it, and while it runs the connection attaches no database, loads
// no extension and runs in defensive mode (its settings are restored after).
// Throws Error(runtime) naming what was refused (a write, a schema change,
// ATTACH, a transaction, a pragma, a function) before any row;
// Error(usage) when `sql` is empty, does not compile (an unknown table, a
// syntax error), holds more than one statement, names a parameter that is
// not given, or is given one it does not name; Error(runtime) when it fails
// while running.
// `store` should be opened read-only besides, so that nothing the policy
// missed could write either.
void run_sql(Store& store, const std::string& sql, const std::vector<SqlParameter>& parameters,
             const std::function<void(const std::vector<std::string>&)>& on_columns,
             const std::function<void(const std::vector<SqlValue>&)>& on_row);

// The one number a query gives, for a data-quality probe: opens `file`
// (any SQLite database) read-only, runs `sql` under run_sql's read-only
// policy, waiting for locks and running for at most `timeout`, and returns
// the first column of its only row as a number. Throws Error(not_found) when
// the file is missing, Error(usage) when the query does not compile or is
// refused, Error(busy) past `timeout`, Error(bad_data) when it gives no row,
// more than one row or a value that is not a number, Error(runtime) when the
// file cannot be read.
double query_number(const std::string& file, const std::string& sql, Millis timeout);

} // namespace health
