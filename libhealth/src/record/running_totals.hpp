#pragma once
// Counters read as running totals, recorded as increments (internal to
// libhealth): ingest of Prometheus' formats and collect's /proc counters.
// Each series keeps the last total it was given and its time (schema 009).

#include <health/recorder.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <map>
#include <optional>

namespace health {

// What became of a running total.
struct TotalTaken {
  enum class Outcome { started, recorded, stale } outcome = Outcome::started;
  double increment = 0; // the sample recorded, when recorded
};

// What a total lower than the last one a series was given means.
struct Decreases {
  enum class Rule {
    // Always a restart of its source: Prometheus' counters only ever go
    // down when reset.
    restart,
    // A restart when its source started after the last total was taken
    // (`source_started`, a host's boot), or when the total fell under half
    // the last one; a smaller decrease is jitter (proc(5): iowait in
    // /proc/stat can decrease).
    restart_or_jitter,
  } rule = Rule::restart;
  std::optional<Millis> source_started; // when known, with restart_or_jitter
};

// Turns the running totals of counter series into increments, inside the
// caller's write transaction, through the caller's Recorder.
class RunningTotals {
public:
  RunningTotals(Store& store, Recorder& recorder, Decreases decreases = {})
      : m_store(store), m_recorder(recorder), m_decreases(decreases) {}

  // Takes `total` for series `series_id` at `at`. The first total a series
  // is given is its start: nothing is recorded (started). Later ones record
  // the increment since the last total (recorded). A total lower than the
  // last one is, by the Decreases given, either a restart of its source (a
  // reboot, a reset), whose increment is the new total itself, or jitter,
  // whose increment is 0 and which keeps the last, higher total, so that
  // what grows back to it is not counted twice. Nothing negative is ever
  // recorded. A total at or before the last one's time was taken already:
  // nothing is recorded (stale).
  TotalTaken add(std::int64_t series_id, Millis at, double total);

  // Writes each series' last total, and adds a started series' first total
  // to its own running total (total_sum, schema 007). Call it once, before
  // committing.
  void save();

private:
  struct Last {
    double total = 0;
    Millis at = 0;
    bool changed = false;
  };
  // Whether `total`, lower than `last`'s, follows a restart of its source.
  bool restarted(const Last& last, double total) const;

  Store& m_store;
  Recorder& m_recorder;
  Decreases m_decreases;
  std::map<std::int64_t, Last> m_last;
  std::map<std::int64_t, double> m_started;
};

} // namespace health
