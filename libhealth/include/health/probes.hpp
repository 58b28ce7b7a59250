#pragma once
// Probes: checks healthctl makes itself (an HTTP answer, a TCP connect, a
// monitoring plugin, a file's freshness, a query's number), kept in the
// database with what their runs left: the last result and message, the
// failure streak and the circuit breaker; and what a run did. See
// healthctl-probe(1); the runs are in probe_run.hpp (run_probes).

#include <health/issues.hpp>
#include <health/perfdata.hpp>
#include <health/series.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace health {

enum class ProbeKind { http, tcp, exec, file, sqlite };
// The grade of one check, as monitoring plugins give it (exit 0 to 3).
enum class ProbeResult { ok, warning, critical, unknown };
enum class Circuit { closed, open, half_open };

std::string_view to_string(ProbeKind kind);
std::string_view to_string(ProbeResult result);
std::string_view to_string(Circuit circuit); // "half-open"
std::optional<ProbeKind> parse_probe_kind(std::string_view text);

// What a probe checks and how it runs. Defaults are those of `probe add`.
struct ProbeSpec {
  std::string name;
  ProbeKind kind = ProbeKind::tcp;
  std::string target; // URL, HOST:PORT, shell command, file, database file
  // http
  std::string expect_status; // "200-399" when empty; a list of codes and ranges
  std::string body_contains;
  std::string body_regex; // POSIX extended, searched in the first MiB of the body
  std::vector<std::string> headers; // "Name: value"
  bool tls_verify = true;
  // file
  std::optional<Millis> max_age;
  std::optional<std::int64_t> min_size;
  // sqlite
  std::string query;
  std::string warn_range; // monitoring-plugin ranges (range.hpp)
  std::string crit_range;
  // every kind
  std::string component; // the probe's name when empty
  Labels labels;
  std::vector<std::string> depends_on;
  Millis every = k_minute_ms;
  Millis timeout = 10 * k_second_ms; // each attempt's
  int retries = 0;                   // more attempts after a failed one
  int fail_after = 1;                // consecutive failures that open an issue
  std::optional<int> critical_after; // consecutive failures that make it critical
  int breaker_after = 5;             // consecutive failures that open the circuit; 0: never
  Millis breaker_open = 30 * k_second_ms;
  Millis breaker_max = 10 * k_minute_ms;
  int breaker_trials = 3; // successful half-open trials that close it
  bool enabled = true;
};

// What a probe's runs left.
struct ProbeState {
  Millis created_at = 0;
  std::optional<Millis> started_at;
  std::optional<Millis> running_until; // claimed by a run that has not written its result yet
  std::optional<Millis> last_run_at;
  std::optional<ProbeResult> last_result;
  std::string last_message;
  std::optional<double> last_latency_ms;
  int failures = 0; // consecutive
  Circuit circuit = Circuit::closed;
  std::optional<Millis> circuit_until;
  std::optional<Millis> circuit_open_for;
  int trial_successes = 0;
};

struct Probe {
  ProbeSpec spec;
  ProbeState state;
};

// One attempt's outcome.
struct ProbeOutcome {
  ProbeResult result = ProbeResult::unknown;
  std::string message;
  double latency_ms = 0;
  std::vector<PerfValue> perfdata; // an exec probe's performance data, a sqlite probe's value
};

// What one probe did in a run.
struct ProbeRunEntry {
  enum class What { ran, circuit_open, dependency_down, running_elsewhere };
  std::string name;
  What what = What::ran;
  std::string note; // why it was skipped: "circuit open until ...", "depends on db, which is down"
  ProbeOutcome outcome;
  int attempts = 0;
  ProbeState state; // after the run
};

struct ProbeRunReport {
  Millis at = 0;
  std::vector<ProbeRunEntry> entries;      // by name
  std::vector<IssueChange> changes;        // issue events, in order, for the hooks
};


// The component a probe's series and issue go to (its name unless set),
// and their labels: its own plus probe=NAME.
std::string probe_component(const ProbeSpec& spec);
Labels probe_labels(const ProbeSpec& spec);

// `--expect-status`: codes and ranges ("200,204,300-399") as [low, high]
// pairs; nullopt when it is not such a list of codes from 100 to 599.
std::optional<std::vector<std::pair<int, int>>> parse_status_list(std::string_view text);
// Whether an HTTP probe takes `status` (200-399 when expect_status is empty).
bool status_expected(const ProbeSpec& spec, int status);

// Checks a spec as `probe add` and `probe import` take it: the name, the
// target of its kind, the ranges, durations and counts. Throws
// Error(usage) naming the first problem.
void validate_probe(const ProbeSpec& spec);

// Adds the probe, or replaces the spec of the one of its name when
// `replace` (what its runs left is kept: its streak, its circuit). Throws Error(usage) when a probe
// of that name exists and not `replace`, when a dependency is unknown or
// would make a cycle, or when validate_probe does.
enum class Replace { no, yes };
void add_probe(Store& store, const ProbeSpec& spec, Replace replace, Millis now);

// Every probe, by name.
std::vector<Probe> list_probes(Store& store);
// Error(not_found) for an unknown name.
Probe get_probe(Store& store, const std::string& name);
// Removes it; Error(not_found) for an unknown name, Error(usage) when
// another probe depends on it.
void remove_probe(Store& store, const std::string& name);
void set_probe_enabled(Store& store, const std::string& name, bool enabled);
// Closes its circuit and clears its failure streak, as after a success.
void reset_probe(Store& store, const std::string& name);

// Reads the JSON of `probe export` (render_probes_json) back, validating
// each entry; throws Error(bad_data) naming `source` and the entry
// ("probes.json: probe 3: ...").
std::vector<ProbeSpec> parse_probes_json(std::string_view text, const std::string& source);
// Adds or replaces every probe in one transaction: all or nothing.
// Dependencies may name probes of the same import.
void import_probes(Store& store, const std::vector<ProbeSpec>& specs, Millis now);

} // namespace health
