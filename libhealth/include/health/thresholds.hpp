#pragma once
// Thresholds and their evaluation (`check`): an aggregate of a metric over a
// window ending now, compared with a warning and a critical range, opening,
// updating, escalating, de-escalating and resolving issues. See
// healthctl-threshold(1) and healthctl-check(1).

#include <health/aggregate.hpp>
#include <health/issues.hpp>
#include <health/range.hpp>
#include <health/store.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

enum class CheckState { ok, warning, critical, no_data };
std::string_view to_string(CheckState state);

struct Threshold {
  IssueKey key; // component, metric and labels (empty: every series of the metric)
  std::optional<AlertRange> warn;
  std::optional<AlertRange> crit;
  Agg agg = Agg::avg;
  Millis window_ms = 5 * k_minute_ms;
  Millis for_ms = 0;
  bool enabled = true;
  std::string description;
  // What the last check saw; empty before the first.
  std::optional<Millis> last_checked;
  std::optional<CheckState> last_state;
  std::optional<double> last_value;
  std::optional<Millis> pending_since; // a breach not yet held for `for`
  std::string unit;                    // of the metric's series, when known
};

// Inserts or replaces the threshold of its key (check's memory of it starts
// afresh). Throws Error(usage) when it has neither range, or a bad name.
void set_threshold(Store& store, const Threshold& threshold);
// Removes the threshold of `key`; Error(not_found) when there is none.
void remove_threshold(Store& store, const IssueKey& key);
// Every threshold, by component, metric and labels.
std::vector<Threshold> list_thresholds(Store& store);

// Parses the JSON form of `threshold import` (what render_thresholds
// writes) and validates every entry; Error(bad_data) naming `source` and
// the entry (`rules.json: threshold 3: ...`) on the first problem.
std::vector<Threshold> parse_thresholds_json(std::string_view text, const std::string& source);
// Sets every threshold in one transaction: all or nothing.
void import_thresholds(Store& store, const std::vector<Threshold>& thresholds);

// The outcome of evaluating one threshold.
struct Evaluation {
  Threshold threshold;
  CheckState state = CheckState::ok;
  std::optional<double> value; // none when no data
  std::string reason;          // "p95 query_ms 1500 ms outside 0..1000"
  bool pending = false;        // breached, but not yet for `for`
};

// A job of `healthctl run` that check watches (run --stale-after): stale
// when it has not succeeded for `stale_after` (counted from its first run
// while it never has).
struct JobCheck {
  std::string node;
  std::string name;
  IssueKey key; // its staleness issue: (component, last_success, labels)
  Millis stale_after = 0;
  std::optional<Millis> last_success;
  bool stale = false;
  std::string reason; // "job backup has not succeeded for 1d2h (stale after 26h)"
};

struct CheckResult {
  Millis checked_at = 0;
  std::vector<Evaluation> evaluations;
  std::vector<JobCheck> jobs;       // the watched jobs, by name and node
  std::vector<IssueChange> changes; // only those with an event, in order
};

// Evaluates every enabled threshold over [now - window, now) and applies the
// issue transitions in one write transaction. A breach opens an issue once
// it has held for `for`; while it lasts the issue is updated (no event),
// escalated or de-escalated (an event each); back in range resolves it.
// No data: count and sum (and rate) are 0; the other aggregates leave the
// threshold in state no_data and its issue as it is. In the same
// transaction every job with a grace period (run --stale-after) is judged:
// a stale one opens or updates a warning issue (source run, metric
// last_success), one that has succeeded since resolves it.
CheckResult run_check(Store& store, Millis now, const std::string& actor);

} // namespace health
