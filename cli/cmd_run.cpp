// healthctl run: a cron job wrapper. Runs the command after `--` (no
// shell), passes its output through, records its outcome under the job's
// component, opens and resolves the job's issue, and exits with the
// command's code. The database never changes that code: a recording that
// fails is reported on stderr and the command's code stands.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/names.hpp>
#include <health/render.hpp>
#include <health/run.hpp>

#include <atomic>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <signal.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"run", {"text"}};

constexpr const char* k_usage = "usage: healthctl run [OPTIONS] NAME -- COMMAND [ARGS...]";

struct RunArgs {
  std::string name;
  std::vector<std::string> command;
  std::string timeout;
  std::string kill_after = "10s";
  bool no_overlap = false;
  int retries = 0;
  std::string retry_delay = "1s";
  int fail_after = 1;
  int critical_after = 0;
  std::string stale_after;
  std::string component;
  std::vector<std::string> labels;
  std::string notify;
  std::string notify_timeout = "10s";
};

// The signal to forward to the command, set by the handler below.
std::atomic<int> g_forward{0};

extern "C" void remember_signal(int number) { g_forward.store(number); }

// SIGTERM, SIGINT and SIGHUP are handed to the command's process group
// (run_process forwards what g_forward holds) instead of ending us first.
void forward_signals() {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; // no SA_RESTART: the wait wakes at once
  for (const int number : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(number, &action, nullptr);
}

// The command after `--`; Error(usage) when there is no `--`, no command,
// or NAME stood after `--`.
std::vector<std::string> command_words(const RunArgs& args) {
  const auto after = words_after_separator();
  if (!after)
    throw health::Error(health::ErrorKind::usage, "no '--' before the command",
                        std::string(k_usage) + " (options go before --)");
  if (after->empty()) throw health::Error(health::ErrorKind::usage, "no command after '--'", k_usage);
  if (args.command != *after)
    throw health::Error(health::ErrorKind::usage, "the job's NAME must come before '--'", k_usage);
  return *after;
}

health::Millis duration_flag(const std::string& text, const char* flag) {
  try {
    return health::parse_duration(text);
  } catch (const health::Error& error) {
    throw health::Error(health::ErrorKind::usage, std::string(flag) + ": " + error.what(), error.hint());
  }
}

health::RunOptions run_options(const Globals& globals, const RunArgs& args) {
  health::RunOptions options;
  options.job.name = args.name;
  health::validate_name("job NAME", args.name);
  options.job.node = node_name(globals);
  options.job.component = args.component.empty() ? args.name : args.component;
  health::validate_name("component", options.job.component);
  options.job.labels = health::parse_label_args(args.labels);
  options.argv = command_words(args);
  if (!args.timeout.empty()) options.timeout = duration_flag(args.timeout, "--timeout");
  if (!args.timeout.empty() && options.timeout <= 0)
    throw health::Error(health::ErrorKind::usage, "--timeout must be longer than 0", "such as --timeout 1h");
  options.kill_after = duration_flag(args.kill_after, "--kill-after");
  options.retries = args.retries;
  options.retry_delay = duration_flag(args.retry_delay, "--retry-delay");
  options.fail_after = args.fail_after;
  options.critical_after = args.critical_after;
  if (!args.stale_after.empty())
    options.stale_after = args.stale_after == "0" ? 0 : duration_flag(args.stale_after, "--stale-after");
  options.forward_signal = &g_forward;
  return options;
}

// Prints a failure to record on stderr, in healthctl's error form.
void report_record_error(const std::string& name, const health::Error& error) {
  std::string line = "healthctl: error: cannot record the run of job " + name + ": " + error.what();
  line += " (the command ran: its exit code stands";
  line += error.hint().empty() ? ")" : "; " + error.hint() + ")";
  std::fprintf(stderr, "%s\n", printable_line(line).c_str());
}

// Records `outcome` and delivers its issue events; a failure is reported,
// never thrown.
void record(const Globals& globals, const RunArgs& args, const health::RunOptions& options,
            const health::RunOutcome& outcome) {
  try {
    auto store = open_store(globals, health::OpenMode::create);
    const auto recorded = health::record_run(store, options, outcome);
    const std::string notify = notify_command(args.notify);
    if (notify.empty() || recorded.changes.empty()) return;
    // The next run delivers again only when it changes an issue: check is
    // what retries.
    deliver_to_hook(store, notify, recorded.changes, health::parse_duration(args.notify_timeout), health::now_ms(),
                    "check");
  } catch (const health::Error& error) {
    report_record_error(args.name, error);
  }
}

// --no-overlap found the lock held: the skip is recorded (when it can be).
void skip(const Globals& globals, const health::RunOptions& options) {
  std::fprintf(stderr, "healthctl: job %s skipped: its previous run is still running (exit %d)\n",
               printable_line(options.job.name).c_str(), health::k_run_skipped);
  try {
    auto store = open_store(globals, health::OpenMode::create);
    health::record_skip(store, options.job, health::now_ms());
  } catch (const health::Error& error) {
    report_record_error(options.job.name, error);
  }
  set_exit_status(health::k_run_skipped);
}

void run_job(const Globals& globals, const RunArgs& args) {
  choose_format(globals, k_formats); // it prints no results of its own
  const auto options = run_options(globals, args);
  (void)notify_command(args.notify); // a malformed setting fails before the command runs
  duration_flag(args.notify_timeout, "--notify-timeout");
  std::optional<health::JobLock> lock;
  if (args.no_overlap) {
    // Beside the database; the database is not opened before the command runs.
    lock = health::JobLock::try_take(database_path(globals) + "-run-" + args.name + ".lock");
    if (!lock) return skip(globals, options);
  }
  forward_signals();
  const auto outcome = health::run_command(options);
  if (outcome.last.kind == health::ProcessOutcome::Kind::not_started)
    std::fprintf(stderr, "healthctl: error: cannot run %s: %s\n", printable_line(options.argv.front()).c_str(),
                 printable_line(outcome.last.error).c_str());
  if (outcome.last.kind == health::ProcessOutcome::Kind::timed_out)
    std::fprintf(stderr, "healthctl: job %s timed out after %s: its process group was killed\n",
                 printable_line(options.job.name).c_str(), health::format_duration(options.timeout).c_str());
  record(globals, args, options, outcome);
  set_exit_status(outcome.exit_code);
}

} // namespace

