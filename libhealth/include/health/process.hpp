#pragma once
// Running a shell command as a child process: its stdin fed from memory, one
// deadline over starting it, feeding it and waiting for it, and its whole
// process group ended at that deadline.
//
// Thread rules: run_process touches nothing process-wide (no signal
// handlers, no signal mask, no working directory, no environment), so any
// number of threads may run processes at once, each getting its own
// outcome. It reaps only the child it started.

#include <health/time.hpp>

#include <string>

namespace health {

// Where the child's standard output goes.
enum class ChildStdout {
  inherit,   // to this process's stdout
  to_stderr, // to this process's stderr, when our stdout is the command's own output
};

struct ProcessSpec {
  std::string command; // run as /bin/sh -c `command`
  std::string input;   // written to the child's stdin, which is closed after it
  // From before starting to the child's exit, writing stdin included. Zero
  // or less ends the child at once.
  Millis timeout = 10 * k_second_ms;
  ChildStdout child_stdout = ChildStdout::inherit;
  // At the deadline the group gets SIGTERM, and SIGKILL this much later.
  Millis kill_grace = 100;
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
};

// Runs `spec.command` with /bin/sh -c in a process group of its own and
// waits for it, never past the deadline plus `spec.kill_grace`.
//
// The child gets `spec.input` on its stdin (a pipe, written without ever
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
// Never throws but std::bad_alloc: a failure is an outcome.
ProcessOutcome run_process(const ProcessSpec& spec);

} // namespace health
