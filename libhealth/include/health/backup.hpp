#pragma once
// Backups: consistent online snapshots of the database (VACUUM INTO a
// temporary file, checked, renamed), their listing, verification, pruning
// and status, and restore through SQLite's backup API so that other
// processes see the old database or the new one, never a mix.

#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace health {

// <folder of the database>/backups
std::string default_backup_dir(const std::string& database_path);

// A file of ours in a backup folder: health-YYYYMMDDTHHMMSSZ.db, with
// -N when two are taken in one second and -pre-restore for the safety copy
// a restore keeps.
struct BackupFile {
  std::string path;
  std::string name;
  Millis taken_at = 0; // from the name
  std::uint64_t bytes = 0;
};

// What a backup file holds, checked: integrity_check passes, it is a
// healthctl database, and its schema is not newer than this build's.
struct BackupCheck {
  bool ok = false;
  std::string problem; // why not, in words
  int schema_version = 0;
  std::int64_t samples = 0;
};

struct BackupResult {
  BackupFile file;
  Millis duration_ms = 0;
  BackupCheck check;
};

// Takes a backup of `store` into `dir` (created 0700 when missing), mode
// 0600, named by `now` in UTC and never over an existing file, written
// under a temporary name and renamed only once integrity_check passes.
// `suffix` is "" or "pre-restore". Logs the attempt for backup_status and
// records the metrics healthctl/backup_duration_ms and
// healthctl/backup_failures (node `node`). Throws on failure, leaving no
// file behind.
BackupResult create_backup(Store& store, const std::string& dir, Millis now, const std::string& node,
                           const std::string& suffix = "");

// Our files in `dir`, newest first; other files are never listed.
std::vector<BackupFile> list_backups(const std::string& dir);

// How old the temporary file of an unfinished backup (one whose process was
// killed) must be before create and prune remove it.
inline constexpr Millis k_stale_backup_temp_ms = k_hour_ms;

// Removes from `dir` the temporary files of our unfinished backups
// (`.health-<time>.db.tmp-XXXXXX`) last written more than
// k_stale_backup_temp_ms ago by the system clock (a backup in progress
// writes its file all along); never any other file. Returns how many went.
// create_backup and prune_backups (unless a dry run) call it.
std::size_t remove_stale_backup_temps(const std::string& dir);

// Checks a backup file without changing it. Error(not_found) when missing.
BackupCheck check_backup(const std::string& path);

// A backup file and what check_backup found in it.
struct CheckedBackup {
  BackupFile file;
  BackupCheck check;
};

// list_backups(dir), each file checked.
std::vector<CheckedBackup> check_backups(const std::string& dir);

// Checks `path` and logs the verification in `store` (when given).
BackupCheck verify_backup(Store* store, const std::string& path, Millis now);

struct PruneResult {
  std::vector<BackupFile> removed;
  std::vector<BackupFile> kept;
};

// Removes our backups older than `keep_ms`, except the newest `keep_last`.
// Never touches a file that is not ours.
PruneResult prune_backups(const std::string& dir, Millis keep_ms, std::size_t keep_last, Millis now,
                          bool dry_run);

struct BackupLogEntry {
  std::string kind; // create, verify or restore
  Millis at = 0;
  std::string path;
  bool ok = false;
  Millis duration_ms = 0;
  std::optional<std::uint64_t> bytes;
  std::string detail;
};

struct BackupStatus {
  std::optional<BackupLogEntry> last_backup;   // the last attempt
  std::optional<BackupLogEntry> last_success;
  std::optional<BackupLogEntry> last_verified; // the last successful verification
  std::size_t attempts = 0;                    // over the last 30 days
  std::size_t successes = 0;
};

BackupStatus backup_status(Store& store);

// The logged backup work (create, verify, restore) in [since, until), oldest first.
std::vector<BackupLogEntry> backup_history(Store& store, Millis since, Millis until);

// The newest of our backups in `dir` taken at or before `at`.
// Error(not_found) when there is none.
BackupFile find_backup(const std::string& dir, Millis at);

struct RestoreResult {
  std::string safety_copy; // the live file as it was, in the backup folder
  int schema_version = 0;  // of the backup
  bool migrated = false;   // an older backup was brought up to date
};

// Restores `backup` over the database of `live`: checks the backup first
// (a truncated, corrupt, foreign or newer one is refused and the live file
// stays byte-identical), keeps a safety copy of the live file in `dir`,
// then copies the backup in one write transaction with the backup API and
// migrates it when it is older. Error(not_found) for a missing backup.
RestoreResult restore_backup(const StoreOptions& live, const std::string& backup, const std::string& dir,
                             Millis now, const std::string& node);

} // namespace health
