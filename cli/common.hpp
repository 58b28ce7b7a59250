#pragma once
// What every subcommand shares: the global options, settings from flags and
// the environment, opening the store, and writing to stdout.

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

// The output format of `command`: --format if given (it must be one of
// `allowed`), else `fallback`. Throws Error(usage) naming the allowed ones.
std::string choose_format(const Globals& globals, std::string_view command,
                          std::initializer_list<std::string_view> allowed,
                          std::string_view fallback);

// Writes `text` to stdout. Throws Error(runtime) when stdout fails (full
// disk, closed pipe).
void write_out(std::string_view text);
void flush_out();

// The exit status of a command that succeeded: 0 unless the command sets
// another (check and status use the monitoring-plugin codes 0 to 3).
void set_exit_status(int status);
int exit_status();

// Splits comma lists given to a repeatable option: {"a,b", "c"} -> a, b, c.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

} // namespace healthctl
