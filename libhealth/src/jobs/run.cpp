#include <health/run.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/recorder.hpp>
#include <health/series.hpp>
#include <health/time.hpp>

#include "issues/issues_db.hpp"
#include "issues/job_state.hpp"
#include "store/sqlite.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

constexpr Millis k_longest_retry_delay = k_minute_ms;

bool succeeded(const ProcessOutcome& outcome) {
  return outcome.kind == ProcessOutcome::Kind::exited && outcome.exit_status == 0 && outcome.forwarded_signal == 0;
}

// Whether another attempt could fare better: not for a program that cannot
// be started, nor once the user asked us to stop.
bool worth_retrying(const ProcessOutcome& outcome, const RunOptions& options) {
  if (outcome.forwarded_signal != 0) return false;
  if (options.forward_signal != nullptr && options.forward_signal->load() != 0) return false;
  return outcome.kind != ProcessOutcome::Kind::not_started && outcome.kind != ProcessOutcome::Kind::lost;
}

// Sleeps `ms`, ending early when a signal is to be forwarded. True when it
// slept the whole time.
bool pause(Millis ms, const std::atomic<int>* forward_signal) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (forward_signal != nullptr && forward_signal->load() != 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The size of one character `c` in a JSON string: \" \\ \n and the like
// take 2 bytes, other control characters 6 (\u001f), the rest their own.
std::size_t escaped_size(std::string_view c) {
  if (c.size() != 1) return c.size();
  const auto byte = static_cast<unsigned char>(c[0]);
  if (byte == '"' || byte == '\\' || byte == '\b' || byte == '\f' || byte == '\n' || byte == '\r' || byte == '\t')
    return 2;
  return byte < 0x20 ? 6 : 1;
}

// How the run ended, in words: "exit status 3", "timed out after 1s".
std::string run_detail(const RunOutcome& outcome, const RunOptions& options) {
  const ProcessOutcome& last = outcome.last;
  switch (last.kind) {
  case ProcessOutcome::Kind::exited:
    return "exit status " + std::to_string(last.exit_status);
  case ProcessOutcome::Kind::signaled:
    return "killed by signal " + std::to_string(last.signal_number);
  case ProcessOutcome::Kind::timed_out:
    return "timed out after " + format_duration(options.timeout);
  case ProcessOutcome::Kind::not_started:
    return "cannot run " + options.argv.front() + ": " + last.error;
  case ProcessOutcome::Kind::lost:
    return "its status was lost: " + last.error;
  }
  return "failed";
}

// The job's failure issue, opened or updated for the failed `outcome`.
IssueChange report_failure(sqlite3* db, const RunOptions& options, const RunOutcome& outcome, const IssueKey& key,
                           int failures, Millis at) {
  IssueReport report;
  report.key = key;
  report.severity = options.critical_after > 0 && failures >= options.critical_after ? Severity::critical
                                                                                      : Severity::warning;
  report.reason = "job " + options.job.name + " failed: " + run_detail(outcome, options);
  if (failures > 1) report.reason += " (" + std::to_string(failures) + " runs in a row)";
  report.value = outcome.exit_code;
  report.source = IssueSource::run;
  report.actor = "run";
  report.at = at;
  return issues_db::report(db, report);
}

// Resolves the open issue of `key` that a run opened, if any.
void resolve_by_success(sqlite3* db, const IssueKey& key, const std::string& note, Millis at,
                        std::vector<IssueChange>& changes) {
  const auto open = issues_db::find_open(db, key);
  if (!open || open->source != IssueSource::run) return;
  auto change = issues_db::resolve(db, *open, note, "run", at);
  if (change.event) changes.push_back(std::move(change));
}

// The job's state after `outcome`, from what it was.
job_state::Job next_state(sqlite3* db, const RunOptions& options, const SeriesSpec& series,
                          const RunOutcome& outcome, Millis at) {
  auto job = job_state::find(db, options.job.node, options.job.name)
                 .value_or(job_state::Job{options.job.node, options.job.name, {}, {}, at, {}, {}, {}, 0, {}});
  job.component = series.key.component;
  job.labels = series.key.labels;
  job.last_run = at;
  job.last_exit = outcome.exit_code;
  if (outcome.succeeded) {
    job.last_success = at;
    job.consecutive_failures = 0;
  } else {
    ++job.consecutive_failures;
  }
  if (options.stale_after) job.stale_after = *options.stale_after > 0 ? options.stale_after : std::nullopt;
  return job;
}

// Checks `spec` as record() would, before anything is written.
const SeriesSpec& checked(const SeriesSpec& spec) {
  if (auto problem = spec_problem(spec)) throw Error(ErrorKind::usage, *problem);
  return spec;
}

} // namespace

