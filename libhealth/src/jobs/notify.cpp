#include <health/notify.hpp>

#include <health/error.hpp>
#include <health/process.hpp>
#include <health/render.hpp>

#include "store/sqlite.hpp"

namespace health {

namespace {

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
  ProcessSpec spec;
  spec.command = command;
  spec.input = input;
  spec.timeout = timeout;
  spec.child_stdout = ChildStdout::to_stderr; // stdout belongs to healthctl's own output
  const ProcessOutcome outcome = run_process(spec);
  switch (outcome.kind) {
  case ProcessOutcome::Kind::exited:
    if (outcome.exit_status == 0) return {HookOutcome::Kind::delivered, ""};
    return {HookOutcome::Kind::failed, "exit status " + std::to_string(outcome.exit_status)};
  case ProcessOutcome::Kind::signaled:
    return {HookOutcome::Kind::failed, "killed by signal " + std::to_string(outcome.signal_number)};
  case ProcessOutcome::Kind::timed_out:
    return {HookOutcome::Kind::timeout, "timed out after " + format_duration(timeout)};
  case ProcessOutcome::Kind::lost: return {HookOutcome::Kind::failed, outcome.error};
  case ProcessOutcome::Kind::not_started: break;
  }
  throw Error(ErrorKind::runtime, "cannot start the notify hook: " + outcome.error);
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
