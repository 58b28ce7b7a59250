#include <health/process.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace health {

namespace {

using Clock = std::chrono::steady_clock;

// How often we look at a child when the kernel cannot wake us when it ends
// (no pidfd_open: Linux before 5.3, or a sandbox that forbids it).
constexpr auto k_poll_tick = std::chrono::milliseconds(5);

// Owns one file descriptor; -1 when empty.
class Fd {
public:
  explicit Fd(int fd = -1) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }

  int get() const { return m_fd; }
  bool is_open() const { return m_fd >= 0; }
  // Closes the descriptor (never retried on EINTR: Linux has closed it).
  void reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

private:
  int m_fd;
};

// The poll(2) timeout for a wait of `left` until the deadline: all of it
// when `pidfd` wakes us as the child ends, else one k_poll_tick. Rounded up
// to whole milliseconds, so that a wait never ends just short of the
// deadline and spins.
int poll_timeout(const Fd& pidfd, Clock::duration left) {
  const Clock::duration wait = pidfd.is_open() ? left : std::min<Clock::duration>(left, k_poll_tick);
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, INT_MAX));
}

Millis millis_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// A descriptor that polls readable once `pid` has ended, or -1 where the
// kernel has no pidfd_open (then callers look every k_poll_tick).
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); // close-on-exec by definition
#else
  (void)pid;
  return -1;
#endif
}

// The child's ends of its pipes; -1 where it takes ours.
struct ChildEnds {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// The file actions that give the child `ends` as its stdin, stdout and
// stderr (ours are close-on-exec, so only these three are passed).
int add_redirections(posix_spawn_file_actions_t& actions, const ProcessSpec& spec, const ChildEnds& ends) {
  int error = 0;
  if (ends.stdin_fd >= 0) error = ::posix_spawn_file_actions_adddup2(&actions, ends.stdin_fd, STDIN_FILENO);
  if (error == 0 && spec.child_stdout == ChildStdout::to_stderr)
    error = ::posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  if (error == 0 && ends.stdout_fd >= 0)
    error = ::posix_spawn_file_actions_adddup2(&actions, ends.stdout_fd, STDOUT_FILENO);
  if (error == 0 && ends.stderr_fd >= 0)
    error = ::posix_spawn_file_actions_adddup2(&actions, ends.stderr_fd, STDERR_FILENO);
  return error;
}

// Starts `spec.argv` directly (looked up in PATH), or else /bin/sh -c
// `spec.command`, in a process group of its own, with `ends` as its standard
// descriptors. Returns 0 and sets `pid`, or an errno value: glibc's
// posix_spawn reports a failed exec (ENOENT, EACCES, ...) here. posix_spawn
// does its work in the child (and without fork's copy of our memory), so
// nothing changes in this process.
int spawn_child(const ProcessSpec& spec, const ChildEnds& ends, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  if (const int error = ::posix_spawn_file_actions_init(&actions); error != 0) return error;
  posix_spawnattr_t attributes;
  if (const int error = ::posix_spawnattr_init(&attributes); error != 0) {
    ::posix_spawn_file_actions_destroy(&actions);
    return error;
  }
  sigset_t none;
  sigemptyset(&none);
  sigset_t sigpipe;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);

  int error = add_redirections(actions, spec, ends);
  if (error == 0) error = ::posix_spawnattr_setpgroup(&attributes, 0);
  // The command starts with no signal blocked, whatever this thread blocks
  // (SIGTERM at the deadline must reach it), and SIGPIPE at its default even
  // if this program ignores it, so a pipeline in it ends as in any shell.
  if (error == 0) error = ::posix_spawnattr_setsigmask(&attributes, &none);
  if (error == 0) error = ::posix_spawnattr_setsigdefault(&attributes, &sigpipe);
  if (error == 0)
    error = ::posix_spawnattr_setflags(
        &attributes, static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  if (error == 0 && !spec.argv.empty()) {
    std::vector<char*> argv;
    for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  } else if (error == 0) {
    char shell[] = "sh";
    char dash_c[] = "-c";
    char* argv[] = {shell, dash_c, const_cast<char*>(spec.command.c_str()), nullptr};
    error = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
  }
  ::posix_spawnattr_destroy(&attributes);
  ::posix_spawn_file_actions_destroy(&actions);
  return error;
}

// While it lives, SIGPIPE is blocked in this thread only; a SIGPIPE that a
// write of this thread raised meanwhile is taken back before the mask is
// restored. So a child that closed its stdin costs us an EPIPE, and neither
// the process's handlers nor its other threads ever see a signal.
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigemptyset(&m_sigpipe);
    sigaddset(&m_sigpipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &m_sigpipe, &m_before);
    m_was_pending = is_pending();
  }
  ~SigpipeBlock() {
    if (!m_was_pending && is_pending()) {
      const timespec now{0, 0};
      while (::sigtimedwait(&m_sigpipe, nullptr, &now) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &m_before, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
  static bool is_pending() {
    sigset_t pending;
    return ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }
  sigset_t m_sigpipe{};
  sigset_t m_before{};
  bool m_was_pending = false;
};

// Writes what the pipe takes of `input` from `sent` on, without blocking.
// Closes `pipe` once everything is written, or when the child will read no
// more (it closed its stdin: EPIPE).
void feed(Fd& pipe, std::string_view input, std::size_t& sent) {
  const SigpipeBlock quiet;
  while (sent < input.size()) {
    const ssize_t n = ::write(pipe.get(), input.data() + sent, input.size() - sent);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    break;
  }
  pipe.reset();
}

// `ms` from `from` on as a clock duration: negative is none, and a time
// past the clock's range is its end (never an overflow).
Clock::duration clamped(Millis ms, Clock::time_point from) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - from);
  return std::chrono::milliseconds(std::clamp<Millis>(ms, 0, left.count()));
}