int run_exit_code(const ProcessOutcome& outcome) {
  switch (outcome.kind) {
  case ProcessOutcome::Kind::exited:
    return outcome.exit_status;
  case ProcessOutcome::Kind::signaled:
    return 128 + outcome.signal_number;
  case ProcessOutcome::Kind::timed_out:
    return k_run_timed_out;
  case ProcessOutcome::Kind::not_started:
    if (outcome.error_number == ENOENT || outcome.error_number == ENOTDIR) return k_run_not_found;
    if (outcome.error_number == EACCES || outcome.error_number == ENOEXEC || outcome.error_number == EISDIR ||
        outcome.error_number == EPERM || outcome.error_number == ETXTBSY)
      return k_run_not_executable;
    return k_run_cannot_start;
  case ProcessOutcome::Kind::lost:
    return k_run_cannot_start;
  }
  return k_run_cannot_start;
}

RunOutcome run_command(const RunOptions& options) {
  RunOutcome outcome;
  outcome.started_at = now_ms();
  const auto start = std::chrono::steady_clock::now();
  ProcessSpec spec;
  spec.argv = options.argv;
  spec.child_stdin = ChildStdin::inherit;
  spec.child_stdout = ChildStdout::pass_through;
  spec.output_limit = k_max_context_bytes;
  spec.timeout = options.timeout > 0 ? options.timeout : std::numeric_limits<Millis>::max();
  spec.kill_grace = options.kill_after;
  spec.forward_signal = options.forward_signal;
  Millis delay = options.retry_delay;
  for (;;) {
    outcome.last = run_process(spec);
    ++outcome.attempts;
    if (succeeded(outcome.last) || outcome.attempts > options.retries || !worth_retrying(outcome.last, options))
      break;
    if (!pause(delay, options.forward_signal)) break;
    delay = std::min(delay * 2, k_longest_retry_delay);
  }
  outcome.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  outcome.exit_code = run_exit_code(outcome.last);
  outcome.succeeded = succeeded(outcome.last);
  outcome.output_tail = std::move(outcome.last.output);
  outcome.last.output.clear();
  return outcome;
}

std::string output_context(std::string_view output) {
  if (output.empty()) return {};
  const std::string text = valid_utf8(output);
  // From the end, whole characters while their escaped form fits.
  const std::size_t budget = k_max_context_bytes - std::string_view(R"({"output_tail":""})").size();
  std::size_t start = text.size();
  std::size_t escaped = 0;
  while (start > 0) {
    std::size_t first = start - 1;
    while (first > 0 && (static_cast<unsigned char>(text[first]) & 0xc0) == 0x80) --first;
    const std::size_t cost = escaped_size(std::string_view(text).substr(first, start - first));
    if (escaped + cost > budget) break;
    escaped += cost;
    start = first;
  }
  std::string tail = text.substr(start);
  for (;;) { // the writer's escapes as counted above; cut further should they differ
    std::string context = nlohmann::json{{"output_tail", tail}}.dump();
    if (context.size() <= k_max_context_bytes) return context;
    std::size_t cut = std::min(tail.size(), context.size() - k_max_context_bytes);
    while (cut < tail.size() && (static_cast<unsigned char>(tail[cut]) & 0xc0) == 0x80) ++cut;
    tail.erase(0, cut);
  }
}

