#include <health/cleanup.hpp>

#include <health/error.hpp>

#include "store/sqlite.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace health {

namespace {

std::uint64_t file_size(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

// The database file and its WAL.
std::uint64_t bytes_on_disk(const Store& store) {
  return file_size(store.path()) + file_size(store.path() + "-wal");
}

// The one value `sql` returns; the statement is finished on return.
std::int64_t pragma_int(sqlite3* db, const char* sql) {
  sqlite::Statement statement(db, sql);
  return statement.step() ? statement.int64(0) : 0;
}

// A write transaction of cleanup aims to hold the lock for at most this long.
constexpr Millis k_lock_budget_ms = 50;

// Runs `work` in a write transaction, keeps the longest one's length (from
// the lock taken to the commit) and returns it in `held_ms`. Then pauses for
// a quarter of that time: writers wait for the lock in SQLite's busy handler,
// which polls (every 100 ms at most), and a lock taken again at once could
// starve them past their busy timeout.
template <typename Work>
auto timed_write(sqlite3* db, CleanupReport& report, Work&& work, Millis* held_ms = nullptr) {
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  const auto start = std::chrono::steady_clock::now();
  auto result = work();
  transaction.commit();
  const auto held = std::chrono::steady_clock::now() - start;
  const Millis held_whole_ms = std::chrono::duration_cast<std::chrono::milliseconds>(held).count();
  report.longest_lock_ms = std::max<Millis>(report.longest_lock_ms, held_whole_ms);
  ++report.batches;
  if (held_ms != nullptr) *held_ms = held_whole_ms;
  std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
      held / 4, std::chrono::milliseconds(k_lock_budget_ms / 2)));
  return result;
}

// Every statement below is finished before the next write: a statement left
// open holds a read snapshot, and the WAL could not be truncated under it.
std::uint64_t count_all(sqlite3* db) {
  return static_cast<std::uint64_t>(pragma_int(db, "SELECT coalesce(sum(sample_count), 0) FROM series"));
}

std::vector<std::int64_t> series_ids(sqlite3* db) {
  sqlite::Statement query(db, "SELECT id FROM series ORDER BY id");
  std::vector<std::int64_t> out;
  while (query.step()) out.push_back(query.int64(0));
  return out;
}

// Samples (of every series) older than `cutoff`.
std::uint64_t count_before(sqlite3* db, const std::vector<std::int64_t>& ids, Millis cutoff) {
  sqlite::Statement count(db, "SELECT count(*) FROM samples WHERE series_id = ?1 AND ts_ms < ?2");
  std::uint64_t total = 0;
  for (const auto id : ids) {
    count.reset();
    count.bind(1, id).bind(2, cutoff);
    count.step();
    total += static_cast<std::uint64_t>(count.int64(0));
  }
  return total;
}

// Deletes the samples (and their context) older than `cutoff`, at most
// `batch_rows` per transaction.
// Tells `progress` of the running total of samples removed.
std::uint64_t delete_before(sqlite3* db, const std::vector<std::int64_t>& ids, Millis cutoff,
                            std::size_t batch_rows, CleanupReport& report, const ProgressFn& progress) {
  sqlite::Statement samples(db, "DELETE FROM samples WHERE (series_id, ts_ms, seq) IN "
                                "(SELECT series_id, ts_ms, seq FROM samples WHERE series_id = ?1 AND ts_ms < ?2 "
                                "ORDER BY ts_ms LIMIT ?3)");
  sqlite::Statement contexts(db, "DELETE FROM sample_context WHERE (series_id, ts_ms, seq) IN "
                                 "(SELECT series_id, ts_ms, seq FROM sample_context WHERE series_id = ?1 "
                                 "AND ts_ms < ?2 ORDER BY ts_ms LIMIT ?3)");
  sqlite::Statement uncount(db, "UPDATE series SET sample_count = sample_count - ?2 WHERE id = ?1");
  std::uint64_t removed = 0;
  // Rows a transaction deletes: `batch_rows` at most, halved while a batch
  // holds the lock past the budget, doubled again while well under it.
  std::size_t rows_per_batch = batch_rows;
  for (const auto id : ids) {
    for (;;) {
      const std::size_t limit = rows_per_batch;
      Millis held = 0;
      const auto deleted = timed_write(db, report, [&] {
        for (auto* statement : {&contexts, &samples}) {
          statement->reset();
          statement->bind(1, id).bind(2, cutoff).bind(3, static_cast<std::int64_t>(limit));
          statement->run();
        }
        const auto rows = sqlite::changes(db);
        uncount.reset();
        uncount.bind(1, id).bind(2, rows);
        uncount.run();
        return static_cast<std::uint64_t>(rows);
      }, &held);
      removed += deleted;
      if (progress && deleted > 0) progress({"removing samples", report.samples_removed + removed, 0, false});
      if (held > k_lock_budget_ms && rows_per_batch > 100) rows_per_batch /= 2;
      else if (held < k_lock_budget_ms / 4) rows_per_batch = std::min(batch_rows, rows_per_batch * 2);
      if (deleted < limit) break;
    }
  }
  return removed;
}

// Gives free pages back to the file system in short steps, then folds the
// WAL into the file so the file itself shrinks.
void shrink(const Store& store, CleanupReport& report) {
  sqlite3* db = store.handle();
  constexpr int k_pages_per_step = 2000;
  while (pragma_int(db, "PRAGMA freelist_count") > 0) {
    const auto before = pragma_int(db, "PRAGMA freelist_count");
    timed_write(db, report, [&] {
      sqlite::exec(db, ("PRAGMA incremental_vacuum(" + std::to_string(k_pages_per_step) + ")").c_str());
      return 0;
    });
    if (pragma_int(db, "PRAGMA freelist_count") >= before) break; // not an incremental file
  }
  sqlite::truncate_wal(db, store.busy_timeout());
}

