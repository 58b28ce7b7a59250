#pragma once
// What a Zone holds: offsets from UTC read from the system's compiled
// zoneinfo (TZif files, RFC 8536) and POSIX TZ rule strings such as
// CET-1CEST,M3.5.0,M10.5.0/3. Private to the library (and its tests).
//
// Seconds here are whole seconds since the Unix epoch; offsets are seconds
// east of UTC (Berlin in winter is +3600), unlike the west-positive numbers
// written in a TZ string.

#include <health/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

// `a` divided by `b` rounded toward negative infinity, for `b` > 0.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// A day of the year and a local time of day on it, when a TZ rule switches
// between standard and daylight time.
struct ZoneRuleDate {
  enum class Form {
    julian,         // Jn: day n of 1..365, February 29 never counted
    day_of_year,    // n: day n of 0..365, February 29 counted in leap years
    month_week_day, // Mm.w.d: weekday d (0 is Sunday) of week w (5 is the last) of month m
  };
  Form form = Form::month_week_day;
  int day = 0;   // n for julian and day_of_year, the weekday for month_week_day
  int week = 0;  // month_week_day only
  int month = 0; // month_week_day only
  // Seconds after local midnight (in the time then in effect) that the
  // switch happens: -167 to 167 hours (RFC 8536), 2:00 when the rule omits it.
  std::int64_t time = 2 * 3600;
};

// A POSIX TZ rule: a standard offset and, if the zone has daylight time, a
// daylight offset and the dates it starts and ends each year. When the start
// falls after the end in the calendar (southern hemisphere, or Dublin's
// negative daylight time) daylight time spans the new year.
struct ZoneRule {
  std::int64_t std_offset = 0;
  bool has_dst = false;
  std::int64_t dst_offset = 0;
  ZoneRuleDate start;
  ZoneRuleDate end;

  // The offset in effect at `seconds`. Valid for any instant: the rule
  // repeats every 400 years.
  std::int64_t offset_at(std::int64_t seconds) const;
  // The instants daylight time starts and ends in `year`, as seconds.
  std::int64_t start_in(int year) const;
  std::int64_t end_in(int year) const;
};

// Parses a POSIX TZ string with the RFC 8536 extensions (rule times from
// -167 to 167 hours), such as EST5EDT,M3.2.0,M11.1.0,
// <+1030>-10:30<+11>-11,M10.1.0,M4.1.0, IST-5:30 or <-03>3. A daylight name
// without dates gets the US rule M3.2.0,M11.1.0, as in the C library.
// Returns nullopt when `text` is not such a string.
std::optional<ZoneRule> parse_zone_rule(std::string_view text);

// A zone's offsets at every instant: the transitions of a TZif file, then
// its footer rule for instants after the last one. Immutable once built, so
// any number of threads may look offsets up at once.
class ZoneTable {
public:
  // The table of the TZif file `bytes` (versions 1 to 4; the 64-bit data of
  // version 2 and later). Returns nullopt and says why in `problem` when the
  // bytes are not a well-formed TZif file.
  static std::optional<ZoneTable> from_tzif(std::string_view bytes, std::string& problem);
  // The table of a POSIX TZ rule on its own (a TZ variable such as
  // CET-1CEST,M3.5.0,M10.5.0/3).
  static ZoneTable from_rule(const ZoneRule& rule);

  // Local time minus UTC at `t`, in milliseconds: one binary search for
  // instants from the first transition to the year 2200, the rule beyond.
  Millis offset_at(Millis t) const;
  // True when the offset is zero at every instant.
  bool is_always_utc() const;

private:
  ZoneTable() = default;
  // Makes `rule` hold from `from` (seconds; the minimum: always): adds
  // its switches up to 2200 to the table, and leaves the rest to the rule.
  void follow_rule(const ZoneRule& rule, std::int64_t from);

  std::vector<Millis> m_at;     // transition instants, ascending
  std::vector<Millis> m_offset; // m_offset[i] is in effect from m_at[i] on
  Millis m_initial = 0;         // in effect before m_at.front(), or always when empty
  std::optional<ZoneRule> m_rule;
  // With m_rule: the instants from m_rule_from on follow the rule, looked up
  // in the table from m_table_from to m_table_until, asking the rule outside.
  Millis m_rule_from = 0;
  Millis m_table_from = 0;
  Millis m_table_until = 0;
};

// The installed zone file of an IANA `name` ($TZDIR, else /usr/share/zoneinfo),
// or nothing for a name that could step outside that folder.
std::optional<std::string> zone_file_path(std::string_view name);

} // namespace health
