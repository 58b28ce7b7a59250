#pragma once
// What every subcommand shares: the global options, settings from flags and
// the environment, opening the store, and writing to stdout.

#include <health/cleanup.hpp>
#include <health/query.hpp>
#include <health/store.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

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

// The output format of `command`: --format if given (it must be one of
// `allowed`), else `fallback`. Throws Error(usage) naming the allowed ones.
std::string choose_format(const Globals& globals, std::string_view command,
                          std::initializer_list<std::string_view> allowed,
                          std::string_view fallback);

// Writes `text` to stdout. Throws Error(runtime) when stdout fails (full
// disk, closed pipe).
void write_out(std::string_view text);
void flush_out();

// The options of the commands that read a time range of some series:
// --since/--until, -c, -m and -l.
struct RangeArgs {
  std::string since = "24h";
  std::string until = "now";
  std::vector<std::string> components;
  std::vector<std::string> metrics;
  std::vector<std::string> labels;
};

// Declares the RangeArgs options on `command`.
void add_range_options(CLI::App* command, RangeArgs& args);

// The half-open range [since, until) at `now`. Throws Error(usage) for a
// malformed time or an end before the start (or at it, unless
// `allow_empty`).
health::TimeRange parse_range(const RangeArgs& args, health::Millis now, bool allow_empty);

// The series filter of the arguments; an explicit --node keeps that node's
// series only (HEALTH_NODE_NAME does not filter).
health::SeriesFilter series_filter(const Globals& globals, const RangeArgs& args);

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

// The exit status of a command that succeeded: 0 unless the command sets
// another (check and status use the monitoring-plugin codes 0 to 3).
void set_exit_status(int status);
int exit_status();

// Splits comma lists given to a repeatable option: {"a,b", "c"} -> a, b, c.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

} // namespace healthctl
