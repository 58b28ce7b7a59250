#include <health/process.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string_view>

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

// Starts /bin/sh -c `spec.command` in a process group of its own, with
// `stdin_fd` as its stdin. Returns 0 and sets `pid`, or an errno value.
// posix_spawn does its work in the child (and without fork's copy of our
// memory), so nothing changes in this process.
int spawn_shell(const ProcessSpec& spec, int stdin_fd, pid_t& pid) {
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

  int error = ::posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  if (error == 0 && spec.child_stdout == ChildStdout::to_stderr)
    error = ::posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  if (error == 0) error = ::posix_spawnattr_setpgroup(&attributes, 0);
  // The command starts with no signal blocked, whatever this thread blocks
  // (SIGTERM at the deadline must reach it), and SIGPIPE at its default even
  // if this program ignores it, so a pipeline in it ends as in any shell.
  if (error == 0) error = ::posix_spawnattr_setsigmask(&attributes, &none);
  if (error == 0) error = ::posix_spawnattr_setsigdefault(&attributes, &sigpipe);
  if (error == 0)
    error = ::posix_spawnattr_setflags(
        &attributes, static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  if (error == 0) {
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

} // namespace

ProcessOutcome run_process(const ProcessSpec& spec) {
  const auto start = Clock::now();
  const auto deadline = start + clamped(spec.timeout, start);
  ProcessOutcome outcome;
  const auto finish = [&](ProcessOutcome::Kind kind, int error = 0) {
    outcome.kind = kind;
    if (error != 0) outcome.error = std::strerror(error);
    outcome.elapsed = millis_since(start);
    return outcome;
  };

  // A pipe for stdin, as a shell gives (a hook may open /dev/stdin); our
  // end never blocks, so the deadline holds while it is fed.
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return finish(ProcessOutcome::Kind::not_started, errno);
  Fd theirs(ends[0]);
  Fd ours(ends[1]);
  if (::fcntl(ours.get(), F_SETFL, O_NONBLOCK) != 0) return finish(ProcessOutcome::Kind::not_started, errno);
  pid_t pid = 0;
  if (const int error = spawn_shell(spec, theirs.get(), pid); error != 0)
    return finish(ProcessOutcome::Kind::not_started, error);
  theirs.reset();
  const Fd pidfd(open_pidfd(pid));

  std::size_t sent = 0;
  if (spec.input.empty()) ours.reset();
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) break;
    if (reaped < 0 && errno != EINTR) return finish(ProcessOutcome::Kind::lost, errno);
    const auto now = Clock::now();
    if (now >= deadline) {
      ours.reset();
      ::kill(-pid, SIGTERM);
      ::kill(pid, SIGTERM); // the child itself, even if it left its group
      const auto grace_start = Clock::now();
      await_end(pid, pidfd, grace_start + clamped(spec.kill_grace, grace_start));
      ::kill(-pid, SIGKILL); // also whatever the child started and left in its group
      ::kill(pid, SIGKILL);
      reap(pid, status);
      return finish(ProcessOutcome::Kind::timed_out);
    }
    // Sleep until the pipe takes more input, the child ends, or the
    // deadline; a descriptor of -1 is ignored by poll.
    pollfd events[2] = {{ours.get(), POLLOUT, 0}, {pidfd.get(), POLLIN, 0}};
    if (::poll(events, 2, poll_timeout(pidfd, deadline - now)) > 0 && events[0].revents != 0)
      feed(ours, spec.input, sent);
  }

  if (WIFEXITED(status)) {
    outcome.exit_status = WEXITSTATUS(status);
    return finish(ProcessOutcome::Kind::exited);
  }
  outcome.signal_number = WTERMSIG(status);
  return finish(ProcessOutcome::Kind::signaled);
}

} // namespace health
