// probe run: claim what is due, run it in parallel behind its circuit
// breaker and dependencies, then write every result in one transaction.

#include <health/probe_run.hpp>

#include <health/error.hpp>
#include <health/recorder.hpp>

#include "issues/issues_db.hpp"
#include "issues/probes_db.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace health {

namespace {

Millis due_slack(Millis every) { return std::min<Millis>(every / 10, 5 * k_second_ms); }

bool is_due(const Probe& probe, Millis now) {
  return !probe.state.started_at || now >= *probe.state.started_at + probe.spec.every - due_slack(probe.spec.every);
}

bool passed(ProbeResult result) { return result == ProbeResult::ok; }

// A probe chosen for this run, and what happened to it.
struct Planned {
  Probe probe;
  ProbeRunEntry entry;
  std::vector<std::string> notes; // circuit changes, for the probe's issue
  enum class Stage { waiting, running, done } stage = Stage::waiting;
};

constexpr Millis k_abandon_after = 900; // past an attempt's timeout: a check that still blocks is left behind

// The longest a run of `spec` can take: every attempt with its grace, and
// every backoff at its longest.
Millis run_budget(const ProbeSpec& spec, Millis backoff) {
  Millis total = (spec.retries + 1) * (spec.timeout + k_abandon_after) + 5 * k_second_ms;
  for (int i = 1; i <= spec.retries; ++i) total += std::min<Millis>(backoff << (i - 1), 30 * k_second_ms);
  return total;
}

// The names asked for, each once, in order; Error(not_found) for one that is
// not a probe.
std::vector<std::string> asked_names(sqlite3* db, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names)
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  const auto found = probes_db::read(db, out);
  for (const auto& name : out)
    if (std::none_of(found.begin(), found.end(), [&](const Probe& probe) { return probe.spec.name == name; }))
      throw Error(ErrorKind::not_found, "no probe named " + name, "see 'healthctl probe list'");
  return out;
}

// Whether `planned` may run now; if not, marks it skipped and says why.
// Takes its claim, or moves an open circuit whose time is up to half-open.
bool take_claim(Planned& planned, const ProbeRunOptions& options) {
  auto& state = planned.probe.state;
  if (state.running_until && options.now < *state.running_until) {
    planned.entry.what = ProbeRunEntry::What::running_elsewhere;
    planned.entry.note = "another probe run is running it";
    return false;
  }
  std::optional<std::string> note;
  const bool allowed = circuit_allows(state, options.now, note);
  if (note) planned.notes.push_back(*note);
  if (!allowed) {
    planned.entry.what = ProbeRunEntry::What::circuit_open;
    planned.entry.note = "circuit open until " + format_time(*state.circuit_until) + " ('healthctl probe reset " +
                         planned.entry.name + "' closes it)";
    return false;
  }
  state.started_at = options.now;
  state.running_until = options.now + run_budget(planned.probe.spec, options.backoff);
  return true;
}

std::vector<Planned> claim(Store& store, const ProbeRunOptions& options) {
  sqlite3* db = store.handle();
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  auto probes = probes_db::read(db, asked_names(db, options.names));
  std::vector<Planned> out;
  for (auto& probe : probes) {
    if (options.names.empty() && (!probe.spec.enabled || (!options.all && !is_due(probe, options.now)))) continue;
    Planned planned{std::move(probe), {}, {}};
    planned.entry.name = planned.probe.spec.name;
    if (!take_claim(planned, options)) planned.stage = Planned::Stage::done;
    probes_db::write_state(db, planned.entry.name, planned.probe.state);
    out.push_back(std::move(planned));
  }
  transaction.commit();
  return out;
}

// What an attempt's thread and its waiter share. Each drops its use under
// the mutex, and the last one deletes it, so whichever finishes last (the
// waiter, or a check left behind) never races the other.
struct AttemptShare {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<ProbeOutcome> outcome;
  int users = 2;
};

void release(AttemptShare* share) {
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(share->mutex);
    last = --share->users == 0;
  }
  if (last) delete share;
}

