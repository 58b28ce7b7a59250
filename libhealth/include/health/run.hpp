#pragma once
// healthctl run: a cron job wrapped. Its command runs (no shell), its
// outcome is recorded as metrics of the job's component, a run of failures
// opens an issue (source `run`) that the next success resolves, and its
// grace period is kept for check. See healthctl-run(1).
//
// The command never depends on the database: run_command uses none, and
// the caller records afterwards (record_run), so a database that cannot be
// opened or written costs the record, never the run or its exit code.

#include <health/issues.hpp>
#include <health/names.hpp>
#include <health/process.hpp>
#include <health/store.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace health {

// A job's identity: its name and where its series and issues go.
struct JobSpec {
  std::string name;
  std::string node;
  std::string component; // the name when empty
  Labels labels;         // job=NAME is added
};

struct RunOptions {
  JobSpec job;
  std::vector<std::string> argv;  // the command, run directly
  Millis timeout = 0;             // per attempt; 0: none
  Millis kill_after = 10 * k_second_ms;
  int retries = 0;                // attempts after a failed one
  Millis retry_delay = k_second_ms; // before the first retry, doubled after each (at most a minute)
  int fail_after = 1;             // consecutive failed runs that open the issue
  int critical_after = 0;         // ... that make it critical; 0: never
  // The grace period check watches: set, 0 to stop watching, or nullopt to
  // keep what the job has.
  std::optional<Millis> stale_after;
  const std::atomic<int>* forward_signal = nullptr; // see ProcessSpec
};

// Exit codes of `healthctl run` besides the command's own.
inline constexpr int k_run_timed_out = 124;     // as timeout(1)
inline constexpr int k_run_cannot_start = 125;  // run itself failed (no pipe, lost status)
inline constexpr int k_run_not_executable = 126; // as a shell
inline constexpr int k_run_not_found = 127;     // as a shell
inline constexpr int k_run_skipped = 75;        // --no-overlap: the previous run holds the lock

// What one `healthctl run` did: its last attempt and the whole run.
struct RunOutcome {
  ProcessOutcome last;     // the last attempt
  int attempts = 0;
  int exit_code = 0;       // what healthctl run exits with (see run_exit_code)
  bool succeeded = false;  // exit 0 and no signal forwarded
  Millis started_at = 0;   // wall clock
  Millis duration = 0;     // of every attempt and the pauses between them
  std::string output_tail; // of the last attempt
};

// The exit code a shell would give for `outcome`: the command's own status,
// 128+N for signal N, 124 for a timeout, 127 for a program not found, 126
// for one that cannot be executed, 125 when it could not be run at all.
int run_exit_code(const ProcessOutcome& outcome);

// Runs `options.argv` with its stdout and stderr passed through (their last
// 4 KiB kept), our stdin, a process group of its own, killed at the timeout
// (SIGTERM, SIGKILL `kill_after` later); again after a failure, up to
// `retries` times, unless the program cannot be started or a signal was
// forwarded. Never throws but std::bad_alloc.
RunOutcome run_command(const RunOptions& options);

// `{"output_tail":"..."}` holding as much of the end of `output` as fits
// in a sample's context (4 KiB of JSON), cut on a UTF-8 boundary, invalid
// UTF-8 replaced by U+FFFD; empty when `output` is.
std::string output_context(std::string_view output);

// What record_run did to the job's issues.
struct RunRecord {
  int consecutive_failures = 0;
  std::vector<IssueChange> changes; // with an event each, for deliver_events
};

// Records `outcome` at its end in one write transaction: samples of
// duration_s (timer, s), exit_code (gauge, the output's tail as context),
// runs and failures (counters), the job's state, and its issues: the
// failure issue (component, exit_code, labels) opened or updated once
// `fail_after` runs in a row failed (critical from `critical_after`),
// resolved by a success, which also resolves a staleness issue. Throws
// Error as a write does (busy, runtime, usage for a bad name or label).
RunRecord record_run(Store& store, const RunOptions& options, const RunOutcome& outcome);

// Records one skipped run (--no-overlap): the counter `skips`.
void record_skip(Store& store, const JobSpec& job, Millis at);

// The series of the job: (node, component, `name`, labels + job=NAME).
SeriesSpec job_series(const JobSpec& job, std::string name, MetricType type, std::string unit = {});

// One run of a job at a time: an advisory lock (flock) on `path`, created
// 0600 if missing (its folder 0700, as the database's), held while this lives (close-on-exec: the command does
// not inherit it) and released by the kernel if the process dies.
class JobLock {
public:
  // The lock, or nullopt when another process holds it. Throws
  // Error(runtime) when the file cannot be opened.
  static std::optional<JobLock> try_take(const std::string& path);
  ~JobLock();
  JobLock(JobLock&& other) noexcept;
  JobLock& operator=(JobLock&& other) noexcept;
  JobLock(const JobLock&) = delete;
  JobLock& operator=(const JobLock&) = delete;

private:
  explicit JobLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

} // namespace health