SeriesSpec job_series(const JobSpec& job, std::string name, MetricType type, std::string unit) {
  SeriesSpec spec;
  spec.key.node = job.node;
  spec.key.component = job.component.empty() ? job.name : job.component;
  spec.key.name = std::move(name);
  spec.key.labels = job.labels;
  std::erase_if(spec.key.labels, [](const auto& label) { return label.first == "job"; });
  spec.key.labels.emplace_back("job", job.name);
  std::sort(spec.key.labels.begin(), spec.key.labels.end());
  spec.type = type;
  spec.unit = std::move(unit);
  return spec;
}

RunRecord record_run(Store& store, const RunOptions& options, const RunOutcome& outcome) {
  const Millis at = outcome.started_at + outcome.duration;
  const SeriesSpec duration = checked(job_series(options.job, "duration_s", MetricType::timer, "s"));
  const SeriesSpec exit_code = checked(job_series(options.job, "exit_code", MetricType::gauge));
  const SeriesSpec runs = checked(job_series(options.job, "runs", MetricType::counter));
  const SeriesSpec failures = checked(job_series(options.job, "failures", MetricType::counter));
  sqlite3* db = store.handle();
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  Recorder recorder(store);
  recorder.insert(recorder.series_id(duration), Sample{at, static_cast<double>(outcome.duration) / k_second_ms, {}});
  recorder.insert(recorder.series_id(exit_code), Sample{at, static_cast<double>(outcome.exit_code),
                                                        output_context(outcome.output_tail)});
  recorder.insert(recorder.series_id(runs), Sample{at, 1, {}});
  recorder.insert(recorder.series_id(failures), Sample{at, outcome.succeeded ? 0.0 : 1.0, {}});
  recorder.write_counts();

  const auto job = next_state(db, options, exit_code, outcome, at);
  job_state::save(db, job);
  RunRecord record;
  record.consecutive_failures = job.consecutive_failures;
  const IssueKey failure_key{exit_code.key.component, job_state::k_failure_metric, exit_code.key.labels};
  if (outcome.succeeded) {
    const std::string note = "job " + options.job.name + " succeeded";
    resolve_by_success(db, failure_key, note, at, record.changes);
    resolve_by_success(db, IssueKey{failure_key.component, job_state::k_stale_metric, failure_key.labels}, note, at,
                       record.changes);
  } else if (job.consecutive_failures >= std::max(1, options.fail_after)) {
    auto change = report_failure(db, options, outcome, failure_key, job.consecutive_failures, at);
    if (change.event) record.changes.push_back(std::move(change));
  }
  transaction.commit();
  return record;
}

void record_skip(Store& store, const JobSpec& job, Millis at) {
  record(store, checked(job_series(job, "skips", MetricType::counter)), Sample{at, 1, {}});
}

std::optional<JobLock> JobLock::try_take(const std::string& path) {
  // The database's folder may not exist yet: made as the Store makes it.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent, ec) && std::filesystem::create_directories(parent, ec))
    ::chmod(parent.c_str(), 0700);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorKind::runtime, "cannot open the lock file " + path + ": " + std::strerror(errno),
                "--no-overlap keeps a lock file beside the database: check the folder's permissions");
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return JobLock(fd);
  const int error = errno;
  ::close(fd);
  if (error == EWOULDBLOCK) return std::nullopt;
  throw Error(ErrorKind::runtime, "cannot lock " + path + ": " + std::strerror(error), "");
}

JobLock::~JobLock() {
  if (m_fd >= 0) ::close(m_fd);
}

JobLock::JobLock(JobLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

JobLock& JobLock::operator=(JobLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

} // namespace health
