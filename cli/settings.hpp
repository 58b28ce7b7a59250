#pragma once
// Settings: the global options and every environment variable of
// healthctl's own (HEALTH_*, USER, NO_COLOR), resolved in one place: flag,
// else environment, else default. (The library itself reads only TZ and
// TZDIR for time zones, as the C library does, and XDG_STATE_HOME or HOME
// for the default database path.)

#include <health/cleanup.hpp>
#include <health/store.hpp>

#include <string>

namespace healthctl {

// Global options, filled in by CLI11 before any subcommand runs.
struct Globals {
  std::string db;     // --db
  std::string node;   // --node
  std::string format; // --format
  bool quiet = false;
  bool verbose = false;
};

// The database path: --db, else HEALTH_DB_PATH, else the default.
std::string database_path(const Globals& globals);

// The node this process records as: --node, else HEALTH_NODE_NAME, else the
// host name. Throws Error(usage) when it is not a valid name.
std::string node_name(const Globals& globals);

// Opens the database with the busy timeout and synchronous mode of the
// environment (HEALTH_BUSY_TIMEOUT, HEALTH_SYNCHRONOUS).
health::Store open_store(const Globals& globals, health::OpenMode mode);
// The options open_store uses, for library calls that open the file themselves.
health::StoreOptions store_options(const Globals& globals, health::OpenMode mode);

// The flags of cleanup (also run by maintain) and the settings they stand
// for: flags, else HEALTH_RETENTION_DAYS and HEALTH_MAX_DB_SIZE_MB, else the
// defaults (30 days, 100 MB; resolved issues 90 days).
struct CleanupArgs {
  std::string retention;
  std::string max_size;
  std::string issues_retention = "90d";
  bool dry_run = false;
  bool vacuum = false;
};
health::CleanupOptions cleanup_options(const CleanupArgs& args, health::Millis now);

// The backup folder: --dir, else HEALTH_BACKUP_DIR, else <db folder>/backups.
std::string backup_dir(const Globals& globals, const std::string& flag);
// HEALTH_BACKUP_RETENTION_DAYS (default 30) as a duration.
health::Millis backup_retention();
// HEALTH_BACKUP_INTERVAL (a duration, default 24h).
health::Millis backup_interval();

// The hook for issue events: --notify, else HEALTH_NOTIFY_CMD, else none.
std::string notify_command(const std::string& flag);

// Who acts on an issue: --by, else $USER, else "healthctl".
std::string actor(const std::string& flag);

// True when NO_COLOR is set (to anything but the empty string).
bool no_color();

} // namespace healthctl
