#include <health/sql.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/series.hpp>

#include "store/sqlite.hpp"

#include <algorithm>
#include <charconv>

namespace health {

namespace {

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';';
  });
}

// Binds `value` as an integer or a real when all of it reads as one, else as
// text, so that `-p since=1736937000000` compares as a number.
void bind_inferred(sqlite3* db, sqlite3_stmt* statement, int index, const std::string& value) {
  int rc = SQLITE_OK;
  if (const auto integer = parse_whole_number(value))
    rc = sqlite3_bind_int64(statement, index, *integer);
  else if (auto real = parse_value(value))
    rc = sqlite3_bind_double(statement, index, *real);
  else
    rc = sqlite3_bind_text64(statement, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  sqlite::check(db, rc, "binding a parameter");
}

} // namespace

void run_sql(Store& store, const std::string& sql, const std::vector<SqlParameter>& parameters,
             const std::function<void(const std::vector<std::string>&)>& on_columns,
             const std::function<void(const std::vector<SqlValue>&)>& on_row) {
  if (blank(sql)) throw Error(ErrorKind::usage, "the query is empty", "give one SQL statement");
  sqlite3* db = store.handle();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) {
    throw Error(ErrorKind::usage, std::string("SQL error: ") + sqlite3_errmsg(db),
                "see samples_view and series_view in healthctl-sql(1)", {}, rc);
  }
  // Own the statement from here on.
  struct Finalize {
    sqlite3_stmt* stmt;
    ~Finalize() { sqlite3_finalize(stmt); }
  } finalize{raw};
  if (raw == nullptr) throw Error(ErrorKind::usage, "the query is empty", "give one SQL statement");
  if (tail != nullptr && !blank(tail))
    throw Error(ErrorKind::usage, "the query holds more than one statement",
                "run one statement at a time");
  if (sqlite3_stmt_readonly(raw) == 0)
    throw Error(ErrorKind::usage, "sql is read-only: the statement would change the database",
                "use record, ingest or the other commands to change data");

  const int count = sqlite3_bind_parameter_count(raw);
  std::vector<bool> used(parameters.size(), false);
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(raw, i);
    if (name == nullptr)
      throw Error(ErrorKind::usage, "the query has a '?' parameter",
                  "name parameters (:name) and give them with -p name=value");
    const std::string_view bare = std::string_view(name).substr(1);
    const auto given = std::find_if(parameters.begin(), parameters.end(),
                                    [&](const SqlParameter& p) { return p.name == bare; });
    if (given == parameters.end())
      throw Error(ErrorKind::usage, "parameter " + std::string(name) + " has no value",
                  "give it with -p " + std::string(bare) + "=VALUE");
    used[static_cast<std::size_t>(given - parameters.begin())] = true;
    bind_inferred(db, raw, i, given->value);
  }
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (!used[i])
      throw Error(ErrorKind::usage, "the query has no parameter :" + parameters[i].name,
                  "name it in the query as :" + parameters[i].name);

  const int columns = sqlite3_column_count(raw);
  std::vector<std::string> names;
  for (int i = 0; i < columns; ++i) names.emplace_back(sqlite3_column_name(raw, i));
  on_columns(names);

  std::vector<SqlValue> row(static_cast<std::size_t>(columns));
  for (;;) {
    const int step = sqlite3_step(raw);
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) sqlite::fail(db, step, "running the query");
    for (int i = 0; i < columns; ++i) {
      auto& cell = row[static_cast<std::size_t>(i)];
      switch (sqlite3_column_type(raw, i)) {
      case SQLITE_INTEGER: cell = std::int64_t{sqlite3_column_int64(raw, i)}; break;
      case SQLITE_FLOAT: cell = sqlite3_column_double(raw, i); break;
      case SQLITE_TEXT:
        cell = std::string(reinterpret_cast<const char*>(sqlite3_column_text(raw, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
        break;
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(raw, i));
        cell = Blob{std::string(data == nullptr ? "" : data,
                                static_cast<std::size_t>(sqlite3_column_bytes(raw, i)))};
        break;
      }
      default: cell = std::monostate{};
      }
    }
    on_row(row);
  }
}

} // namespace health
