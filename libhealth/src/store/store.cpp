#include <health/store.hpp>

#include "store/schema.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

namespace fs = std::filesystem;

// Page size and incremental auto-vacuum can only be chosen before the first
// table exists, so they are set on a new file before migration 1 runs.
constexpr const char* k_new_file_pragmas = "PRAGMA page_size = 4096;"
                                           "PRAGMA auto_vacuum = INCREMENTAL;";

using schema::FileKind;
using schema::FileState;
using schema::inspect;

} // namespace

FileState schema::inspect(sqlite3* db) {
  // A healthctl file answers this one query; anything else fails to prepare.
  sqlite3_stmt* version = nullptr;
  const int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
                                    &version, nullptr);
  if (rc == SQLITE_OK) {
    const int step = sqlite3_step(version);
    const int value = sqlite3_column_int(version, 0);
    sqlite3_finalize(version);
    if (step != SQLITE_ROW) sqlite::fail(db, step, "reading the schema version");
    return {FileKind::healthctl, value};
  }
  if ((rc & 0xff) != SQLITE_ERROR) sqlite::fail(db, rc, "reading the schema version");
  sqlite::Statement tables(db, "SELECT count(*) FROM sqlite_schema");
  tables.step();
  return {tables.int64(0) == 0 ? FileKind::empty : FileKind::foreign, 0};
}

