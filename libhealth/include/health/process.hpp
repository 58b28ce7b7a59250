#pragma once
// Running a command as a child process (a shell command, or an argv run
// directly): its stdin fed from memory or ours, its output inherited, passed
// through with a tail kept, or captured; one deadline over starting it,
// feeding it and waiting for it, and its whole process group ended at that
// deadline.
//
// Thread rules: run_process touches nothing process-wide (no signal
// handlers, no signal mask, no working directory, no environment), so any
// number of threads may run processes at once, each getting its own
// outcome. It reaps only the child it started.

#include <health/time.hpp>

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

namespace health {

// Where the child's standard output goes.
enum class ChildStdout {
  inherit,   // to this process's stdout
  to_stderr, // to this process's stderr, when our stdout is the command's own output
  // Its stdout to ours and its stderr to ours, each through a pipe of its
  // own; the last `output_limit` bytes of both, in the order they arrived,
  // are kept in the outcome's `output` (a cron job's tail).
  pass_through,
  // Its stdout captured: the first `output_limit` bytes are kept in the
  // outcome's `output`, the rest read and dropped (a monitoring plugin's
  // answer); its stderr goes to ours.
  capture,
};

// Where the child's standard input comes from.
enum class ChildStdin {
  input,   // a pipe fed with `ProcessSpec::input`, then closed
  inherit, // this process's stdin (`input` is ignored)
};

struct ProcessSpec {
  std::string command; // run as /bin/sh -c `command`, when `argv` is empty
  // When not empty: run directly, no shell, argv[0] looked up in PATH as
  // execvp does (a name with a slash is a path).
  std::vector<std::string> argv;
  std::string input; // written to the child's stdin, which is closed after it
  ChildStdin child_stdin = ChildStdin::input;
  // From before starting to the child's exit, writing stdin included. Zero
  // or less ends the child at once.
  Millis timeout = 10 * k_second_ms;
  ChildStdout child_stdout = ChildStdout::inherit;
  // At the deadline the group gets SIGTERM, and SIGKILL this much later.
  Millis kill_grace = 100;
  // For pass_through and capture: how many bytes of output are kept.
  std::size_t output_limit = 4096;
  // When set, looked at every few milliseconds (and whenever a signal
  // interrupts the wait): once it holds a signal number, that signal is
  // sent to the child and its group (once), and SIGKILL follows
  // `kill_grace` later if the child still runs. The caller's signal handler
  // stores into it (lock-free, so safe in a handler).
  const std::atomic<int>* forward_signal = nullptr;
};

struct ProcessOutcome {
  enum class Kind {
    exited,      // the child exited with `exit_status`
    signaled,    // the child was killed by `signal_number`, not by us
    timed_out,   // it still ran at the deadline: its group was killed
    not_started, // it could not be started; `error` says why
    lost,        // its status could not be collected; `error` says why
                 // (another part of the program reaped it, or ignores SIGCHLD)
  };
  Kind kind = Kind::not_started;
  int exit_status = 0;
  int signal_number = 0;
  Millis elapsed = 0; // from before starting to the outcome, on the monotonic clock
  std::string error;  // for not_started and lost: the system's error text
  // For not_started and lost: the errno value. With `argv`, a program that
  // is not found is ENOENT and one that cannot be executed EACCES (or
  // ENOEXEC, ...): a shell would exit 127 and 126.
  int error_number = 0;
  // The signal forwarded from `spec.forward_signal`, or 0.
  int forwarded_signal = 0;
  // pass_through: the last `output_limit` bytes of stdout and stderr in
  // arrival order; capture: the first `output_limit` bytes of stdout.
  std::string output;
};

// Runs `spec.argv` directly, or else `spec.command` with /bin/sh -c, in a
// process group of its own and waits for it, never past the deadline plus
// `spec.kill_grace`.
//
// The child gets `spec.input` on its stdin (or ours, with ChildStdin::inherit) (a pipe, written without ever
// blocking; a child that closes its stdin or exits early just ends the
// feeding: SIGPIPE is blocked in the calling thread while it writes, and one
// it raised is taken back, so no handler and no other thread sees it), its stdout as `spec.child_stdout` says, our stderr, our
// environment and working directory, and none of our other descriptors
// (ours are close-on-exec). It starts with no signal blocked and SIGPIPE at
// its default.
//
// At the deadline the child and its process group get SIGTERM, then SIGKILL
// after `spec.kill_grace`, and the child is reaped. A child that exits on its own
// is reaped at once; anything it left running in its group is left alone.
// Output is read until the child is reaped, then what is readable at once
// is drained and reading stops: a background process that keeps the pipe
// open never holds us (what it writes later is lost to it: EPIPE). Passed
// through output is written to our descriptors 1 and 2 as it comes, with
// SIGPIPE blocked in this thread while writing (our stdout closed loses
// the output, not the run).
// Never throws but std::bad_alloc: a failure is an outcome.
ProcessOutcome run_process(const ProcessSpec& spec);

} // namespace health