// One attempt, never past its timeout plus k_abandon_after: a check that
// still blocks then (a name that does not resolve, a server that trickles
// its headers, a hung mount) is left to finish on a thread of its own, and
// the attempt fails.
ProbeOutcome bounded_check(const ProbeSpec& spec, const ProbeCheck& check) {
  auto* share = new AttemptShare;
  try {
    std::thread([share, spec, check] {
      auto outcome = check(spec, spec.timeout);
      {
        std::lock_guard<std::mutex> lock(share->mutex);
        share->outcome = std::move(outcome);
        share->done.notify_all();
      }
      release(share);
    }).detach();
  } catch (...) {
    delete share;
    throw;
  }
  std::optional<ProbeOutcome> outcome;
  {
    std::unique_lock<std::mutex> lock(share->mutex);
    const auto limit = std::chrono::milliseconds(spec.timeout + k_abandon_after);
    if (share->done.wait_for(lock, limit, [&] { return share->outcome.has_value(); }))
      outcome = std::move(share->outcome);
  }
  release(share);
  if (outcome) return std::move(*outcome);
  return {ProbeResult::critical, "no answer within " + format_duration(spec.timeout) + " (the check was abandoned)",
          static_cast<double>(spec.timeout + k_abandon_after), {}};
}

// Attempts until one passes, at most 1 + retries, with exponential backoff
// and jitter between them.
ProbeOutcome attempt(const ProbeSpec& spec, const ProbeCheck& check, Millis backoff, int& attempts) {
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  ProbeOutcome out;
  for (int i = 0; i <= spec.retries; ++i) {
    if (i > 0) {
      const double delay = static_cast<double>(std::min<Millis>(backoff << (i - 1), 30 * k_second_ms)) * jitter(random);
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<Millis>(delay)));
    }
    out = bounded_check(spec, check);
    attempts = i + 1;
    if (passed(out.result)) break;
  }
  return out;
}

// Why `name` counts as down for its dependents, or nullopt: it failed, was
// skipped, or has its circuit open, in this run or (not in it) as stored.
std::optional<std::string> down_because(const std::string& name, const std::map<std::string, Planned*>& plan,
                                        const std::map<std::string, ProbeState>& stored, Millis now) {
  if (const auto it = plan.find(name); it != plan.end()) {
    const auto& entry = it->second->entry;
    if (entry.what != ProbeRunEntry::What::ran) return name + " was not run";
    if (!passed(entry.outcome.result)) return name + " failed";
    return std::nullopt;
  }
  const auto it = stored.find(name);
  if (it == stored.end()) return std::nullopt;
  if (it->second.circuit == Circuit::open && it->second.circuit_until && now < *it->second.circuit_until)
    return name + "'s circuit is open";
  if (it->second.last_result && !passed(*it->second.last_result)) return name + " is failing";
  return std::nullopt;
}

class Scheduler {
public:
  Scheduler(std::vector<Planned>& plan, std::map<std::string, ProbeState> stored, const ProbeRunOptions& options,
            const ProbeCheck& check)
      : m_stored(std::move(stored)), m_options(options), m_check(check) {
    for (auto& planned : plan) m_plan[planned.entry.name] = &planned;
  }

  void run() {
    std::vector<std::thread> workers;
    const auto count = static_cast<std::size_t>(std::max(1, m_options.jobs));
    for (std::size_t i = 0; i < std::min(count, m_plan.size()); ++i) workers.emplace_back([this] { work(); });
    for (auto& worker : workers) worker.join();
  }

private:
  enum class Ready { wait, run, skipped };

  // Whether `planned` can run now: its dependencies in this run are done
  // and none is down (else it is skipped, and says why).
  Ready readiness(Planned& planned) {
    for (const auto& other : planned.probe.spec.depends_on) {
      const auto it = m_plan.find(other);
      if (it != m_plan.end() && it->second->stage != Planned::Stage::done) return Ready::wait;
    }
    for (const auto& other : planned.probe.spec.depends_on)
      if (auto why = down_because(other, m_plan, m_stored, m_options.now)) {
        planned.entry.what = ProbeRunEntry::What::dependency_down;
        planned.entry.note = "depends on " + other + ", which is down (" + *why + ")";
        return Ready::skipped;
      }
    return Ready::run;
  }

  // The next probe to run, marking the skipped ones done; nullptr when none
  // is left.
  Planned* next(std::unique_lock<std::mutex>& lock) {
    for (;;) {
      bool waiting = false, skipped = false;
      for (auto& [name, planned] : m_plan) {
        if (planned->stage != Planned::Stage::waiting) continue;
        const Ready ready = readiness(*planned);
        if (ready == Ready::wait) {
          waiting = true;
          continue;
        }
        planned->stage = ready == Ready::run ? Planned::Stage::running : Planned::Stage::done;
        if (ready == Ready::run) return planned;
        skipped = true;
      }
      if (skipped) { // what waited on it may be decided now
        m_changed.notify_all();
        continue;
      }
      if (!waiting) return nullptr;
      if (m_running == 0) { // dependencies that cannot finish: a cycle
        for (auto& [name, planned] : m_plan)
          if (planned->stage == Planned::Stage::waiting) {
            planned->stage = Planned::Stage::done;
            planned->entry.what = ProbeRunEntry::What::dependency_down;
            planned->entry.note = "its dependencies form a cycle";
          }
        return nullptr;
      }
      m_changed.wait(lock);
    }
  }