std::string schema::database_id(sqlite3* db) {
  // Files older than schema 5 (a backup, say) have no identity table.
  sqlite::Statement has_table(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'identity'");
  if (!has_table.step() || has_table.int64(0) == 0) return {};
  sqlite::Statement query(db, "SELECT database_id FROM identity");
  return query.step() ? std::string(query.text(0)) : std::string();
}

namespace {

void migrate(sqlite3* db) {
  const auto& migrations = schema::migrations();
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  // Another process may have migrated while we waited for the write lock.
  const int current = inspect(db).version;
  if (current >= schema::latest_version()) return;
  for (const auto& migration : migrations) {
    if (migration.version <= current) continue;
    sqlite::exec(db, migration.sql);
    sqlite::Statement log(db, "INSERT INTO schema_version (version, description, applied_at) "
                              "VALUES (?1, ?2, ?3)");
    log.bind(1, migration.version).bind(2, std::string_view(migration.description)).bind(3, now_ms());
    log.run();
  }
  transaction.commit();
}

void set_journal_mode_wal(sqlite3* db) {
  sqlite::Statement mode(db, "PRAGMA journal_mode = WAL");
  if (!mode.step() || mode.text(0) != "wal")
    throw Error(ErrorKind::runtime, "cannot switch the database to WAL journal mode",
                "the file system may not support shared memory; use a local disk");
}

// Creates the parent folder (0700) and the file itself (0600), so that SQLite
// and its -wal/-shm files inherit a private mode. Returns true if this call
// created the file.
bool create_file(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    if (!fs::exists(parent, ec)) {
      fs::create_directories(parent, ec);
      if (ec)
        throw Error(ErrorKind::runtime,
                    "cannot create the database folder " + parent.string() + ": " + ec.message(),
                    "check the path and its permissions");
      ::chmod(parent.c_str(), 0700);
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  if (errno == EEXIST) return false;
  throw Error(ErrorKind::runtime, "cannot create the database " + path + ": " + std::strerror(errno),
              "check the path and its permissions");
}

} // namespace

struct Store::Impl {
  sqlite3* db = nullptr;
  std::string path;
  bool created = false;
  bool read_only = false;
  int version = 0;
  Millis busy_timeout = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;

  ~Impl() { sqlite3_close_v2(db); }
};

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::path() const noexcept { return m_impl->path; }
bool Store::created() const noexcept { return m_impl->created; }
int Store::schema_version() const noexcept { return m_impl->version; }
bool Store::read_only() const noexcept { return m_impl->read_only; }
std::string Store::database_id() const { return schema::database_id(m_impl->db); }
Millis Store::busy_timeout() const noexcept { return m_impl->busy_timeout; }
sqlite3* Store::handle() const noexcept { return m_impl->db; }

void Store::set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
  m_impl->deadline = deadline;
  // SQLite calls the handler every 1,000 virtual machine steps: a few
  // microseconds apart, so a deadline is kept within a millisecond.
  const auto past = [](void* impl) -> int {
    const auto& when = static_cast<Impl*>(impl)->deadline;
    return when && std::chrono::steady_clock::now() >= *when ? 1 : 0;
  };
  sqlite3_progress_handler(m_impl->db, deadline ? 1000 : 0, deadline ? +past : nullptr, m_impl.get());
}

int latest_schema_version() { return schema::latest_version(); }

Store Store::open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = options.path;
  impl->read_only = options.mode == OpenMode::read_only;
  impl->busy_timeout = std::clamp<Millis>(options.busy_timeout, 0, INT32_MAX);

  if (options.path.empty())
    throw Error(ErrorKind::usage, "the database path is empty", "set --db or HEALTH_DB_PATH");
  struct stat info {};
  const bool exists = ::stat(options.path.c_str(), &info) == 0;
  if (exists && S_ISDIR(info.st_mode))
    throw Error(ErrorKind::usage, "the database path " + options.path + " is a folder",
                "give the path of a file");
  // A FIFO would block the open forever, a device would get journals beside it.
  if (exists && !S_ISREG(info.st_mode))
    throw Error(ErrorKind::usage, "the database path " + options.path + " is not a regular file",
                "give the path of a file");
  if (!exists) {
    if (options.mode != OpenMode::create)
      throw Error(ErrorKind::not_found, "no database at " + options.path,
                  "record something first or run 'healthctl init'");
    impl->created = create_file(options.path);
  }

  // The thread contract (store.hpp) needs an SQLite built thread-safe: with
  // SQLITE_THREADSAFE=0 two connections in two threads would corrupt each
  // other.
  if (sqlite3_threadsafe() == 0)
    throw Error(ErrorKind::runtime, "this SQLite library was built without thread support",
                "link an SQLite built with SQLITE_THREADSAFE=1 or 2");
  const int flags = (impl->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  impl->db = db;
  if (rc != SQLITE_OK) sqlite::fail(db, rc, "opening " + options.path);

  sqlite3_busy_timeout(db, static_cast<int>(impl->busy_timeout));
  sqlite3_extended_result_codes(db, 1);

  // Everything up to the version check only reads, so a foreign or newer
  // file is refused byte-identical.
  const FileState state = inspect(db);
  const FileKind kind = state.kind;
  if (kind == FileKind::foreign)
    throw Error(ErrorKind::bad_data, options.path + " is an SQLite database but not a healthctl one",
                "check --db or HEALTH_DB_PATH");
  const int latest = schema::latest_version();
  impl->version = state.version;
  if (impl->version > latest)
    throw Error(ErrorKind::runtime,
                options.path + " has schema version " + std::to_string(impl->version) +
                    ", newer than this healthctl supports (" + std::to_string(latest) + ")",
                "upgrade healthctl");

  sqlite::exec(db, options.synchronous == Synchronous::full
                       ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
                       : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");

  if (impl->version < latest) {
    if (impl->read_only) {
      if (kind == FileKind::empty)
        throw Error(ErrorKind::not_found, options.path + " holds no healthctl data yet",
                    "record something first or run 'healthctl init'");
      throw Error(ErrorKind::runtime,
                  options.path + " needs a schema migration (version " +
                      std::to_string(impl->version) + " to " + std::to_string(latest) + ")",
                  "run 'healthctl init' to migrate it");
    }
    if (kind == FileKind::empty) {
      sqlite::exec(db, k_new_file_pragmas);
      set_journal_mode_wal(db);
    }
    migrate(db);
    impl->version = inspect(db).version;
  }
  return Store(std::move(impl));
}

std::string default_database_path() {
  const auto absolute = [](const char* value) {
    return value != nullptr && value[0] == '/';
  };
  const char* state_home = std::getenv("XDG_STATE_HOME");
  if (absolute(state_home)) return std::string(state_home) + "/healthctl/health.db";
  const char* home = std::getenv("HOME");
  if (absolute(home)) return std::string(home) + "/.local/state/healthctl/health.db";
  throw Error(ErrorKind::usage, "cannot choose a default database path",
              "set --db, HEALTH_DB_PATH, XDG_STATE_HOME or HOME");
}

} // namespace health
