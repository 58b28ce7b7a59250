#include <health/time.hpp>

#include <health/error.hpp>
#include <health/format.hpp>

#include "base/text_cursor.hpp"

#include "base/zone.hpp"

#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>

namespace health {

namespace {

using std::chrono::milliseconds;

using Cursor = TextCursor;

// Milliseconds since the epoch of a civil date at midnight UTC, or nullopt
// for an impossible date.
std::optional<Millis> civil_ms(int year, int month, int day) {
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count() * k_day_ms;
}

// Reads 1 or more fraction digits after a '.', as milliseconds truncated.
std::optional<Millis> fraction_ms(Cursor& in) {
  if (!is_digit(in.peek())) return std::nullopt;
  Millis ms = 0;
  int used = 0;
  while (is_digit(in.peek())) {
    if (used < 3) ms = ms * 10 + (in.peek() - '0');
    ++used;
    ++in.pos;
  }
  if (used > 9) return std::nullopt;
  for (; used < 3; ++used) ms *= 10;
  return ms;
}

// `YYYY-MM-DD[(T|t| )HH:MM[:SS[.fff]]][Z|z|(+|-)HH:MM]`.
std::optional<Millis> parse_calendar(std::string_view text) {
  Cursor in{text};
  const auto year = in.digits(4);
  if (!year || !in.take('-')) return std::nullopt;
  const auto month = in.digits(2);
  if (!month || !in.take('-')) return std::nullopt;
  const auto day = in.digits(2);
  if (!day) return std::nullopt;
  auto midnight = civil_ms(*year, *month, *day);
  if (!midnight) return std::nullopt;
  if (in.done()) return midnight;

  if (!(in.take_any_case('t') || in.take(' '))) return std::nullopt;
  const auto hour = in.digits(2);
  if (!hour || !in.take(':')) return std::nullopt;
  const auto minute = in.digits(2);
  if (!minute || *hour > 23 || *minute > 59) return std::nullopt;
  Millis t = *midnight + *hour * k_hour_ms + *minute * k_minute_ms;
  if (in.take(':')) {
    const auto second = in.digits(2);
    if (!second || *second > 59) return std::nullopt;
    t += *second * k_second_ms;
    if (in.take('.')) {
      const auto ms = fraction_ms(in);
      if (!ms) return std::nullopt;
      t += *ms;
    }
  }
  if (in.done()) return t;
  if (in.take_any_case('z')) return in.done() ? std::optional<Millis>(t) : std::nullopt;
  const char sign = in.peek();
  if (sign != '+' && sign != '-') return std::nullopt;
  ++in.pos;
  const auto offset_hours = in.digits(2);
  if (!offset_hours || !in.take(':')) return std::nullopt;
  const auto offset_minutes = in.digits(2);
  if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59 || !in.done())
    return std::nullopt;
  const Millis offset = *offset_hours * k_hour_ms + *offset_minutes * k_minute_ms;
  // 10:30+02:00 is 08:30 UTC.
  return sign == '+' ? t - offset : t + offset;
}

// `@<seconds>[.fraction]`, seconds optionally negative.
std::optional<Millis> parse_epoch(std::string_view text) {
  Cursor in{text};
  const bool negative = in.take('-');
  // Seconds small enough that seconds * 1000 + 999 fits.
  const auto seconds = in.whole((std::numeric_limits<Millis>::max() - 999) / k_second_ms);
  if (!seconds) return std::nullopt;
  Millis ms = 0;
  if (in.take('.')) {
    const auto fraction = fraction_ms(in);
    if (!fraction) return std::nullopt;
    ms = *fraction;
  }
  if (!in.done()) return std::nullopt;
  const Millis total = *seconds * k_second_ms + ms;
  return negative ? -total : total;
}

bool names_months_or_years(std::string_view text) {
  for (const auto word : {"y", "mo", "M", "month", "year"}) {
    const auto at = text.find(word);
    if (at != std::string_view::npos && at > 0 && is_digit(text[at - 1])) return true;
  }
  return false;
}

void append_digits(std::string& out, long value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

} // namespace

Millis now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::optional<Millis> try_parse_duration(std::string_view text) {
  struct Unit {
    std::string_view name;
    Millis ms;
  };
  // Longest names first so "ms" is not read as "m" then "s".
  static constexpr Unit k_units[] = {{"ms", 1},          {"s", k_second_ms}, {"m", k_minute_ms},
                                     {"h", k_hour_ms},   {"d", k_day_ms},    {"w", k_week_ms}};
  // Rank of each unit, largest first, to enforce the order of compounds.
  const auto rank = [](Millis unit_ms) {
    switch (unit_ms) {
    case k_week_ms: return 0;
    case k_day_ms: return 1;
    case k_hour_ms: return 2;
    case k_minute_ms: return 3;
    case k_second_ms: return 4;
    default: return 5;
    }
  };
  if (text.empty()) return std::nullopt;
  Cursor in{text};
  Millis total = 0;
  int last_rank = -1;
  while (!in.done()) {
    const auto whole = in.whole(std::numeric_limits<Millis>::max());
    if (!whole) return std::nullopt;
    const Millis count = *whole;
    const Unit* unit = nullptr;
    for (const auto& candidate : k_units) {
      if (in.text.substr(in.pos, candidate.name.size()) == candidate.name) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    in.pos += unit->name.size();
    const int unit_rank = rank(unit->ms);
    if (unit_rank <= last_rank) return std::nullopt;
    last_rank = unit_rank;
    if (count > (std::numeric_limits<Millis>::max() - total) / unit->ms) return std::nullopt;
    total += count * unit->ms;
  }
  return total;
}

namespace {

// Throws Error(usage) for `text`, an invalid `what` (time or duration):
// months and years get their own message, the rest `hint`.
[[noreturn]] void refuse(std::string_view what, std::string_view text, std::string_view weeks_example,
                         std::string_view hint) {
  if (names_months_or_years(text))
    throw Error(ErrorKind::usage,
                "invalid " + std::string(what) + " '" + std::string(text) +
                    "': months and years are not supported (they have no fixed length)",
                "use days or weeks, such as " + std::string(weeks_example));
  throw Error(ErrorKind::usage, "invalid " + std::string(what) + " '" + std::string(text) + "'", std::string(hint));
}

} // namespace

Millis parse_duration(std::string_view text) {
  if (auto duration = try_parse_duration(text)) return *duration;
  refuse("duration", text, "30d or 52w", "use <n><unit> with units ms, s, m, h, d, w, e.g. 90s, 1h30m, 7d");
}

Millis parse_retention(std::string_view text) {
  if (const auto days = parse_whole_number(text); days && *days > 0 && *days <= k_max_retention_days)
    return *days * k_day_ms;
  if (auto duration = try_parse_duration(text); duration && *duration > 0) return *duration;
  refuse("retention", text, "30d or 52w", "use a number of days or a duration, e.g. 30 or 30d or 12h");
}

namespace {

// `now` moved by `duration` in `direction` (1 or -1); nullopt past the range
// of Millis, which no time of ours comes near.
std::optional<Millis> shifted(Millis now, int direction, Millis duration) {
  Millis out = 0;
  const bool overflow = direction > 0 ? __builtin_add_overflow(now, duration, &out)
                                      : __builtin_sub_overflow(now, duration, &out);
  if (overflow) return std::nullopt;
  return out;
}

} // namespace

std::optional<Millis> try_parse_time(std::string_view text, Millis now) {
  if (text.empty()) return std::nullopt;
  if (text == "now") return now;
  const Millis midnight = floor_div(now, k_day_ms) * k_day_ms;
  if (text == "today") return midnight;
  if (text == "yesterday") return midnight - k_day_ms;
  if (text.front() == '@') return parse_epoch(text.substr(1));
  if (text.substr(0, 4) == "now-" || text.substr(0, 4) == "now+") {
    const auto duration = try_parse_duration(text.substr(4));
    if (!duration) return std::nullopt;
    return text[3] == '-' ? shifted(now, -1, *duration) : shifted(now, 1, *duration);
  }
  if (text.front() == '-') {
    const auto duration = try_parse_duration(text.substr(1));
    if (!duration) return std::nullopt;
    return shifted(now, -1, *duration);
  }
  if (auto calendar = parse_calendar(text)) return calendar;
  if (auto duration = try_parse_duration(text)) return shifted(now, -1, *duration);
  return std::nullopt;
}

Millis parse_time(std::string_view text, Millis now) {
  if (auto t = try_parse_time(text, now)) return *t;
  refuse("time", text, "-30d or -52w",
         "use RFC 3339 (2025-01-15T10:30:00Z), '2025-01-15 10:30', '@<epoch seconds>', now, "
         "today, yesterday, now-24h, -24h or a duration such as 24h");
}

namespace {

// Appends the wall-clock time `t` (shifted to local time already) without a
// zone designator.
void append_wall_time(std::string& out, Millis t) {
  const Millis days = floor_div(t, k_day_ms);
  const Millis in_day = t - days * k_day_ms;
  const date::year_month_day ymd{date::sys_days{date::days{days}}};
  append_digits(out, static_cast<int>(ymd.year()), 4);
  out += '-';
  append_digits(out, static_cast<long>(static_cast<unsigned>(ymd.month())), 2);
  out += '-';
  append_digits(out, static_cast<long>(static_cast<unsigned>(ymd.day())), 2);
  out += 'T';
  append_digits(out, static_cast<long>(in_day / k_hour_ms), 2);
  out += ':';
  append_digits(out, static_cast<long>(in_day / k_minute_ms % 60), 2);
  out += ':';
  append_digits(out, static_cast<long>(in_day / k_second_ms % 60), 2);
  out += '.';
  append_digits(out, static_cast<long>(in_day % k_second_ms), 3);
}

} // namespace

void append_time(std::string& out, Millis t) {
  append_wall_time(out, t);
  out += 'Z';
}

std::string format_time(Millis t) {
  std::string out;
  out.reserve(24);
  append_time(out, t);
  return out;
}

void append_time(std::string& out, Millis t, const Zone& zone) {
  const Millis offset = zone.offset_at(t);
  append_wall_time(out, t + offset);
  if (offset == 0) {
    out += 'Z';
    return;
  }
  const Millis minutes = (offset < 0 ? -offset : offset) / k_minute_ms;
  out += offset < 0 ? '-' : '+';
  append_digits(out, static_cast<long>(minutes / 60), 2);
  out += ':';
  append_digits(out, static_cast<long>(minutes % 60), 2);
}

std::string format_time(Millis t, const Zone& zone) {
  std::string out;
  out.reserve(29);
  append_time(out, t, zone);
  return out;
}

std::string format_duration(Millis d) {
  if (d == 0) return "0s";
  std::string out;
  if (d < 0) {
    out += '-';
    d = -d;
  }
  static constexpr std::pair<Millis, const char*> k_parts[] = {
      {k_week_ms, "w"}, {k_day_ms, "d"}, {k_hour_ms, "h"}, {k_minute_ms, "m"}, {k_second_ms, "s"}, {1, "ms"}};
  for (const auto& [unit, name] : k_parts) {
    if (d >= unit) {
      out += std::to_string(d / unit);
      out += name;
      d %= unit;
    }
  }
  return out;
}

Millis window_end(const std::string& until, Millis now, std::string_view until_name) {
  if (until.empty()) return now;
  const auto end = parse_time(until, now);
  if (end > now)
    throw Error(ErrorKind::usage, std::string(until_name) + " '" + until + "' is in the future",
                "give a past time, or leave " + std::string(until_name) + " out to end the window now");
  return end;
}

Millis window_length(const std::string& since, std::string_view since_name, Millis end, const std::string& until,
                     std::string_view until_name) {
  const auto start = parse_time(since, end);
  if (start >= end)
    throw Error(ErrorKind::usage, std::string(since_name) + " '" + since + "' is not " +
                                      (until.empty() ? std::string("in the past") : "before " + std::string(until_name)));
  return end - start;
}

} // namespace health