  void work() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (Planned* planned = next(lock)) {
      ++m_running;
      lock.unlock();
      int attempts = 0;
      ProbeOutcome outcome = attempt(planned->probe.spec, m_check, m_options.backoff, attempts);
      lock.lock();
      planned->entry.outcome = std::move(outcome);
      planned->entry.attempts = attempts;
      planned->stage = Planned::Stage::done;
      --m_running;
      m_changed.notify_all();
    }
  }

  std::map<std::string, Planned*> m_plan;
  std::map<std::string, ProbeState> m_stored;
  const ProbeRunOptions& m_options;
  const ProbeCheck& m_check;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_running = 0;
};

// ---- Writing the results ----------------------------------------------------

void record_results(Recorder& recorder, const ProbeRunOptions& options, Planned& planned) {
  const auto& spec = planned.probe.spec;
  const auto& outcome = planned.entry.outcome;
  const auto write = [&](const std::string& name, MetricType type, const std::string& unit, double value) {
    SeriesSpec series{{options.node, probe_component(spec), name, probe_labels(spec)}, type, unit};
    recorder.insert(recorder.series_id(series), Sample{options.now, value, {}});
  };
  write("up", MetricType::gauge, "", passed(outcome.result) ? 1 : 0);
  write("latency_ms", MetricType::timer, "ms", std::max(0.0, outcome.latency_ms));
  write("consecutive_failures", MetricType::gauge, "", planned.probe.state.failures);
  write("circuit_state", MetricType::gauge, "",
        planned.probe.state.circuit == Circuit::closed ? 0 : planned.probe.state.circuit == Circuit::half_open ? 1 : 2);
  for (const auto& value : outcome.perfdata) {
    if (value.name == "up" || value.name == "latency_ms" || value.name == "consecutive_failures" ||
        value.name == "circuit_state")
      continue;
    try { // a plugin that changed a value's unit loses that value, not the run
      write(value.name, MetricType::gauge, value.unit, value.value);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::bad_data) throw;
      planned.entry.note += std::string(planned.entry.note.empty() ? "" : "; ") + "perfdata " + value.name +
                            " not recorded: " + error.what();
    }
  }
}

Severity severity_of(const ProbeSpec& spec, const ProbeState& state, ProbeResult result) {
  const bool graded = spec.kind == ProbeKind::exec || spec.kind == ProbeKind::sqlite;
  if (graded && result == ProbeResult::critical) return Severity::critical;
  if (spec.critical_after && state.failures >= *spec.critical_after) return Severity::critical;
  return Severity::warning;
}

// Opens, updates (when its severity or message changed) or resolves the
// probe's issue.
void apply_issue(sqlite3* db, const ProbeRunOptions& options, const Planned& planned,
                 std::vector<IssueChange>& changes) {
  const auto& spec = planned.probe.spec;
  const auto& outcome = planned.entry.outcome;
  const IssueKey key{probe_component(spec), "up", probe_labels(spec)};
  const auto open = issues_db::find_open(db, key);
  const std::string reason = "probe " + spec.name + ": " + outcome.message;
  if (passed(outcome.result)) {
    if (open) changes.push_back(issues_db::resolve(db, *open, reason, options.actor, options.now));
  } else if (planned.probe.state.failures >= spec.fail_after) {
    const Severity severity = severity_of(spec, planned.probe.state, outcome.result);
    if (!open || open->severity != severity || open->reason != reason) {
      IssueReport report{key, severity, reason, 0.0, std::nullopt, IssueSource::run, options.actor, options.now};
      auto change = issues_db::report(db, report);
      if (change.event) changes.push_back(std::move(change));
    }
  }
}

// Notes the circuit's changes on the probe's issue: the open one, else the
// last resolved (a circuit closes after the success that resolved it).
void note_circuit(sqlite3* db, const ProbeRunOptions& options, const ProbeSpec& spec,
                  const std::vector<std::string>& notes, std::vector<IssueChange>& changes) {
  if (notes.empty()) return;
  const auto issue = issues_db::find_latest(db, {probe_component(spec), "up", probe_labels(spec)});
  if (!issue) return;
  for (const auto& note : notes) changes.push_back({*issue, issues_db::note(db, *issue, note, options.actor, options.now)});
}

