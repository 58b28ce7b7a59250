#include "issues/job_state.hpp"

#include <health/names.hpp>
#include <health/time.hpp>

#include "issues/issues_db.hpp"
#include "store/sqlite.hpp"

#include <vector>

namespace health::job_state {

namespace {

constexpr const char* k_columns = "node, name, component, labels, created_at, last_run, last_success, last_exit, "
                                  "consecutive_failures, stale_after_ms";

Job read_job(const sqlite::Statement& row) {
  Job job;
  job.node = row.text(0);
  job.name = row.text(1);
  job.component = row.text(2);
  job.labels = parse_labels(row.text(3)).value_or(Labels{});
  job.created_at = row.int64(4);
  job.last_run = row.optional_int64(5);
  job.last_success = row.optional_int64(6);
  if (const auto code = row.optional_int64(7)) job.last_exit = static_cast<int>(*code);
  job.consecutive_failures = static_cast<int>(row.int64(8));
  job.stale_after = row.optional_int64(9);
  return job;
}

// Whole seconds, as durations read: 1d2h3m4s.
std::string seconds_text(Millis ms) { return format_duration(ms / k_second_ms * k_second_ms); }

// The job as check sees it at `now`.
JobCheck judge(const Job& job, Millis now) {
  JobCheck check;
  check.node = job.node;
  check.name = job.name;
  check.key = IssueKey{job.component, k_stale_metric, job.labels};
  check.stale_after = *job.stale_after;
  check.last_success = job.last_success;
  const Millis since = job.last_success.value_or(job.created_at);
  check.stale = now - since >= check.stale_after;
  const std::string grace = " (stale after " + format_duration(check.stale_after) + ")";
  if (!check.stale)
    check.reason = "job " + job.name + " succeeded " + seconds_text(now - since) + " ago" + grace;
  else if (job.last_success)
    check.reason = "job " + job.name + " has not succeeded for " + seconds_text(now - since) + grace;
  else
    check.reason = "job " + job.name + " has never succeeded in the " + seconds_text(now - since) +
                   " since its first run" + grace;
  return check;
}

} // namespace

std::optional<Job> find(sqlite3* db, const std::string& node, const std::string& name) {
  sqlite::Statement query(db, std::string("SELECT ") + k_columns + " FROM job_runs WHERE node = ?1 AND name = ?2");
  query.bind(1, std::string_view(node)).bind(2, std::string_view(name));
  if (!query.step()) return std::nullopt;
  return read_job(query);
}

void save(sqlite3* db, const Job& job) {
  sqlite::Statement upsert(db, std::string("INSERT OR REPLACE INTO job_runs (") + k_columns +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  const std::string labels = format_labels(job.labels);
  upsert.bind(1, std::string_view(job.node)).bind(2, std::string_view(job.name));
  upsert.bind(3, std::string_view(job.component)).bind(4, std::string_view(labels)).bind(5, job.created_at);
  upsert.bind(6, job.last_run).bind(7, job.last_success);
  upsert.bind(8, job.last_exit ? std::optional<std::int64_t>(*job.last_exit) : std::nullopt);
  upsert.bind(9, job.consecutive_failures).bind(10, job.stale_after);
  upsert.run();
}

void check_stale(sqlite3* db, Millis now, const std::string& actor, CheckResult& result) {
  std::vector<Job> watched;
  {
    sqlite::Statement query(db, std::string("SELECT ") + k_columns +
                                    " FROM job_runs WHERE stale_after_ms IS NOT NULL ORDER BY name, node");
    while (query.step()) watched.push_back(read_job(query));
  }
  for (const auto& job : watched) {
    JobCheck check = judge(job, now);
    const auto open = issues_db::find_open(db, check.key);
    // A stale job's issue stands as it is (no event, so no hook, at every
    // check) until a success resolves it; check resolves it only for a job
    // no longer stale (its --stale-after made longer, say).
    if (check.stale && !open) {
      IssueReport report;
      report.key = check.key;
      report.severity = Severity::warning;
      report.reason = check.reason;
      report.value = static_cast<double>(now - job.last_success.value_or(job.created_at)) / k_second_ms;
      report.threshold = static_cast<double>(check.stale_after) / k_second_ms;
      report.source = IssueSource::run;
      report.actor = actor;
      report.at = now;
      auto change = issues_db::report(db, report);
      if (change.event) result.changes.push_back(std::move(change));
    } else if (!check.stale && open && open->source == IssueSource::run) {
      auto change = issues_db::resolve(db, *open, check.reason, actor, now);
      if (change.event) result.changes.push_back(std::move(change));
    }
    result.jobs.push_back(std::move(check));
  }
}

} // namespace health::job_state
