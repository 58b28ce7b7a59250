#include <health/backup.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/recorder.hpp>

#include "store/schema.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

namespace fs = std::filesystem;

constexpr Millis k_status_period_ms = 30 * k_day_ms;

std::int64_t pragma_value(sqlite3* db, const char* sql) {
  sqlite::Statement statement(db, sql);
  return statement.step() ? statement.int64(0) : 0;
}

// VACUUM INTO `temp` (an empty file), telling `progress` how many bytes of
// the pages in use it has written so far.
void vacuum_into(Store& store, const std::string& temp, const ProgressFn& progress) {
  std::optional<sqlite::ProgressHandler> ticks;
  std::uint64_t total = 0;
  if (progress) {
    const auto pages = pragma_value(store.handle(), "PRAGMA page_count") -
                       pragma_value(store.handle(), "PRAGMA freelist_count");
    total = static_cast<std::uint64_t>(std::max<std::int64_t>(pages, 0) *
                                       pragma_value(store.handle(), "PRAGMA page_size"));
    progress({"copying", 0, total, true});
    ticks.emplace(store.handle(), [&progress, &temp, total] {
      struct stat info {};
      if (::stat(temp.c_str(), &info) == 0)
        progress({"copying", std::min(static_cast<std::uint64_t>(info.st_size), total), total, true});
    });
  }
  sqlite::Statement vacuum(store.handle(), "VACUUM INTO ?1");
  vacuum.bind(1, std::string_view(temp));
  vacuum.run();
  if (progress) progress({"copying", total, total, true});
}

// <stem>-20250115T103000Z
std::string stamp(const std::string& stem, Millis t) {
  std::string iso = format_time(t); // 2025-01-15T10:30:00.000Z
  std::string out = stem + "-";
  for (const char c : iso.substr(0, 19))
    if (c != '-' && c != ':') out += c;
  return out + "Z";
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// What one of our names says: <stem>-<stamp>[-N][-pre-restore].db.
struct BackupName {
  std::string stem;
  Millis taken_at = 0;
  BackupKind kind = BackupKind::backup;
  long sequence = 1; // -N, for the second and later taken in one second
};

constexpr std::string_view k_pre_restore = "-pre-restore";
constexpr std::size_t k_stamp_size = 16; // 20250115T103000Z

// The parts of one of our names, or nullopt for any other name.
std::optional<BackupName> parse_name(std::string_view name) {
  if (name.size() < 3 || name.substr(name.size() - 3) != ".db") return std::nullopt;
  std::string_view core = name.substr(0, name.size() - 3);
  BackupName parsed;
  if (core.ends_with(k_pre_restore)) {
    core.remove_suffix(k_pre_restore.size());
    parsed.kind = BackupKind::pre_restore;
  }
  if (const auto dash = core.rfind('-'); dash != std::string_view::npos && all_digits(core.substr(dash + 1))) {
    const auto sequence = parse_whole_number(core.substr(dash + 1));
    if (!sequence || *sequence < 2) return std::nullopt;
    parsed.sequence = static_cast<long>(*sequence);
    core = core.substr(0, dash);
  }
  if (core.size() < k_stamp_size + 2 || core[core.size() - k_stamp_size - 1] != '-') return std::nullopt;
  const std::string_view digits = core.substr(core.size() - k_stamp_size);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    const bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return std::nullopt;
  }
  const std::string d(digits);
  const std::string iso = d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" + d.substr(9, 2) + ":" +
                          d.substr(11, 2) + ":" + d.substr(13, 2) + "Z";
  const auto taken = try_parse_time(iso, 0);
  if (!taken) return std::nullopt;
  parsed.taken_at = *taken;
  parsed.stem = std::string(core.substr(0, core.size() - k_stamp_size - 1));
  return parsed;
}

// Whether `name` is the temporary file of a backup (of any database):
// `.` + its name + `.tmp-` + six characters of mkstemp, or the rollback
// journal SQLite keeps beside it while VACUUM INTO writes (`-journal`).
bool is_backup_temp(std::string_view name) {
  if (name.ends_with("-journal")) name.remove_suffix(8);
  const auto tmp = name.rfind(".tmp-");
  return name.size() > 1 && name.front() == '.' && tmp != std::string::npos && name.size() - tmp == 11 &&
         parse_name(name.substr(1, tmp - 1)).has_value();
}

std::string stem_of(const std::string& database_path) { return fs::path(database_path).stem().string(); }

// The identity `path` holds, "" when none or when it cannot be read.
std::string stored_database_id(const std::string& path) {
  try {
    sqlite::ReadOnlyFile file(path);
    return schema::database_id(file.handle());
  } catch (const Error&) {
    return {};
  }
}

bool belongs_to(const std::string& database_id, const BackupOwner& owner) {
  return database_id.empty() || owner.database_id.empty() || database_id == owner.database_id;
}

