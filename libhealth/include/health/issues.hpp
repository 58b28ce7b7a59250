#pragma once
// Health issues: at most one open issue per (component, metric, labels),
// opened, updated, escalated, de-escalated, acknowledged, resolved and
// reopened, each step kept as an event. See healthctl-issue(1).

#include <health/series.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

enum class Severity { warning, critical };
enum class IssueStatus { active, acknowledged, resolved };
enum class IssueSource { manual, threshold, run };

std::string_view to_string(Severity severity);
std::string_view to_string(IssueStatus status);
std::string_view to_string(IssueSource source);
// Throws Error(usage) naming the accepted values.
Severity parse_severity(std::string_view text);

// A resolved issue reported again within this time of its resolution is
// reopened (same id, a `reopened` event) instead of opening a new one.
inline constexpr Millis k_reopen_window_ms = k_hour_ms;

struct IssueKey {
  std::string component;
  std::string metric;
  Labels labels;
};

struct IssueEvent {
  std::int64_t id = 0;
  Millis at = 0;
  std::string kind; // opened updated escalated de-escalated acknowledged resolved reopened note
  std::string actor;
  std::string note;
  std::optional<Severity> previous_severity;
  std::optional<Severity> severity;
  std::optional<double> value;
};

struct Issue {
  std::int64_t id = 0;
  IssueKey key;
  Severity severity = Severity::warning;
  IssueStatus status = IssueStatus::active;
  std::string reason;
  std::optional<double> current_value;
  std::optional<double> threshold_value;
  Millis first_detected = 0;
  Millis last_updated = 0;
  std::optional<Millis> resolved_at;
  std::int64_t occurrences = 0;
  IssueSource source = IssueSource::manual;
  std::vector<IssueEvent> events; // filled by get_issue only

  bool open() const { return status != IssueStatus::resolved; }
  // From first detection to resolution, or to `now` while open.
  double duration_minutes(Millis now) const;
};

// What one call changed: the issue after it and the event it wrote (none for
// a threshold's plain update).
struct IssueChange {
  Issue issue;
  std::optional<IssueEvent> event;
};

struct IssueReport {
  IssueKey key;
  Severity severity = Severity::warning;
  std::string reason;
  std::optional<double> value;
  std::optional<double> threshold;
  IssueSource source = IssueSource::manual;
  std::string actor;
  Millis at = 0;
};

// Opens an issue, or updates the open one for the key (occurrences, value,
// reason, last_updated; an `updated` event for manual reports, or
// `escalated`/`de-escalated` when the severity changes; escalation makes an
// acknowledged issue active again), or reopens one resolved within
// k_reopen_window_ms. One write transaction.
IssueChange report_issue(Store& store, const IssueReport& report);

// Each throws Error(not_found) for an unknown id. Resolving a resolved
// issue, acknowledging an acknowledged one or escalating to the severity it
// has changes nothing and returns no event.
IssueChange resolve_issue(Store& store, std::int64_t id, const std::string& note,
                          const std::string& actor, Millis at);
IssueChange acknowledge_issue(Store& store, std::int64_t id, const std::string& note,
                              const std::string& actor, Millis at);
IssueChange escalate_issue(Store& store, std::int64_t id, Severity severity, const std::string& note,
                           const std::string& actor, Millis at);
// Resolves the open issue of `key`; nullopt when there is none (a script
// that resolves after every success finds nothing to do most of the time).
std::optional<IssueChange> resolve_issue(Store& store, const IssueKey& key, const std::string& note,
                                         const std::string& actor, Millis at);

struct IssueFilter {
  enum class Which { open, resolved, all };
  Which which = Which::open;
  std::vector<std::string> components;
  std::optional<Severity> severity;
  std::optional<Millis> since; // last updated at or after
};

// Newest first (by last_updated), without events.
std::vector<Issue> list_issues(Store& store, const IssueFilter& filter);

// One issue with its events, oldest first. Error(not_found) for an unknown id.
Issue get_issue(Store& store, std::int64_t id);

// The issue as it stood at `at`, from its events (as get_issue gives them):
// nullopt when it was first detected after `at`. Its status, severity,
// resolution time and events are exact; its reason, value, last update and
// occurrences are those of its last event at or before `at` (a threshold's
// re-check at the same severity writes no event). An issue with no event
// after `at` is returned as it is.
std::optional<Issue> issue_as_of(const Issue& issue, Millis at);

} // namespace health
