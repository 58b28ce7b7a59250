#pragma once
// Counters read as running totals, recorded as increments (internal to
// libhealth): ingest of Prometheus' formats and collect's /proc counters.
// Each series keeps the last total it was given and its time (schema 009).

#include <health/recorder.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <map>

namespace health {

// What became of a running total.
struct TotalTaken {
  enum class Outcome { started, recorded, stale } outcome = Outcome::started;
  double increment = 0; // the sample recorded, when recorded
};

// Turns the running totals of counter series into increments, inside the
// caller's write transaction, through the caller's Recorder.
class RunningTotals {
public:
  RunningTotals(Store& store, Recorder& recorder) : m_store(store), m_recorder(recorder) {}

  // Takes `total` for series `series_id` at `at`. The first total a series
  // is given is its start: nothing is recorded (started). Later ones record
  // the increment since the last total (recorded); a total lower than the
  // last one is a restart of its source (a reboot, a reset), whose
  // increment is the new total itself, so nothing negative is ever
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
  Store& m_store;
  Recorder& m_recorder;
  std::map<std::int64_t, Last> m_last;
  std::map<std::int64_t, double> m_started;
};

} // namespace health
