#pragma once
// Notification hooks: a shell command run once per issue event with the
// event as JSON on its standard input. A hook that fails or hangs is
// reported and recorded, never fatal; a failed delivery is tried again by
// later checks (up to k_notify_attempts times within a day).

#include <health/issues.hpp>
#include <health/store.hpp>

#include <string>
#include <vector>

namespace health {

inline constexpr int k_notify_attempts = 3;

struct HookOutcome {
  enum class Kind { delivered, failed, timeout };
  Kind kind = Kind::delivered;
  std::string detail; // "exit status 3", "killed by signal 9", "timed out after 10s"
};

std::string_view to_string(HookOutcome::Kind kind);

// Runs `command` with run_process: /bin/sh -c in a process group of its
// own, `input` on its stdin, its stdout and stderr on this process's stderr.
// Past `timeout`, counted from the start (a hook that never reads its input
// times out too), the group is killed. Throws Error(runtime) only when the
// process cannot be started.
HookOutcome run_hook(const std::string& command, const std::string& input, Millis timeout);

// What a hook receives: {"event":{...},"issue":{...}} (the issue without
// its event list).
std::string event_payload(const Issue& issue, const IssueEvent& event, Millis now);

struct Delivery {
  IssueChange change; // the issue and the event to deliver
  HookOutcome outcome;
};

// Delivers the earlier events no hook has taken yet (fewer than
// k_notify_attempts failed attempts, within a day), then `changes` (those
// with an event), recording every attempt. Returns every attempt made, in
// order.
std::vector<Delivery> deliver_events(Store& store, const std::string& command,
                                     const std::vector<IssueChange>& changes, Millis timeout, Millis now);

} // namespace health
