#pragma once
// `probe run`: the probes that are due, run in parallel, each attempt
// bounded by its timeout, retried with backoff, behind a circuit breaker
// and their dependencies; their results recorded as series and issues. See
// healthctl-probe(1).

#include <health/issues.hpp>
#include <health/perfdata.hpp>
#include <health/probes.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace health {

// Makes one attempt, within `timeout`. Called from several threads at once;
// it must not use the Store.
using ProbeCheck = std::function<ProbeOutcome(const ProbeSpec& spec, Millis timeout)>;

// Checks a tcp, exec, file or sqlite probe (an http one goes to `http`).
// Never throws but std::bad_alloc: a failure is an outcome.
ProbeOutcome check_probe(const ProbeSpec& spec, Millis timeout, const ProbeCheck& http);

struct ProbeRunOptions {
  std::vector<std::string> names; // these, due or not; empty: every enabled probe that is due
  bool all = false;               // every enabled probe, due or not
  int jobs = 8;                   // attempts at once
  Millis now = 0;                 // the run's time: what is due, and the samples' time
  std::string node;
  std::string actor = "probe";
  Millis backoff = 500; // before the first retry; doubled for each next one, with jitter
};

// A probe is due when it never ran, or when its interval, less a tenth of
// it (at most 5 s, so that cron's start-up jitter never skips a minute), has
// passed since its last run began. Probes are claimed in one transaction
// before they run, so two `probe run`s never run one probe twice; results
// are written in one transaction after the last attempt. Throws
// Error(not_found) for an unknown name, before anything runs.
ProbeRunReport run_probes(Store& store, const ProbeRunOptions& options, const ProbeCheck& check);

// The circuit breaker and the failure streak after one result (ok or not) at
// `now`: the note of a state change ("circuit opened for 30s after 5
// failures"), or nullopt.
std::optional<std::string> apply_result(const ProbeSpec& spec, ProbeState& state, bool ok, Millis now);

// Whether a probe with `state` may run at `now`: false while its circuit
// is open; an open circuit whose time is up becomes half-open (the note
// says so in `note`).
bool circuit_allows(ProbeState& state, Millis now, std::optional<std::string>& note);

} // namespace health