// Releases the run's claim on `planned` and applies what it did to the
// probe's state as the database holds it now (a `probe reset` may have
// changed it meanwhile); records the results of one that ran.
void write_one(sqlite3* db, Recorder& recorder, const ProbeRunOptions& options, Planned& planned,
               ProbeRunReport& report) {
  auto fresh = probes_db::read(db, {planned.entry.name});
  if (fresh.empty()) { // removed while it ran
    planned.entry.note = "removed while it ran: nothing recorded";
    return;
  }
  auto& state = planned.probe.state;
  state = std::move(fresh.front().state);
  if (state.started_at == options.now) state.running_until.reset();
  note_circuit(db, options, planned.probe.spec, planned.notes, report.changes); // half-open, before the trial
  planned.notes.clear();
  if (planned.entry.what == ProbeRunEntry::What::ran) {
    const auto& outcome = planned.entry.outcome;
    if (auto note = apply_result(planned.probe.spec, state, passed(outcome.result), options.now))
      planned.notes.push_back(*note);
    state.last_run_at = options.now;
    state.last_result = outcome.result;
    state.last_message = outcome.message;
    state.last_latency_ms = outcome.latency_ms;
    record_results(recorder, options, planned);
    apply_issue(db, options, planned, report.changes);
    note_circuit(db, options, planned.probe.spec, planned.notes, report.changes);
  }
  probes_db::write_state(db, planned.entry.name, state);
}

void write_results(Store& store, const ProbeRunOptions& options, std::vector<Planned>& plan,
                   ProbeRunReport& report) {
  sqlite3* db = store.handle();
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  Recorder recorder(store);
  for (auto& planned : plan) {
    const bool claimed = planned.entry.what == ProbeRunEntry::What::ran ||
                         planned.entry.what == ProbeRunEntry::What::dependency_down;
    if (claimed) write_one(db, recorder, options, planned, report);
    planned.entry.state = planned.probe.state;
    report.entries.push_back(planned.entry);
  }
  recorder.write_counts();
  transaction.commit();
}

} // namespace

bool circuit_allows(ProbeState& state, Millis now, std::optional<std::string>& note) {
  if (state.circuit != Circuit::open) return true;
  if (state.circuit_until && now < *state.circuit_until) return false;
  state.circuit = Circuit::half_open;
  state.trial_successes = 0;
  note = "circuit half-open: trial runs begin";
  return true;
}

std::optional<std::string> apply_result(const ProbeSpec& spec, ProbeState& state, bool ok, Millis now) {
  if (ok) {
    state.failures = 0;
    if (state.circuit != Circuit::half_open) return std::nullopt;
    if (++state.trial_successes < spec.breaker_trials) return std::nullopt;
    state.circuit = Circuit::closed;
    state.circuit_until.reset();
    state.circuit_open_for.reset();
    state.trial_successes = 0;
    return "circuit closed after " + std::to_string(spec.breaker_trials) + " successful trial runs";
  }
  ++state.failures;
  if (state.circuit == Circuit::half_open) {
    state.circuit = Circuit::open;
    state.circuit_open_for = std::min(spec.breaker_max, state.circuit_open_for.value_or(spec.breaker_open) * 2);
    state.circuit_until = now + *state.circuit_open_for;
    state.trial_successes = 0;
    return "circuit reopened for " + format_duration(*state.circuit_open_for) + ": a trial run failed";
  }
  if (state.circuit == Circuit::closed && spec.breaker_after > 0 && state.failures >= spec.breaker_after) {
    state.circuit = Circuit::open;
    state.circuit_open_for = spec.breaker_open;
    state.circuit_until = now + spec.breaker_open;
    return "circuit opened for " + format_duration(spec.breaker_open) + " after " + std::to_string(state.failures) +
           " consecutive failures";
  }
  return std::nullopt;
}

ProbeRunReport run_probes(Store& store, const ProbeRunOptions& options, const ProbeCheck& check) {
  ProbeRunReport report;
  report.at = options.now;
  auto plan = claim(store, options);
  if (plan.empty()) return report;
  std::map<std::string, ProbeState> stored;
  for (auto& probe : list_probes(store)) stored[probe.spec.name] = probe.state;
  Scheduler(plan, std::move(stored), options, check).run();
  write_results(store, options, plan, report);
  return report;
}

} // namespace health
