#include <health/sql.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/series.hpp>

#include "store/sqlite.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace health {

namespace {

// ---- What sql may do: the authorizer's policy ------------------------------

// Pragmas that only report. An argument, when given, names what to report on
// (a table, an index) or bounds the report (integrity_check N); none of them
// has a form that sets anything.
constexpr std::array<std::string_view, 10> k_report_pragmas{
    "table_info",       "table_xinfo",       "index_list", "index_info",      "index_xinfo",
    "foreign_key_list", "foreign_key_check", "table_list", "integrity_check", "quick_check"};

// Pragmas allowed without an argument only: so they report a value; given
// one, they would set it.
constexpr std::array<std::string_view, 16> k_read_pragmas{
    "user_version",   "schema_version", "application_id", "data_version",    "page_count",
    "page_size",      "freelist_count", "auto_vacuum",    "encoding",        "foreign_keys",
    "compile_options", "function_list", "pragma_list",    "module_list",     "collation_list",
    "database_list"};

// Functions refused even in a read. load_extension loads code into the
// process; fts3_tokenizer hands out (and with two arguments plants) raw
// pointers; readfile, writefile and edit are the sqlite3 shell's file
// functions, named should a build ever register them; optimize merges an FTS
// index (a write); rtreenode and rtreedepth decode raw r-tree node blobs, a
// debugging aid with a history of out-of-bounds reads (CVE-2019-8457).
constexpr std::array<std::string_view, 8> k_refused_functions{
    "load_extension", "fts3_tokenizer", "readfile",  "writefile",
    "edit",           "optimize",       "rtreenode", "rtreedepth"};

constexpr const char* k_write_hint = "use record, ingest or the other commands to change data";

template <std::size_t N>
bool listed(const char* name, const std::array<std::string_view, N>& names) {
  if (name == nullptr) return false;
  const std::string_view given(name);
  return std::any_of(names.begin(), names.end(), [&](std::string_view listed_name) {
    return given.size() == listed_name.size() &&
           sqlite3_strnicmp(given.data(), listed_name.data(), static_cast<int>(given.size())) == 0;
  });
}

std::string text(const char* value) { return value == nullptr ? std::string() : std::string(value); }

// What the policy refused: `what` names it, `hint` says what to do instead.
struct Refusal {
  std::string what;
  std::string hint;
};

std::optional<Refusal> judge_pragma(const char* name, const char* value) {
  const std::string pragma = "PRAGMA " + text(name);
  if (listed(name, k_report_pragmas)) return std::nullopt;
  if (listed(name, k_read_pragmas)) {
    if (value == nullptr) return std::nullopt;
    return Refusal{"setting " + pragma, "read it without a value: " + pragma};
  }
  return Refusal{pragma, "healthctl-sql(1) lists the pragmas sql allows, which only read"};
}

std::optional<Refusal> judge_function(const char* name) {
  if (!listed(name, k_refused_functions)) return std::nullopt;
  return Refusal{"the function " + text(name) + "()",
                 "sql allows the functions that compute over the data, not those that reach outside it"};
}

bool is_schema_table(const char* table) {
  return table != nullptr &&
         (sqlite3_stricmp(table, "sqlite_master") == 0 || sqlite3_stricmp(table, "sqlite_temp_master") == 0);
}

// The name of a refused change. CREATE and DROP first write the schema table,
// which is where SQLite asks, so they are all "changing the schema".
std::string change_name(int action, const char* arg1) {
  if (is_schema_table(arg1)) return "changing the schema";
  switch (action) {
  case SQLITE_INSERT: return "INSERT into " + text(arg1);
  case SQLITE_UPDATE: return "UPDATE of " + text(arg1);
  case SQLITE_DELETE: return "DELETE from " + text(arg1);
  case SQLITE_REINDEX: return "REINDEX";
  case SQLITE_ANALYZE: return "ANALYZE";
  case SQLITE_ALTER_TABLE:
  case SQLITE_CREATE_VTABLE:
  case SQLITE_DROP_VTABLE: return "changing the schema";
  default:
    if (action >= SQLITE_CREATE_INDEX && action <= SQLITE_DROP_VIEW) return "changing the schema";
    return "this statement (SQLite authorizer action " + std::to_string(action) + ")";
  }
}

// The name of a refused transaction statement: SQLite passes BEGIN, COMMIT or
// ROLLBACK, and for savepoints BEGIN, RELEASE or ROLLBACK.
std::string transaction_name(int action, const char* arg1) {
  const std::string verb = text(arg1);
  if (action != SQLITE_SAVEPOINT) return verb;
  if (verb == "BEGIN") return "SAVEPOINT";
  return verb == "ROLLBACK" ? "ROLLBACK TO" : verb;
}

// The policy: SELECT, reading, recursive CTEs, functions but the refused ones,
// and the listed pragmas; everything else is refused.
std::optional<Refusal> judge(int action, const char* arg1, const char* arg2, const char* database,
                             const char* inner) {
  switch (action) {
  case SQLITE_SELECT:
  case SQLITE_READ:
  case SQLITE_RECURSIVE: return std::nullopt;
  case SQLITE_FUNCTION: return judge_function(arg2);
  case SQLITE_PRAGMA: return judge_pragma(arg1, arg2);
  case SQLITE_ATTACH:
  case SQLITE_DETACH:
    return Refusal{action == SQLITE_ATTACH ? "ATTACH" : "DETACH", "sql reads the one database of --db"};
  case SQLITE_TRANSACTION:
  case SQLITE_SAVEPOINT:
    return Refusal{transaction_name(action, arg1), "sql runs one statement, which needs no transaction"};
  case SQLITE_UPDATE:
    // The first use of a table-valued function (json_each, pragma_table_info)
    // declares its table, and SQLite asks about the schema update that
    // declaration compiles and never runs. A real UPDATE of sqlite_master is
    // refused before it gets here (SQLite, defensive mode), and would not be
    // read-only.
    if (sqlite3_stricmp(text(arg1).c_str(), "sqlite_master") == 0 && text(database) == "main" &&
        inner == nullptr)
      return std::nullopt;
    break;
  default: break;
  }
  return Refusal{change_name(action, arg1), k_write_hint};
}

// The first refusal of one query, kept for its error message.
struct Verdict {
  std::optional<Refusal> refusal;
};

int authorize(void* context, int action, const char* arg1, const char* arg2, const char* database,
              const char* inner) {
  try {
    auto refusal = judge(action, arg1, arg2, database, inner);
    if (!refusal) return SQLITE_OK;
    auto& verdict = *static_cast<Verdict*>(context);
    if (!verdict.refusal) verdict.refusal = std::move(refusal);
  } catch (...) { // out of memory: refuse, and let SQLite report it
  }
  return SQLITE_DENY;
}

// The connection, for the life of one query: the policy's authorizer (kept
// while the statement runs, since a table-valued pragma compiles its PRAGMA
// then, and since SQLite recompiles an expired statement), and settings that
// keep it inside its file: no attached databases, no extensions, no
// fts3_tokenizer, defensive mode, an untrusted schema. Restores the
// connection's settings when it ends.
class Lockdown {
public:
  explicit Lockdown(sqlite3* db) : m_db(db) {
    try {
      lock();
    } catch (...) {
      unlock();
      throw;
    }
  }
  ~Lockdown() { unlock(); }
  Lockdown(const Lockdown&) = delete;
  Lockdown& operator=(const Lockdown&) = delete;