void setup_run(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<RunArgs>();
  auto* command = app.add_subcommand(
      "run", "Run a cron job: record its duration, exit code and output, open an issue when it fails");
  command->add_option("NAME", args->name, "The job's name (its component unless --component)")->required();
  command->add_option("COMMAND", args->command, "After --: the command and its arguments, run without a shell");
  command->add_option("--timeout", args->timeout, "Kill the command's process group after this long (default none)")
      ->type_name("DURATION");
  command->add_option("--kill-after", args->kill_after, "SIGKILL this long after the SIGTERM (default 10s)")
      ->type_name("DURATION");
  command->add_flag("--no-overlap", args->no_overlap, "Skip (exit 75) while the job's previous run still runs");
  command->add_option("--retries", args->retries, "Run it again after a failure, up to N times (default 0)")
      ->check(whole_number(0))
      ->type_name("N");
  command->add_option("--retry-delay", args->retry_delay, "Wait before a retry, doubled each time (default 1s)")
      ->type_name("DURATION");
  command->add_option("--fail-after", args->fail_after, "Open an issue after N failed runs in a row (default 1)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_option("--critical-after", args->critical_after, "Make the issue critical after N (default never)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_option("--stale-after", args->stale_after,
                      "check opens an issue when the job has not succeeded for this long (0: stop)")
      ->type_name("DURATION");
  command->add_option("--component", args->component, "Component of its series and issues (default NAME)");
  // One value per flag, so that `-l k=v -- COMMAND` leaves `--` alone.
  command->add_option("-l,--label,--labels", args->labels, "Label key=value of its series (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--notify", args->notify, "Run CMD once per issue event (env HEALTH_NOTIFY_CMD)");
  command->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)")
      ->type_name("DURATION");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_job(globals, *args); });
}

} // namespace healthctl
