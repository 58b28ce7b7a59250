#include <health/notify.hpp>

#include <health/error.hpp>
#include <health/render.hpp>

#include "store/sqlite.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace health {

namespace {

void sleep_ms(long ms) {
  timespec pause{0, ms * 1000000L};
  ::nanosleep(&pause, nullptr);
}

// Writes all of `input` to `fd`, giving up quietly when the hook closed its
// stdin (EPIPE, with SIGPIPE ignored for the duration).
void feed(int fd, const std::string& input) {
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t written = ::write(fd, input.data() + done, input.size() - done);
    if (written < 0) {
      if (errno == EINTR) continue;
      break;
    }
    done += static_cast<std::size_t>(written);
  }
  ::close(fd);
  ::sigaction(SIGPIPE, &previous, nullptr);
}

std::optional<Issue> load_issue(Store& store, std::int64_t id) {
  try {
    return get_issue(store, id);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::not_found) return std::nullopt;
    throw;
  }
}

void record_attempt(Store& store, std::int64_t event_id, const std::string& command, const HookOutcome& outcome,
                    Millis now) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  sqlite::Statement insert(store.handle(), "INSERT INTO notifications (event_id, at, command, outcome, detail) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, event_id).bind(2, now).bind(3, std::string_view(command));
  insert.bind(4, to_string(outcome.kind)).bind(5, std::string_view(outcome.detail));
  insert.run();
  transaction.commit();
}

} // namespace

std::string_view to_string(HookOutcome::Kind kind) {
  switch (kind) {
  case HookOutcome::Kind::delivered: return "delivered";
  case HookOutcome::Kind::failed: return "failed";
  case HookOutcome::Kind::timeout: return "timeout";
  }
  return "failed";
}

HookOutcome run_hook(const std::string& command, const std::string& input, Millis timeout) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw Error(ErrorKind::runtime, std::string("cannot start the notify hook: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw Error(ErrorKind::runtime, std::string("cannot start the notify hook: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(pipe_fds[0], STDIN_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO); // stdout belongs to healthctl's own output
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(pipe_fds[0]);
  feed(pipe_fds[1], input);

  const Millis deadline = now_ms() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return {HookOutcome::Kind::failed, std::strerror(errno)};
    if (now_ms() >= deadline) {
      ::kill(-pid, SIGTERM);
      sleep_ms(100);
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return {HookOutcome::Kind::timeout, "timed out after " + format_duration(timeout)};
    }
    sleep_ms(5);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {HookOutcome::Kind::delivered, ""};
  if (WIFEXITED(status)) return {HookOutcome::Kind::failed, "exit status " + std::to_string(WEXITSTATUS(status))};
  return {HookOutcome::Kind::failed, "killed by signal " + std::to_string(WTERMSIG(status))};
}

std::string event_payload(const Issue& issue, const IssueEvent& event, Millis now) {
  return render_event_payload(issue, event, now);
}

std::vector<Delivery> deliver_events(Store& store, const std::string& command,
                                     const std::vector<IssueChange>& changes, Millis timeout, Millis now) {
  std::vector<IssueChange> queue;
  // Earlier events no hook has taken yet (the hook may have been fixed
  // since): try again.
  {
    sqlite::Statement retry(store.handle(),
                            "SELECT e.issue_id, e.id FROM issue_events e "
                            "JOIN notifications n ON n.event_id = e.id "
                            "WHERE e.at >= ?1 GROUP BY e.id "
                            "HAVING sum(n.outcome = 'delivered') = 0 AND count(*) < ?2 ORDER BY e.id");
    retry.bind(1, now - k_day_ms).bind(2, k_notify_attempts);
    std::vector<std::pair<std::int64_t, std::int64_t>> ids;
    while (retry.step()) ids.emplace_back(retry.int64(0), retry.int64(1));
    for (const auto& [issue_id, event_id] : ids) {
      auto issue = load_issue(store, issue_id);
      if (!issue) continue;
      for (const auto& event : issue->events)
        if (event.id == event_id) queue.push_back({*issue, event});
    }
  }
  for (const auto& change : changes)
    if (change.event) queue.push_back(change);

  std::vector<Delivery> out;
  for (const auto& change : queue) {
    const HookOutcome outcome = run_hook(command, event_payload(change.issue, *change.event, now), timeout);
    record_attempt(store, change.event->id, command, outcome, now);
    out.push_back({change, outcome});
  }
  return out;
}

} // namespace health