  // Throws Error(runtime) naming what the policy refused, if anything.
  void throw_if_refused() const {
    if (m_verdict.refusal)
      throw Error(ErrorKind::runtime, "sql is read-only: " + m_verdict.refusal->what + " is not allowed",
                  m_verdict.refusal->hint);
  }

private:
  struct Setting {
    int option;
    int value;
    int before = 0;
  };

  void lock() {
    for (auto& setting : m_settings) {
      sqlite::check(m_db, sqlite3_db_config(m_db, setting.option, -1, &setting.before), "reading a setting");
      sqlite::check(m_db, sqlite3_db_config(m_db, setting.option, setting.value, nullptr),
                    "locking the connection down");
      ++m_applied;
    }
    m_attached_before = sqlite3_limit(m_db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite::check(m_db, sqlite3_set_authorizer(m_db, authorize, &m_verdict), "installing the authorizer");
  }

  void unlock() noexcept {
    sqlite3_set_authorizer(m_db, nullptr, nullptr);
    if (m_attached_before >= 0) sqlite3_limit(m_db, SQLITE_LIMIT_ATTACHED, m_attached_before);
    for (std::size_t i = 0; i < m_applied; ++i)
      sqlite3_db_config(m_db, m_settings[i].option, m_settings[i].before, nullptr);
  }

  sqlite3* m_db;
  Verdict m_verdict;
  std::array<Setting, 4> m_settings{{{SQLITE_DBCONFIG_DEFENSIVE, 1},
                                     {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
                                     {SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0},
                                     {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0}}};
  std::size_t m_applied = 0;
  int m_attached_before = -1;
};

// ---- Running the query ------------------------------------------------------

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';';
  });
}

struct Finalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalize>;

// Compiles the one statement of `sql` under `lockdown`'s policy and refuses
// it unless it only reads.
StatementPtr prepare_query(sqlite3* db, const std::string& sql, const Lockdown& lockdown) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) {
    lockdown.throw_if_refused();
    throw Error(ErrorKind::usage, std::string("SQL error: ") + sqlite3_errmsg(db),
                "see samples_view and series_view in healthctl-sql(1)", {}, rc);
  }
  if (!statement) throw Error(ErrorKind::usage, "the query is empty", "give one SQL statement");
  if (tail != nullptr && !blank(tail))
    throw Error(ErrorKind::usage, "the query holds more than one statement",
                "run one statement at a time");
  // What the authorizer is never asked about (VACUUM) SQLite still marks.
  if (sqlite3_stmt_readonly(statement.get()) == 0)
    throw Error(ErrorKind::runtime, "sql is read-only: the statement would change the database",
                k_write_hint);
  return statement;
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

