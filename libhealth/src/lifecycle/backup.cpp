#include <health/backup.hpp>

#include <health/error.hpp>
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
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

namespace fs = std::filesystem;

constexpr Millis k_status_period_ms = 30 * k_day_ms;

// health-20250115T103000Z
std::string stamp(Millis t) {
  std::string iso = format_time(t); // 2025-01-15T10:30:00.000Z
  std::string out = "health-";
  for (const char c : iso.substr(0, 19))
    if (c != '-' && c != ':') out += c;
  return out + "Z";
}

// The time of one of our names, or nullopt for any other name.
std::optional<Millis> parse_name(const std::string& name) {
  if (name.size() < 26 || name.rfind("health-", 0) != 0 || name.substr(name.size() - 3) != ".db") return std::nullopt;
  const std::string core = name.substr(7, 16); // 20250115T103000Z
  for (std::size_t i = 0; i < core.size(); ++i) {
    const char c = core[i];
    const bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return std::nullopt;
  }
  const std::string rest = name.substr(23, name.size() - 23 - 3);
  if (!rest.empty() && rest != "-pre-restore") {
    if (rest.size() < 2 || rest[0] != '-' ||
        !std::all_of(rest.begin() + 1, rest.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return std::nullopt;
  }
  const std::string iso = core.substr(0, 4) + "-" + core.substr(4, 2) + "-" + core.substr(6, 2) + "T" +
                          core.substr(9, 2) + ":" + core.substr(11, 2) + ":" + core.substr(13, 2) + "Z";
  return try_parse_time(iso, 0);
}

// Whether `name` is the temporary file of one of our backups:
// `.` + our name + `.tmp-` + six characters of mkstemp.
bool is_backup_temp(const std::string& name) {
  const auto tmp = name.rfind(".tmp-");
  return name.size() > 1 && name.front() == '.' && tmp != std::string::npos && name.size() - tmp == 11 &&
         parse_name(name.substr(1, tmp - 1)).has_value();
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
  if (bytes)
    insert.bind(6, static_cast<std::int64_t>(*bytes));
  else
    insert.bind_null(6);
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

Millis elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

std::string default_backup_dir(const std::string& database_path) {
  return (fs::path(folder_of(database_path)) / "backups").string();
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
                           const std::string& suffix) {
  const auto start = std::chrono::steady_clock::now();
  std::string temp;
  try {
    ensure_folder(dir);
    remove_stale_backup_temps(dir);
    // A free name: health-<time>[-pre-restore].db, then -2, -3, ...
    const std::string base = stamp(now) + (suffix.empty() ? "" : "-" + suffix);
    std::string name = base + ".db";
    for (int n = 2; fs::exists(fs::path(dir) / name); ++n) name = base + "-" + std::to_string(n) + ".db";
    if (!suffix.empty() && name != base + ".db")
      throw Error(ErrorKind::runtime, "a safety copy named " + name + " exists already", "try again in a second");
    const std::string final_path = (fs::path(dir) / name).string();

    std::string pattern = (fs::path(dir) / ("." + name + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0)
      throw Error(ErrorKind::runtime, "cannot create a file in " + dir + ": " + std::strerror(errno));
    ::close(fd); // an empty file, mode 0600: VACUUM INTO fills it
    temp = pattern;

    sqlite::Statement vacuum(store.handle(), "VACUUM INTO ?1");
    vacuum.bind(1, std::string_view(temp));
    vacuum.run();
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

std::vector<BackupFile> list_backups(const std::string& dir) {
  std::vector<BackupFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    const auto taken = parse_name(name);
    if (!taken) continue;
    out.push_back({entry.path().string(), name, *taken, static_cast<std::uint64_t>(entry.file_size(ec))});
  }
  // Newest first; within one second, -3 before -2 before the first, and a
  // safety copy (taken by a restore, after what it restores) before all.
  const auto sequence = [](const BackupFile& file) {
    const auto dash = file.name.find('-', 7);
    if (dash == std::string::npos) return 1L;
    if (file.name.compare(dash, 12, "-pre-restore") == 0) return std::numeric_limits<long>::max();
    return std::strtol(file.name.c_str() + dash + 1, nullptr, 10);
  };
  std::sort(out.begin(), out.end(), [&](const BackupFile& a, const BackupFile& b) {
    return a.taken_at != b.taken_at ? a.taken_at > b.taken_at : sequence(a) > sequence(b);
  });
  return out;
}

std::vector<CheckedBackup> check_backups(const std::string& dir) {
  std::vector<CheckedBackup> out;
  for (auto& file : list_backups(dir)) {
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

PruneResult prune_backups(const std::string& dir, Millis keep_ms, std::size_t keep_last, Millis now,
                          bool dry_run) {
  if (!dry_run) remove_stale_backup_temps(dir);
  PruneResult result;
  const auto files = list_backups(dir);
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

BackupFile find_backup(const std::string& dir, Millis at) {
  for (const auto& file : list_backups(dir))
    if (file.taken_at <= at && file.name.find("pre-restore") == std::string::npos) return file;
  throw Error(ErrorKind::not_found, "no backup in " + dir + " taken at or before " + format_time(at),
              "see 'healthctl backup list'");
}

RestoreResult restore_backup(const StoreOptions& live, const std::string& backup, const std::string& dir,
                             Millis now, const std::string& node) {
  // Check first: nothing is written anywhere when the backup is unusable.
  const BackupCheck check = check_backup(backup);
  if (!check.ok)
    throw Error(ErrorKind::bad_data, "refusing to restore " + backup + ": " + check.problem,
                "the live database was not changed");

  StoreOptions options = live;
  options.mode = OpenMode::read_write;
  Store store = Store::open(options);
  RestoreResult result;
  result.schema_version = check.schema_version;
  result.safety_copy = create_backup(store, dir, now, node, "pre-restore").file.path;

  const sqlite::ReadOnlyFile source(backup);
  // Wait for the write lock as long as the busy timeout allows.
  sqlite::copy_database(store.handle(), source.handle(), store.busy_timeout(), "restoring " + backup);

  // An older backup is brought up to date by opening it for writing.
  Store restored = Store::open(options);
  result.migrated = check.schema_version < restored.schema_version();
  log_attempt(restored, "restore", backup, true, 0, std::nullopt,
              "safety copy " + result.safety_copy, now);
  return result;
}

} // namespace health
