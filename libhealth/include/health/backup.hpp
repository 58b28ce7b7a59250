#pragma once
// Backups: consistent online snapshots of the database (VACUUM INTO a
// temporary file, checked, renamed), their listing, verification, pruning
// and status, and restore through SQLite's backup API so that other
// processes see the old database or the new one, never a mix.

#include <health/progress.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

// <folder of the database>/backups
std::string default_backup_dir(const std::string& database_path);

// Whose backups: those of a database file are named after its stem
// (/data/big.db gives big-20250115T103000Z.db) and carry its identity, so
// two databases can share one backup folder, even two files of one name in
// different folders.
struct BackupOwner {
  std::string stem;
  std::string database_id; // "" when unknown: then the name alone tells
};

// The owner of the database `options` names: the stem of its path, and its
// identity when a read-only open can read it. A missing, broken or not yet
// migrated database leaves the identity unknown rather than failing, so
// that its backups can still be listed and restored.
BackupOwner backup_owner(const StoreOptions& options);
BackupOwner backup_owner(const Store& store);

enum class BackupKind {
  backup,      // taken by backup create (or maintain)
  pre_restore, // the safety copy a restore keeps of the file it replaced
};

// "backup" or "pre-restore".
std::string_view backup_kind_name(BackupKind kind);

// A backup of ours in a backup folder: <stem>-YYYYMMDDTHHMMSSZ.db, with -N
// when two are taken in one second and -pre-restore for a safety copy.
struct BackupFile {
  std::string path;
  std::string name;
  Millis taken_at = 0; // from the name
  std::uint64_t bytes = 0;
  BackupKind kind = BackupKind::backup;
  std::string database_id; // "" when the file has none (schema < 5) or cannot be read
};

// What a backup file holds, checked: integrity_check passes, it is a
// healthctl database, and its schema is not newer than this build's.
struct BackupCheck {
  bool ok = false;
  std::string problem; // why not, in words
  int schema_version = 0;
  std::int64_t samples = 0;
  std::string database_id; // "" when the file has none (schema < 5)
};

struct BackupResult {
  BackupFile file;
  Millis duration_ms = 0;
  BackupCheck check;
};

// Takes a backup of `store` into `dir` (created 0700 when missing), mode
// 0600, named after the database and `now` in UTC, never over an existing file, written
// under a temporary name and renamed only once integrity_check passes.
// `suffix` is "" or "pre-restore". Logs the attempt for backup_status and
// records the metrics healthctl/backup_duration_ms and
// healthctl/backup_failures (node `node`). Throws on failure, leaving no
// file behind. `progress` hears of the bytes written ("copying").
BackupResult create_backup(Store& store, const std::string& dir, Millis now, const std::string& node,
                           const std::string& suffix = "", const ProgressFn& progress = {});

// The backups of `owner` in `dir`, newest first: the files named after its
// stem whose identity is its own (or unknown, on either side). Other files,
// another database's backups among them, are never listed.
std::vector<BackupFile> list_backups(const std::string& dir, const BackupOwner& owner);

// How old the temporary file of an unfinished backup (one whose process was
// killed) must be before create and prune remove it.
inline constexpr Millis k_stale_backup_temp_ms = k_hour_ms;

// Removes from `dir` the temporary files of unfinished backups, of any
// database (`.<stem>-<time>.db.tmp-XXXXXX`), last written more than
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

// list_backups(dir, owner), each file checked.
std::vector<CheckedBackup> check_backups(const std::string& dir, const BackupOwner& owner);

// Checks `path` and logs the verification in `store` (when given).
BackupCheck verify_backup(Store* store, const std::string& path, Millis now);

struct PruneResult {
  std::vector<BackupFile> removed;
  std::vector<BackupFile> kept;
};

// Removes the backups of `owner` older than `keep_ms`, except the newest
// `keep_last`. Never touches any other file.
PruneResult prune_backups(const std::string& dir, const BackupOwner& owner, Millis keep_ms, std::size_t keep_last,
                          Millis now, bool dry_run);

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

// The newest backup of `owner` in `dir` (not a safety copy) taken at or
// before `at`. Error(not_found) when there is none.
BackupFile find_backup(const std::string& dir, const BackupOwner& owner, Millis at);

struct RestoreResult {
  std::string safety_copy; // the live file as it was, in the backup folder
  int schema_version = 0;  // of the backup
  bool migrated = false;   // an older backup was brought up to date
};

// Whether a restore may put a backup of another database over this one.
enum class OtherDatabase { refuse, allow };

// Restores `backup` over the database of `live`: checks the backup first
// (a truncated, corrupt, foreign or newer one is refused, and so is a backup
// of another database unless `other` is allow; the live file then stays
// byte-identical), keeps a safety copy of the live file in `dir`, then
// copies the backup in one write transaction with the backup API and
// migrates it when it is older. The restored file keeps the identity of the
// database it replaced, so that its backups stay its own. Error(not_found)
// for a missing backup. `progress` hears of the safety copy ("safety copy")
// and then of the copy ("restoring"), in bytes.
RestoreResult restore_backup(const StoreOptions& live, const std::string& backup, const std::string& dir,
                             Millis now, const std::string& node, OtherDatabase other = OtherDatabase::refuse,
                             const ProgressFn& progress = {});

} // namespace health
