#pragma once
// collect: the host's own metrics, read from Linux's /proc and statvfs and
// recorded in one transaction. The names, units and labels of what it
// records are listed in healthctl-collect(1).

#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <string>

namespace health {

struct CollectOptions {
  std::string node;                 // recorded as
  std::string component = "system"; // of the host's series (the database's own go to healthctl)
  std::string proc_root = "/proc";  // where /proc is (tests point it at a copy)
  Millis now = 0;                   // the one time of every sample (0: the clock)
  long clock_ticks = 0;             // /proc/stat's ticks per second (0: sysconf(_SC_CLK_TCK))
};

struct CollectReport {
  Millis at = 0;
  std::uint64_t samples = 0;          // samples written
  std::uint64_t series = 0;           // series given a value or a total
  std::uint64_t counters_started = 0; // counters given their first total: no increment yet
  bool cpu_percent = false;           // CPU percentages recorded (not on a counter's first run)
};

// Reads the host's figures under `options.proc_root`, then writes them at
// one time in one transaction, all or nothing. Counters (CPU seconds, disk
// and network bytes) are kept as running totals in the database and
// recorded as increments from the second run on; a total that went down
// after a reboot (the host booted since the last run, by /proc/uptime) or
// to under half (an interface reset) starts again, never recording a
// negative increment; a smaller decrease is jitter (iowait can go down),
// recorded as 0 with the higher total kept. CPU busy and iowait percent
// are those counters' increments over the interval since the last run, so
// the first run records none.
// A file collect can do without (mounts, diskstats, net/dev, file-nr,
// uptime) is skipped when missing; without stat, meminfo or loadavg it
// throws Error(runtime) naming the file. Throws Error(bad_data) when a
// series exists with another type or unit, Error(busy) when locked.
CollectReport collect_host(Store& store, const CollectOptions& options);

} // namespace health