// A time such that at least `wanted` samples are older than it (and not
// many more), by bisection over the samples' time span.
Millis cutoff_for(sqlite3* db, const std::vector<std::int64_t>& ids, std::uint64_t wanted) {
  Millis low = 0;
  Millis high = 0;
  {
    sqlite::Statement span(db, "SELECT min(ts_ms), max(ts_ms) FROM samples");
    span.step();
    if (span.is_null(0)) return 0;
    low = span.int64(0);
    high = span.int64(1) + 1;
  }
  // Sixteen halvings place the cutoff within 1/65536 of the span: close
  // enough, as the caller measures the file again afterwards.
  for (int step = 0; step < 16 && high - low > 1; ++step) {
    const Millis middle = low + (high - low) / 2;
    if (count_before(db, ids, middle) >= wanted)
      high = middle;
    else
      low = middle;
  }
  return high;
}

} // namespace

std::uint64_t parse_size(std::string_view text) {
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string unit(end, text.data() + text.size());
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::pair<const char*, std::uint64_t> units[] = {
      {"", 1ULL << 20}, {"B", 1}, {"K", 1ULL << 10}, {"KB", 1ULL << 10}, {"M", 1ULL << 20},
      {"MB", 1ULL << 20}, {"G", 1ULL << 30}, {"GB", 1ULL << 30}};
  if (ec == std::errc{} && end != text.data() && number > 0)
    for (const auto& [name, scale] : units)
      if (unit == name && number <= UINT64_MAX / scale) return number * scale;
  throw Error(ErrorKind::usage, "invalid size '" + std::string(text) + "'",
              "use a whole number with B, KB, MB or GB, such as 100MB");
}

CleanupReport cleanup(Store& store, const CleanupOptions& options) {
  if (options.retention_ms < 0 || options.issues_retention_ms < 0)
    throw Error(ErrorKind::usage, "a retention must not be negative");
  sqlite3* db = store.handle();
  CleanupReport report;
  report.bytes_before = bytes_on_disk(store);
  report.cutoff = options.now - options.retention_ms;
  const auto ids = series_ids(db);
  const Millis issues_cutoff = options.now - options.issues_retention_ms;

  if (options.dry_run) {
    report.samples_removed = count_before(db, ids, report.cutoff);
    {
      sqlite::Statement issues(db, "SELECT count(*) FROM issues WHERE status = 'resolved' AND resolved_at < ?1");
      issues.bind(1, issues_cutoff);
      issues.step();
      report.issues_removed = static_cast<std::uint64_t>(issues.int64(0));
    }
    if (options.max_bytes && report.bytes_before > *options.max_bytes) {
      // What the size limit would add: the oldest samples, in proportion.
      const auto samples = count_all(db);
      const double per_sample = samples > 0 ? static_cast<double>(report.bytes_before) / static_cast<double>(samples) : 0;
      const auto wanted = per_sample > 0 ? static_cast<std::uint64_t>(
                                               static_cast<double>(report.bytes_before - *options.max_bytes) / per_sample) + 1
                                         : 0;
      if (wanted > report.samples_removed) {
        report.cutoff = std::max(report.cutoff, cutoff_for(db, ids, wanted));
        report.samples_removed = count_before(db, ids, report.cutoff);
      }
    }
    report.bytes_after = report.bytes_before;
    return report;
  }

  report.samples_removed = delete_before(db, ids, report.cutoff, options.batch_rows, report, options.progress);
  report.issues_removed = timed_write(db, report, [&] {
    sqlite::Statement issues(db, "DELETE FROM issues WHERE status = 'resolved' AND resolved_at < ?1");
    issues.bind(1, issues_cutoff);
    issues.run();
    return static_cast<std::uint64_t>(sqlite::changes(db));
  });
  shrink(store, report);

  if (options.max_bytes) {
    // Remove the oldest samples until the file fits: estimate how many from
    // the bytes each costs, remove them, shrink, and look again.
    for (int round = 0; round < 8 && bytes_on_disk(store) > *options.max_bytes; ++round) {
      const auto samples = count_all(db);
      if (samples == 0) break;
      const std::uint64_t size = bytes_on_disk(store);
      const double per_sample = static_cast<double>(size) / static_cast<double>(samples);
      const auto wanted =
          static_cast<std::uint64_t>(static_cast<double>(size - *options.max_bytes) / per_sample * 1.05) + 1;
      const Millis cutoff = cutoff_for(db, ids, std::min(wanted, samples));
      report.cutoff = std::max(report.cutoff, cutoff);
      report.samples_removed += delete_before(db, ids, cutoff, options.batch_rows, report, options.progress);
      shrink(store, report);
    }
    report.size_limit_met = bytes_on_disk(store) <= *options.max_bytes;
  }
  if (options.vacuum) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<sqlite::ProgressHandler> ticks;
    if (options.progress) {
      options.progress({"vacuum", 0, 0, false});
      ticks.emplace(db, [&options] { options.progress({"vacuum", 0, 0, false}); });
    }
    sqlite::exec(db, "VACUUM");
    ticks.reset();
    sqlite::truncate_wal(db, store.busy_timeout());
    const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    report.longest_lock_ms = std::max<Millis>(report.longest_lock_ms, held.count());
  }
  report.bytes_after = bytes_on_disk(store);
  return report;
}

} // namespace health