std::string folder_of(const std::string& path) {
  const auto parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void sync_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void ensure_folder(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::runtime, "cannot create the backup folder " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

void log_attempt(Store& store, const char* kind, const std::string& path, bool ok, Millis duration,
                 std::optional<std::uint64_t> bytes, const std::string& detail, Millis now) {
  if (store.read_only()) return;
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  sqlite::Statement insert(store.handle(), "INSERT INTO backup_log (at, kind, path, ok, duration_ms, bytes, detail) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  insert.bind(1, now).bind(2, std::string_view(kind)).bind(3, std::string_view(path)).bind(4, ok ? 1 : 0);
  insert.bind(5, duration);
  insert.bind(6, bytes ? std::optional<std::int64_t>(static_cast<std::int64_t>(*bytes)) : std::nullopt);
  insert.bind(7, std::string_view(detail));
  insert.run();
  transaction.commit();
}

void record_metrics(Store& store, const std::string& node, Millis now, Millis duration, bool ok) {
  SeriesSpec timer;
  timer.key = {node, "healthctl", "backup_duration_ms", {}};
  timer.type = MetricType::timer;
  timer.unit = "ms";
  record(store, timer, {now, static_cast<double>(duration), {}});
  SeriesSpec failures;
  failures.key = {node, "healthctl", "backup_failures", {}};
  failures.type = MetricType::counter;
  record(store, failures, {now, ok ? 0.0 : 1.0, {}});
}

constexpr const char* k_log_columns = "SELECT kind, at, path, ok, duration_ms, bytes, detail FROM backup_log ";

BackupLogEntry log_entry(sqlite::Statement& query) {
  BackupLogEntry entry;
  entry.kind = query.text(0);
  entry.at = query.int64(1);
  entry.path = query.text(2);
  entry.ok = query.int64(3) != 0;
  entry.duration_ms = query.int64(4);
  if (!query.is_null(5)) entry.bytes = static_cast<std::uint64_t>(query.int64(5));
  entry.detail = query.text(6);
  return entry;
}

// The newest log entry of `kind` (or also of `also_kind`, when given).
std::optional<BackupLogEntry> last_entry(sqlite3* db, const char* kind, bool only_ok, const char* also_kind = "") {
  sqlite::Statement query(db, std::string(k_log_columns) + "WHERE kind IN (?1, ?2)" + (only_ok ? " AND ok = 1" : "") +
                                  " ORDER BY at DESC, id DESC LIMIT 1");
  query.bind(1, std::string_view(kind)).bind(2, std::string_view(also_kind));
  if (!query.step()) return std::nullopt;
  return log_entry(query);
}

// Gives `store` the identity `database_id` (when known) if it holds another.
void keep_identity(Store& store, const std::string& database_id) {
  if (database_id.empty() || store.database_id() == database_id) return;
  sqlite::Statement update(store.handle(), "UPDATE identity SET database_id = ?1");
  update.bind(1, std::string_view(database_id));
  update.run();
}

Millis elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

std::string default_backup_dir(const std::string& database_path) {
  return (fs::path(folder_of(database_path)) / "backups").string();
}

std::string_view backup_kind_name(BackupKind kind) {
  return kind == BackupKind::pre_restore ? "pre-restore" : "backup";
}

BackupOwner backup_owner(const Store& store) { return {stem_of(store.path()), store.database_id()}; }

BackupOwner backup_owner(const StoreOptions& options) {
  BackupOwner owner{stem_of(options.path), {}};
  StoreOptions read = options;
  read.mode = OpenMode::read_only;
  try {
    owner.database_id = Store::open(read).database_id();
  } catch (const Error&) { // missing, broken or not yet migrated: the name alone tells
  }
  return owner;
}

BackupCheck check_backup(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
    throw Error(ErrorKind::not_found, "no backup at " + path, "see 'healthctl backup list'");
  BackupCheck check;
  try {
    sqlite::ReadOnlyFile file(path);
    sqlite::Statement integrity(file.handle(), "PRAGMA integrity_check(1)");
    if (!integrity.step() || integrity.text(0) != "ok") {
      check.problem = "it fails integrity_check";
      return check;
    }
    const auto state = schema::inspect(file.handle());
    if (state.kind != schema::FileKind::healthctl) {
      check.problem = "it is not a healthctl database";
      return check;
    }
    check.schema_version = state.version;
    check.database_id = schema::database_id(file.handle());
    if (state.version > schema::latest_version()) {
      check.problem = "its schema version " + std::to_string(state.version) + " is newer than this healthctl's (" +
                      std::to_string(schema::latest_version()) + ")";
      return check;
    }
    sqlite::Statement samples(file.handle(), "SELECT count(*) FROM samples");
    samples.step();
    check.samples = samples.int64(0);
    check.ok = true;
  } catch (const Error& error) {
    check.problem = std::string("it cannot be read as a database (") + error.what() + ")";
  }
  return check;
}

BackupCheck verify_backup(Store* store, const std::string& path, Millis now) {
  const auto start = std::chrono::steady_clock::now();
  const BackupCheck check = check_backup(path);
  if (store != nullptr) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    log_attempt(*store, "verify", path, check.ok, elapsed_since(start), static_cast<std::uint64_t>(info.st_size),
                check.problem, now);
  }
  return check;
}

BackupResult create_backup(Store& store, const std::string& dir, Millis now, const std::string& node,
                           const std::string& suffix, const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  std::string temp;
  try {
    ensure_folder(dir);
    remove_stale_backup_temps(dir);
    // A free name: <stem>-<time>[-pre-restore].db, then <stem>-<time>-2[-pre-restore].db, -3, ...
    const std::string base = stamp(stem_of(store.path()), now);
    const std::string ending = (suffix.empty() ? "" : "-" + suffix) + ".db";
    std::string name = base + ending;
    for (int n = 2; fs::exists(fs::path(dir) / name); ++n) name = base + "-" + std::to_string(n) + ending;
    const std::string final_path = (fs::path(dir) / name).string();

    std::string pattern = (fs::path(dir) / ("." + name + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0)
      throw Error(ErrorKind::runtime, "cannot create a file in " + dir + ": " + std::strerror(errno));
    ::close(fd); // an empty file, mode 0600: VACUUM INTO fills it
    temp = pattern;

    vacuum_into(store, temp, progress);
    ::chmod(temp.c_str(), 0600);
    sync_file(temp);
    const BackupCheck check = check_backup(temp);
    if (!check.ok) throw Error(ErrorKind::runtime, "the new backup failed its check: " + check.problem);
    if (::rename(temp.c_str(), final_path.c_str()) != 0)
      throw Error(ErrorKind::runtime, "cannot name the backup " + final_path + ": " + std::strerror(errno));
    temp.clear();
    sync_folder(dir);

    BackupResult result;
    result.file.path = final_path;
    result.file.name = name;
    result.file.taken_at = now;
    result.file.bytes = fs::file_size(final_path);
    result.file.kind = suffix.empty() ? BackupKind::backup : BackupKind::pre_restore;
    result.file.database_id = check.database_id;
    result.check = check;
    result.duration_ms = elapsed_since(start);
    if (!store.read_only()) {
      log_attempt(store, "create", final_path, true, result.duration_ms, result.file.bytes, "", now);
      record_metrics(store, node, now, result.duration_ms, true);
    }
    return result;
  } catch (const Error& error) {
    if (!temp.empty()) ::unlink(temp.c_str());
    if (!store.read_only()) {
      try {
        log_attempt(store, "create", dir, false, elapsed_since(start), std::nullopt, error.what(), now);
        record_metrics(store, node, now, elapsed_since(start), false);
      } catch (const Error&) { // the first failure is the one to report
      }
    }
    throw;
  }
}

std::vector<BackupFile> list_backups(const std::string& dir, const BackupOwner& owner) {
  std::vector<std::pair<BackupFile, long>> found; // with its sequence
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    const auto parsed = parse_name(name);
    if (!parsed || parsed->stem != owner.stem) continue;
    std::string database_id = stored_database_id(entry.path().string());
    if (!belongs_to(database_id, owner)) continue;
    found.push_back({{entry.path().string(), name, parsed->taken_at, static_cast<std::uint64_t>(entry.file_size(ec)),
                      parsed->kind, std::move(database_id)},
                     parsed->sequence});
  }
  // Newest first; within one second, safety copies (taken by a restore,
  // after what it restores) before backups, and -3 before -2 before the first.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    if (a.first.taken_at != b.first.taken_at) return a.first.taken_at > b.first.taken_at;
    if (a.first.kind != b.first.kind) return a.first.kind == BackupKind::pre_restore;
    return a.second > b.second;
  });
  std::vector<BackupFile> out;
  out.reserve(found.size());
  for (auto& [file, sequence] : found) out.push_back(std::move(file));
  return out;
}

