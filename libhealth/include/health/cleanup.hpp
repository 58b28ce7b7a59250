#pragma once
// Cleanup: retention of samples and of resolved issues, and a size limit for
// the file, deleting in short batches so that other writers never wait long,
// then giving the freed pages back to the file system.

#include <health/progress.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace health {

struct CleanupOptions {
  Millis now = 0;
  Millis retention_ms = 30 * k_day_ms;          // samples older than now - retention go
  std::optional<std::uint64_t> max_bytes;       // then the oldest go until the file fits
  Millis issues_retention_ms = 90 * k_day_ms;   // resolved issues (and events) resolved before
  bool dry_run = false;                         // count, change nothing
  bool vacuum = false;                          // VACUUM at the end (one long lock)
  std::size_t batch_rows = 5000;                // rows deleted per transaction
  // Hears of the samples removed so far ("removing samples") after each
  // batch, and ticks during the VACUUM ("vacuum"); not called in a dry run.
  ProgressFn progress;
};

struct CleanupReport {
  Millis cutoff = 0;                // samples before this went (after max-size, the last cutoff)
  std::uint64_t samples_removed = 0;
  std::uint64_t issues_removed = 0;
  std::uint64_t bytes_before = 0;   // the database file with its WAL
  std::uint64_t bytes_after = 0;
  std::size_t batches = 0;
  Millis longest_lock_ms = 0;       // the longest single write transaction
  bool size_limit_met = true;
};

// Throws Error(usage) for a negative retention.
CleanupReport cleanup(Store& store, const CleanupOptions& options);

// Parses a size: a whole number with an optional unit B, KB, MB, GB (powers
// of 1024, any case; MB when none). Throws Error(usage) naming the text.
std::uint64_t parse_size(std::string_view text);

} // namespace health
