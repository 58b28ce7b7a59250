#pragma once
// What the database keeps of each job of `healthctl run` between runs
// (schema 011): internal to libhealth, written by jobs/run.cpp and read by
// check (issues/thresholds.cpp), inside transactions their callers hold.

#include <health/issues.hpp>
#include <health/thresholds.hpp>

#include <optional>
#include <string>

struct sqlite3;

namespace health::job_state {

// The metrics of a job's two issues: its failures and its staleness.
inline constexpr const char* k_failure_metric = "exit_code";
inline constexpr const char* k_stale_metric = "last_success";

struct Job {
  std::string node;
  std::string name;
  std::string component;
  Labels labels;
  Millis created_at = 0;
  std::optional<Millis> last_run;
  std::optional<Millis> last_success;
  std::optional<int> last_exit;
  int consecutive_failures = 0;
  std::optional<Millis> stale_after; // none: check does not watch it
};

// The job's row, or nullopt before its first run.
std::optional<Job> find(sqlite3* db, const std::string& node, const std::string& name);
// Inserts or replaces the job's row.
void save(sqlite3* db, const Job& job);

// Judges every watched job at `now` (see run_check), appending to
// `result.jobs` and to `result.changes` the issue events it caused.
void check_stale(sqlite3* db, Millis now, const std::string& actor, CheckResult& result);

} // namespace health::job_state