std::vector<CheckedBackup> check_backups(const std::string& dir, const BackupOwner& owner) {
  std::vector<CheckedBackup> out;
  for (auto& file : list_backups(dir, owner)) {
    auto check = check_backup(file.path);
    out.push_back({std::move(file), std::move(check)});
  }
  return out;
}

std::size_t remove_stale_backup_temps(const std::string& dir) {
  const Millis now = now_ms();
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    struct stat info {};
    if (!is_backup_temp(name) || ::lstat(entry.path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    const Millis written = static_cast<Millis>(info.st_mtim.tv_sec) * k_second_ms + info.st_mtim.tv_nsec / 1000000;
    if (written < now - k_stale_backup_temp_ms && ::unlink(entry.path().c_str()) == 0) ++removed;
  }
  return removed;
}

PruneResult prune_backups(const std::string& dir, const BackupOwner& owner, Millis keep_ms, std::size_t keep_last,
                          Millis now, bool dry_run) {
  if (!dry_run) remove_stale_backup_temps(dir);
  PruneResult result;
  const auto files = list_backups(dir, owner);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    if (i < keep_last || file.taken_at >= now - keep_ms) {
      result.kept.push_back(file);
      continue;
    }
    if (!dry_run && ::unlink(file.path.c_str()) != 0 && errno != ENOENT)
      throw Error(ErrorKind::runtime, "cannot remove " + file.path + ": " + std::strerror(errno));
    result.removed.push_back(file);
  }
  if (!dry_run && !result.removed.empty()) sync_folder(dir);
  return result;
}