// Waits until `pid` has ended or `until` has come, whichever is first,
// without reaping it: while it is unreaped its pid, which is also its process
// group's id, cannot be given to anyone else, so signalling the group stays safe.
void await_end(pid_t pid, const Fd& pidfd, Clock::time_point until) {
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (info.si_pid != 0) return;
    const auto now = Clock::now();
    if (now >= until) return;
    pollfd end{pidfd.get(), POLLIN, 0}; // ignored by poll when -1: a plain sleep
    ::poll(&end, 1, poll_timeout(pidfd, until - now));
  }
}

// Reaps `pid`, waiting as long as it takes; gives up only when it cannot
// be waited for at all.
void reap(pid_t pid, int& status) {
  while (::waitpid(pid, &status, 0) != pid && errno == EINTR) {
  }
}

// Where the child's output goes once read: to our descriptor `target`
// (pass_through) or nowhere (capture), and what of it is kept.
class OutputKeeper {
public:
  OutputKeeper(ChildStdout mode, std::size_t limit) : m_mode(mode), m_limit(limit) {}

  // Takes `size` bytes the child wrote to the pipe passed through to our
  // `target` descriptor.
  void take(int target, const char* data, std::size_t size) {
    if (m_mode == ChildStdout::capture) {
      m_kept.append(data, std::min(size, m_limit - std::min(m_limit, m_kept.size())));
      return;
    }
    pass_on(target, data, size);
    m_kept.append(data, size);
    // Trimmed in steps, so each byte is moved a bounded number of times.
    if (m_kept.size() > 2 * m_limit + 65536) m_kept.erase(0, m_kept.size() - m_limit);
  }

  // What is kept: the first or last `limit` bytes.
  std::string finish() {
    if (m_kept.size() > m_limit) m_kept.erase(0, m_kept.size() - m_limit);
    return std::move(m_kept);
  }

private:
  // Writes all of it to `target`; a closed or failing descriptor loses it.
  static void pass_on(int target, const char* data, std::size_t size);

  ChildStdout m_mode;
  std::size_t m_limit;
  std::string m_kept;
};

// One pipe the child writes to: our non-blocking reading end and where
// what comes through goes.
struct OutputPipe {
  Fd fd;
  int target = -1; // our descriptor it passes through to

  // Reads what is there now, up to `rounds` reads; closes the pipe at its end.
  void read_some(OutputKeeper& keeper, int rounds) {
    char buffer[65536];
    for (int i = 0; i < rounds && fd.is_open(); ++i) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        keeper.take(target, buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      fd.reset(); // end of file, or an error: nothing more to read
    }
  }
};

// Makes a pipe whose ends are both close-on-exec and whose `ours` end
// (0: the reading end, 1: the writing end) does not block. Returns 0 or an
// errno value.
int make_pipe(Fd& ours, Fd& theirs, int our_end) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return errno;
  ours = Fd(ends[our_end]);
  theirs = Fd(ends[1 - our_end]);
  if (::fcntl(ours.get(), F_SETFL, O_NONBLOCK) != 0) return errno;
  return 0;
}

// The child's process and its pipes while it runs.
class Child {
public:
  explicit Child(const ProcessSpec& spec)
      : m_spec(spec), m_start(Clock::now()), m_deadline(m_start + clamped(spec.timeout, m_start)),
        m_keeper(spec.child_stdout, spec.output_limit) {}

  ProcessOutcome run();

private:
  ProcessOutcome finish(ProcessOutcome::Kind kind, int error = 0) {
    m_outcome.kind = kind;
    if (error != 0) {
      m_outcome.error = std::strerror(error);
      m_outcome.error_number = error;
    }
    m_outcome.output = m_keeper.finish();
    m_outcome.elapsed = millis_since(m_start);
    return std::move(m_outcome);
  }
  int start();
  void signal_group(int number) {
    ::kill(-m_pid, number);
    ::kill(m_pid, number); // the child itself, even if it left its group
  }
  void forward_signal(Clock::time_point now);
  void wait_a_little(Clock::time_point now);
  void drain() {
    for (auto& pipe : m_outputs) pipe.read_some(m_keeper, 64);
  }
  ProcessOutcome time_out();