// Binds every parameter of `statement` from `parameters`, each of which it
// must name.
void bind_parameters(sqlite3* db, sqlite3_stmt* statement, const std::vector<SqlParameter>& parameters) {
  const int count = sqlite3_bind_parameter_count(statement);
  std::vector<bool> used(parameters.size(), false);
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(statement, i);
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
    bind_inferred(db, statement, i, given->value);
  }
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (!used[i])
      throw Error(ErrorKind::usage, "the query has no parameter :" + parameters[i].name,
                  "name it in the query as :" + parameters[i].name);
}

SqlValue cell(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
  case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(statement, column)};
  case SQLITE_FLOAT: return sqlite3_column_double(statement, column);
  case SQLITE_TEXT:
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, column)),
                       static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
  case SQLITE_BLOB: {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
    return Blob{std::string(data == nullptr ? "" : data,
                            static_cast<std::size_t>(sqlite3_column_bytes(statement, column)))};
  }
  default: return std::monostate{};
  }
}

} // namespace

void run_sql(Store& store, const std::string& sql, const std::vector<SqlParameter>& parameters,
             const std::function<void(const std::vector<std::string>&)>& on_columns,
             const std::function<void(const std::vector<SqlValue>&)>& on_row) {
  if (blank(sql)) throw Error(ErrorKind::usage, "the query is empty", "give one SQL statement");
  sqlite3* db = store.handle();
  Lockdown lockdown(db); // outlives the statement
  const StatementPtr statement = prepare_query(db, sql, lockdown);
  sqlite3_stmt* raw = statement.get();
  bind_parameters(db, raw, parameters);

  const int columns = sqlite3_column_count(raw);
  std::vector<std::string> names;
  for (int i = 0; i < columns; ++i) names.emplace_back(sqlite3_column_name(raw, i));
  on_columns(names);

  std::vector<SqlValue> row(static_cast<std::size_t>(columns));
  for (;;) {
    const int step = sqlite3_step(raw);
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) {
      lockdown.throw_if_refused();
      sqlite::fail(db, step, "running the query");
    }
    for (int i = 0; i < columns; ++i) row[static_cast<std::size_t>(i)] = cell(raw, i);
    on_row(row);
  }
}

} // namespace health

namespace health {

namespace {

// A database opened read-only for one query, with a deadline on its steps.
class QueryFile {
public:
  QueryFile(const std::string& file, Millis timeout)
      : m_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout)) {
    const int rc = sqlite3_open_v2(file.c_str(), &m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = m_db != nullptr ? sqlite3_errmsg(m_db) : "out of memory";
      sqlite3_close(m_db);
      throw Error(rc == SQLITE_CANTOPEN ? ErrorKind::not_found : ErrorKind::runtime,
                  "cannot open " + file + ": " + message, "give the path of an SQLite database");
    }
    sqlite3_busy_timeout(m_db, static_cast<int>(std::clamp<Millis>(timeout, 1, INT32_MAX)));
    const auto past = [](void* deadline) -> int {
      return std::chrono::steady_clock::now() >= *static_cast<std::chrono::steady_clock::time_point*>(deadline);
    };
    sqlite3_progress_handler(m_db, 1000, past, &m_deadline);
  }
  ~QueryFile() { sqlite3_close(m_db); }
  QueryFile(const QueryFile&) = delete;
  QueryFile& operator=(const QueryFile&) = delete;
  sqlite3* handle() const { return m_db; }

private:
  std::chrono::steady_clock::time_point m_deadline;
  sqlite3* m_db = nullptr;
};

} // namespace

double query_number(const std::string& file, const std::string& sql, Millis timeout) {
  if (blank(sql)) throw Error(ErrorKind::usage, "the query is empty", "give one SQL statement");
  QueryFile query_file(file, timeout);
  sqlite3* db = query_file.handle();
  Lockdown lockdown(db);
  const StatementPtr statement = prepare_query(db, sql, lockdown);
  sqlite3_stmt* raw = statement.get();
  int step = sqlite3_step(raw);
  const auto fail_step = [&] {
    lockdown.throw_if_refused();
    if (step == SQLITE_INTERRUPT)
      throw Error(ErrorKind::busy, "the query ran past its time limit of " + format_duration(timeout));
    sqlite::fail(db, step, "running the query");
  };
  if (step == SQLITE_DONE) throw Error(ErrorKind::bad_data, "the query gave no row", "it must give one number");
  if (step != SQLITE_ROW) fail_step();
  const int type = sqlite3_column_type(raw, 0);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
    throw Error(ErrorKind::bad_data, type == SQLITE_NULL ? "the query gave NULL" : "the query gave no number",
                "it must give one number");
  const double value = sqlite3_column_double(raw, 0);
  step = sqlite3_step(raw);
  if (step == SQLITE_ROW)
    throw Error(ErrorKind::bad_data, "the query gave more than one row", "it must give one number");
  if (step != SQLITE_DONE) fail_step();
  return value;
}

} // namespace health