BackupStatus backup_status(Store& store) {
  BackupStatus status;
  status.last_backup = last_entry(store.handle(), "create", false);
  status.last_success = last_entry(store.handle(), "create", true);
  // create checks the backup it wrote as verify would: that is a verification.
  status.last_verified = last_entry(store.handle(), "verify", true, "create");
  sqlite::Statement counts(store.handle(), "SELECT count(*), coalesce(sum(ok), 0) FROM backup_log "
                                           "WHERE kind = 'create' AND at >= ?1");
  counts.bind(1, now_ms() - k_status_period_ms);
  counts.step();
  status.attempts = static_cast<std::size_t>(counts.int64(0));
  status.successes = static_cast<std::size_t>(counts.int64(1));
  return status;
}

std::vector<BackupLogEntry> backup_history(Store& store, Millis since, Millis until) {
  sqlite::Statement query(store.handle(), std::string(k_log_columns) + "WHERE at >= ?1 AND at < ?2 ORDER BY at, id");
  query.bind(1, since).bind(2, until);
  std::vector<BackupLogEntry> out;
  while (query.step()) out.push_back(log_entry(query));
  return out;
}

BackupFile find_backup(const std::string& dir, const BackupOwner& owner, Millis at) {
  for (const auto& file : list_backups(dir, owner))
    if (file.taken_at <= at && file.kind == BackupKind::backup) return file;
  throw Error(ErrorKind::not_found,
              "no backup of " + owner.stem + " in " + dir + " taken at or before " + format_time(at),
              "see 'healthctl backup list'");
}

RestoreResult restore_backup(const StoreOptions& live, const std::string& backup, const std::string& dir,
                             Millis now, const std::string& node, OtherDatabase other,
                             const ProgressFn& progress) {
  // Check first: nothing is written anywhere when the backup is unusable.
  const BackupCheck check = check_backup(backup);
  if (!check.ok)
    throw Error(ErrorKind::bad_data, "refusing to restore " + backup + ": " + check.problem,
                "the live database was not changed");
  const BackupOwner owner = backup_owner(live);
  if (other == OtherDatabase::refuse && !belongs_to(check.database_id, owner))
    throw Error(ErrorKind::bad_data,
                "refusing to restore " + backup + ": it is a backup of database " + check.database_id + ", not of " +
                    live.path + " (database " + owner.database_id + ")",
                "pass --force to restore it anyway; the live database was not changed");

  StoreOptions options = live;
  options.mode = OpenMode::read_write;
  Store store = Store::open(options);
  const std::string live_id = store.database_id();
  RestoreResult result;
  result.schema_version = check.schema_version;
  const ProgressFn safety_progress = !progress ? ProgressFn() : [&progress](const Progress& p) {
    progress({"safety copy", p.done, p.total, p.bytes});
  };
  result.safety_copy = create_backup(store, dir, now, node, "pre-restore", safety_progress).file.path;

  const sqlite::ReadOnlyFile source(backup);
  // Wait for the write lock as long as the busy timeout allows.
  const auto page_size = static_cast<std::uint64_t>(pragma_value(source.handle(), "PRAGMA page_size"));
  std::function<void(std::uint64_t, std::uint64_t)> pages_copied;
  if (progress)
    pages_copied = [&progress, page_size](std::uint64_t done, std::uint64_t total) {
      progress({"restoring", done * page_size, total * page_size, true});
    };
  sqlite::copy_database(store.handle(), source.handle(), store.busy_timeout(), "restoring " + backup,
                        pages_copied);

  // An older backup is brought up to date by opening it for writing; the
  // file keeps the identity of the database it replaced.
  Store restored = Store::open(options);
  result.migrated = check.schema_version < restored.schema_version();
  keep_identity(restored, live_id);
  log_attempt(restored, "restore", backup, true, 0, std::nullopt,
              "safety copy " + result.safety_copy, now);
  return result;
}

} // namespace health
