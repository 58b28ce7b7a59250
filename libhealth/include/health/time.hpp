#pragma once
// Instants and durations. An instant is milliseconds since the Unix epoch,
// UTC; a duration is a count of milliseconds. Parsing accepts the forms of
// healthctl(1) TIME SYNTAX; formatting is RFC 3339 UTC with milliseconds.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace health {

using Millis = std::int64_t;

inline constexpr Millis k_second_ms = 1000;
inline constexpr Millis k_minute_ms = 60 * k_second_ms;
inline constexpr Millis k_hour_ms = 60 * k_minute_ms;
inline constexpr Millis k_day_ms = 24 * k_hour_ms;
inline constexpr Millis k_week_ms = 7 * k_day_ms;

// The current instant from the system clock.
Millis now_ms();
// Milliseconds since `start` on the monotonic clock, with their fraction.
double elapsed_ms(std::chrono::steady_clock::time_point start);

// Parses a Prometheus-style duration: one or more `<integer><unit>` parts with
// units ms s m h d w, largest first, such as `90s`, `1h30m`, `2w`, `500ms`.
// `m` is always minutes. Months and years, bare numbers, signs, fractions and
// empty text are rejected. Returns nullopt when `text` is not a duration.
std::optional<Millis> try_parse_duration(std::string_view text);

// As try_parse_duration, but throws Error(usage) naming `text` and the
// accepted forms. Months and years get their own message.
Millis parse_duration(std::string_view text);

// The most days any retention may be (2,700 years): far beyond any use, and
// far from overflowing milliseconds.
inline constexpr std::int64_t k_max_retention_days = 1000000;

// A retention: a positive whole number of days (`30`) or a duration (`30d`,
// `12h`), the same for a flag and its environment variable. Throws
// Error(usage) naming `text` and both forms.
Millis parse_retention(std::string_view text);

// Parses an instant. `now` anchors the relative forms:
//   RFC 3339: 2025-01-15T10:30:00Z, ...T10:30:00.123456+02:00 (t/z any case)
//   2025-01-15 10:30, 2025-01-15 10:30:00[.fff], 2025-01-15T10:30 (UTC)
//   2025-01-15 (midnight UTC)
//   @1736937000, @1736937000.123 (epoch seconds, fraction to milliseconds)
//   now, today, yesterday (midnight UTC of today / of yesterday)
//   now-24h, now+1h, -24h, and a bare duration `24h` (24 hours before now)
// Fractions finer than a millisecond are truncated toward the past.
// Returns nullopt when `text` matches no form or names an impossible date.
std::optional<Millis> try_parse_time(std::string_view text, Millis now);

// As try_parse_time, but throws Error(usage) naming `text` and listing the
// accepted forms.
Millis parse_time(std::string_view text, Millis now);

// Appends `t` as RFC 3339 UTC with milliseconds: 2025-01-15T10:30:00.123Z.
// Works for any instant from year 0000 to 9999; allocates only to grow `out`.
void append_time(std::string& out, Millis t);
std::string format_time(Millis t);

class ZoneTable;

// The zone times are shown in and day-sized buckets are aligned to. A Zone
// is cheap to copy and immutable: its offsets are read once from the
// system's compiled zoneinfo and shared by every copy, so any number of
// threads may use one at once. Building one never changes the process's
// environment or the C library's time zone.
class Zone {
public:
  static Zone utc() { return Zone(nullptr); }
  // The installed zone `name`: an IANA name such as Europe/Berlin, read from
  // $TZDIR (else /usr/share/zoneinfo), or UTC. Throws Error(usage) for a name
  // that is not an installed zone, including any name that is a path
  // reaching outside that folder.
  static Zone named(std::string_view name);
  // The system's zone as the C library would pick it, read at the call: the
  // TZ variable when set (a zone name, `:name`, a file path or a POSIX rule
  // such as CET-1CEST,M3.5.0,M10.5.0/3; empty means UTC), else
  // /etc/localtime. Falls back to UTC when none of them can be read; never
  // throws.
  static Zone local();

  // True when the zone's offset is zero at every instant.
  bool is_utc() const { return m_table == nullptr; }
  // Local time minus UTC at instant `t`, in milliseconds. A binary search
  // over the zone's transitions; no cache, so safe from any thread.
  Millis offset_at(Millis t) const;

private:
  explicit Zone(std::shared_ptr<const ZoneTable> table) : m_table(std::move(table)) {}
  std::shared_ptr<const ZoneTable> m_table; // null for UTC
};

// Appends `t` as RFC 3339 in `zone` with milliseconds: the Z form for UTC
// and a zero offset, else 2025-01-15T11:30:00.123+01:00.
void append_time(std::string& out, Millis t, const Zone& zone);
std::string format_time(Millis t, const Zone& zone);

// Formats a duration in the largest exact units: 90000 -> "1m30s",
// 500 -> "500ms", 0 -> "0s". Negative durations get a leading '-'.
std::string format_duration(Millis d);

// The end of a window that reads back in time (analyze, report, serve's
// views): `until`, a time not after `now`, or `now` when it is empty.
// Throws Error(usage) naming `until_name` (--until, or a query parameter)
// for a future time.
Millis window_end(const std::string& until, Millis now, std::string_view until_name);

// The length of the window that starts at `since` (a time, or a duration
// before `end`) and ends at `end`; `since_name` names it in errors, which
// say "before <until_name>" when `until` was given.
Millis window_length(const std::string& since, std::string_view since_name, Millis end, const std::string& until,
                     std::string_view until_name);

} // namespace health