  const ProcessSpec& m_spec;
  Clock::time_point m_start;
  Clock::time_point m_deadline;
  OutputKeeper m_keeper;
  ProcessOutcome m_outcome;
  pid_t m_pid = 0;
  Fd m_pidfd;
  Fd m_input; // our end of the child's stdin
  std::size_t m_sent = 0;
  OutputPipe m_outputs[2];
  std::optional<Clock::time_point> m_kill_at; // after a forwarded signal
};

// Makes the pipes and starts the child. Returns 0 or an errno value.
int Child::start() {
  Fd stdin_theirs;
  Fd out_theirs;
  Fd err_theirs;
  ChildEnds ends;
  if (m_spec.child_stdin == ChildStdin::input) {
    // A pipe for stdin, as a shell gives (a hook may open /dev/stdin); our
    // end never blocks, so the deadline holds while it is fed.
    if (const int error = make_pipe(m_input, stdin_theirs, 1); error != 0) return error;
    ends.stdin_fd = stdin_theirs.get();
  }
  if (m_spec.child_stdout == ChildStdout::pass_through || m_spec.child_stdout == ChildStdout::capture) {
    if (const int error = make_pipe(m_outputs[0].fd, out_theirs, 0); error != 0) return error;
    m_outputs[0].target = STDOUT_FILENO;
    ends.stdout_fd = out_theirs.get();
  }
  if (m_spec.child_stdout == ChildStdout::pass_through) {
    if (const int error = make_pipe(m_outputs[1].fd, err_theirs, 0); error != 0) return error;
    m_outputs[1].target = STDERR_FILENO;
    ends.stderr_fd = err_theirs.get();
  }
  if (const int error = spawn_child(m_spec, ends, m_pid); error != 0) return error;
  m_pidfd = Fd(open_pidfd(m_pid));
  if (m_spec.input.empty()) m_input.reset();
  return 0;
}

// Sends the signal the caller asked to forward, once, and SIGKILL when the
// child outlives its grace.
void Child::forward_signal(Clock::time_point now) {
  if (m_spec.forward_signal == nullptr) return;
  if (m_outcome.forwarded_signal == 0) {
    const int number = m_spec.forward_signal->load();
    if (number <= 0) return;
    m_outcome.forwarded_signal = number;
    signal_group(number);
    m_kill_at = now + clamped(m_spec.kill_grace, now);
  } else if (m_kill_at && now >= *m_kill_at) {
    signal_group(SIGKILL);
    m_kill_at.reset();
  }
}

// Sleeps until the pipe takes more input, output arrives, the child ends,
// the deadline, or (when signals are forwarded) a short tick; handles what
// woke it. A descriptor of -1 is ignored by poll.
void Child::wait_a_little(Clock::time_point now) {
  int timeout = poll_timeout(m_pidfd, m_deadline - now);
  if (m_spec.forward_signal != nullptr) timeout = std::min(timeout, 20);
  pollfd events[4] = {{m_input.get(), POLLOUT, 0},
                      {m_pidfd.get(), POLLIN, 0},
                      {m_outputs[0].fd.get(), POLLIN, 0},
                      {m_outputs[1].fd.get(), POLLIN, 0}};
  if (::poll(events, 4, timeout) <= 0) return;
  if (events[0].revents != 0) feed(m_input, m_spec.input, m_sent);
  for (int i = 0; i < 2; ++i)
    if (events[2 + i].revents != 0) m_outputs[i].read_some(m_keeper, 4);
}

// At the deadline: SIGTERM to the group, SIGKILL after the grace, reaped.
ProcessOutcome Child::time_out() {
  m_input.reset();
  signal_group(SIGTERM);
  const auto grace_start = Clock::now();
  await_end(m_pid, m_pidfd, grace_start + clamped(m_spec.kill_grace, grace_start));
  signal_group(SIGKILL); // also whatever the child started and left in its group
  int status = 0;
  reap(m_pid, status);
  drain();
  return finish(ProcessOutcome::Kind::timed_out);
}

ProcessOutcome Child::run() {
  if (const int error = start(); error != 0) return finish(ProcessOutcome::Kind::not_started, error);
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(m_pid, &status, WNOHANG);
    if (reaped == m_pid) break;
    if (reaped < 0 && errno != EINTR) return finish(ProcessOutcome::Kind::lost, errno);
    const auto now = Clock::now();
    if (now >= m_deadline) return time_out();
    forward_signal(now);
    wait_a_little(now);
  }
  // Reaped: what is in the pipes now is all we wait for; a background
  // process of its that holds them open does not hold us.
  drain();
  if (WIFEXITED(status)) {
    m_outcome.exit_status = WEXITSTATUS(status);
    return finish(ProcessOutcome::Kind::exited);
  }
  m_outcome.signal_number = WTERMSIG(status);
  return finish(ProcessOutcome::Kind::signaled);
}

void OutputKeeper::pass_on(int target, const char* data, std::size_t size) {
  const SigpipeBlock quiet;
  while (size > 0) {
    const ssize_t n = ::write(target, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

} // namespace

ProcessOutcome run_process(const ProcessSpec& spec) { return Child(spec).run(); }

} // namespace health
