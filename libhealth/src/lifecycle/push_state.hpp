#pragma once
// What the database keeps of push --remote-write's progress per receiver
// (schema 008): internal to libhealth, used by jobs/run_push.cpp.

#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace health::push_state {

// A series' progress: the time of its last point the receiver
// acknowledged, and of the last point of a request sent and not answered.
struct Cursor {
  std::optional<Millis> acknowledged;
  std::optional<Millis> pending;
  std::optional<double> sent_total; // the running totals acknowledged with it
  std::optional<double> sent_sum;
};

// A series' last point in a request: its time, and its running totals (a
// counter's total, a summary's _count and _sum), none for a gauge.
struct Last {
  Millis at = 0;
  std::optional<double> total;
  std::optional<double> sum;
};
using LastPoints = std::map<std::int64_t, Last>; // by series id

// Where a target's pushes stand: its first push's start and each series'
// cursor.
struct Target {
  bool known = false;
  Millis start = 0;
  std::map<std::int64_t, Cursor> cursors;
};

Target load(Store& store, const std::string& target);

// One push at a time from a database: an advisory lock (flock) on
// `<database>-push.lock`, made 0600 beside it, held while this lives and
// released by the kernel if the process dies. Two pushes at once would send
// the same points. Throws Error(busy) when another process holds it.
class Exclusive {
public:
  explicit Exclusive(const Store& store);
  ~Exclusive();
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;

private:
  int m_fd = -1;
};

// Makes the target's row, its first push starting at `start`, if missing.
void begin(Store& store, const std::string& target, Millis start);

// Notes a request about to be sent: series id -> the time of its last point
// in it.
void mark_pending(Store& store, const std::string& target, const LastPoints& last);

// The request marked was answered, and not taken: the marks go.
void clear_pending(Store& store, const std::string& target, const LastPoints& last);

// The request was taken (or will never be: refused, skipped as too old):
// each series' cursor moves to its time, with its totals, and its mark
// goes, and `samples` are added to the target's count, in one transaction.
void acknowledge(Store& store, const std::string& target, const LastPoints& last, std::uint64_t samples);

} // namespace health::push_state
