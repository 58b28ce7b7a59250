// Zone: offsets from UTC read from the system's compiled zoneinfo (TZif,
// RFC 8536) and POSIX TZ rules, without the C library's process-wide zone.

#include "base/text_cursor.hpp"
#include "base/zone.hpp"

#include <health/error.hpp>

#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

constexpr std::int64_t k_hour_s = 3600;
constexpr std::int64_t k_day_s = 24 * k_hour_s;
// The Gregorian calendar, weekdays included, repeats every 400 years, and so
// does every TZ rule.
constexpr std::int64_t k_cycle_s = 146097 * k_day_s;
// A rule's transitions are tabulated from 1900 (or the file's last
// transition, if later) to 2200; instants outside ask the rule itself.
constexpr int k_table_first_year = 1900;
constexpr int k_table_end_year = 2200;
// The seconds that fit in milliseconds; TZif times beyond (zic once wrote
// -2^59 for "the beginning of time") are clamped.
constexpr std::int64_t k_max_seconds = std::numeric_limits<Millis>::max() / 1000;
// Zone files are a few kilobytes: a larger file is not one.
constexpr std::size_t k_max_zone_file = std::size_t{1} << 20;
constexpr std::string_view k_default_zoneinfo = "/usr/share/zoneinfo";
// The `from` of a rule that holds at every instant.
constexpr std::int64_t k_always = std::numeric_limits<std::int64_t>::min();

Millis to_ms(std::int64_t seconds) {
  return std::clamp(seconds, -k_max_seconds, k_max_seconds) * 1000;
}

std::int64_t civil_day(int year, unsigned month, unsigned day) {
  return date::sys_days{date::year{year} / date::month{month} / date::day{day}}
      .time_since_epoch()
      .count();
}

// The year of day `days` since the epoch; `days` within a few thousand years.
int year_of_day(std::int64_t days) {
  return static_cast<int>(
      date::year_month_day{date::sys_days{date::days{static_cast<int>(days)}}}.year());
}

// The day since the epoch that `when` names in `year`.
std::int64_t day_in(const ZoneRuleDate& when, int year) {
  const std::int64_t january1 = civil_day(year, 1, 1);
  switch (when.form) {
  case ZoneRuleDate::Form::julian:
    return january1 + when.day - 1 + (when.day >= 60 && date::year{year}.is_leap() ? 1 : 0);
  case ZoneRuleDate::Form::day_of_year:
    return january1 + when.day;
  case ZoneRuleDate::Form::month_week_day:
    break;
  }
  const auto month = static_cast<unsigned>(when.month);
  const std::int64_t first = civil_day(year, month, 1);
  const std::int64_t next_month =
      month == 12 ? civil_day(year + 1, 1, 1) : civil_day(year, month + 1, 1);
  const std::int64_t first_weekday = (first % 7 + 7 + 4) % 7; // 1970-01-01 was a Thursday
  std::int64_t day = first + (when.day - first_weekday + 7) % 7 + 7 * (when.week - 1);
  while (day >= next_month) day -= 7; // week 5 is the last, which may be the fourth
  return day;
}

// Reads a POSIX TZ string; every read checks bounds.
// The text of a POSIX TZ rule, read piece by piece.
struct RuleCursor : TextCursor {

  // A zone abbreviation: three or more letters, or <...> of three or more
  // letters, digits, '+' and '-'.
  bool name() {
    const bool quoted = take('<');
    const std::size_t begin = pos;
    while (!done()) {
      const auto c = static_cast<unsigned char>(peek());
      const bool fits =
          quoted ? std::isalnum(c) != 0 || c == '+' || c == '-' : std::isalpha(c) != 0;
      if (!fits) break;
      ++pos;
    }
    const std::size_t length = pos - begin;
    return length >= 3 && (!quoted || take('>'));
  }

  // One to `max_digits` digits as a number no larger than `max`.
  std::optional<int> number(int max_digits, int max) {
    int value = 0;
    int used = 0;
    while (used < max_digits && std::isdigit(static_cast<unsigned char>(peek())) != 0) {
      value = value * 10 + (peek() - '0');
      ++used;
      ++pos;
    }
    if (used == 0 || value > max) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]] with hh up to `max_hours`, as seconds.
  std::optional<std::int64_t> hms(int max_hours) {
    const bool negative = take('-');
    if (!negative) take('+');
    const auto hours = number(3, max_hours);
    if (!hours) return std::nullopt;
    std::int64_t seconds = *hours * k_hour_s;
    if (take(':')) {
      const auto minutes = number(2, 59);
      if (!minutes) return std::nullopt;
      seconds += *minutes * 60;
      if (take(':')) {
        const auto secs = number(2, 59);
        if (!secs) return std::nullopt;
        seconds += *secs;
      }
    }
    return negative ? -seconds : seconds;
  }

  // Jn, n or Mm.w.d, then an optional /time.
  std::optional<ZoneRuleDate> rule_date() {
    ZoneRuleDate result;
    std::optional<int> day;
    if (take('J')) {
      result.form = ZoneRuleDate::Form::julian;
      day = number(3, 365);
      if (day == 0) return std::nullopt;
    } else if (take('M')) {
      result.form = ZoneRuleDate::Form::month_week_day;
      const auto month = number(2, 12);
      if (!month || *month == 0 || !take('.')) return std::nullopt;
      const auto week = number(1, 5);
      if (!week || *week == 0 || !take('.')) return std::nullopt;
      day = number(1, 6);
      result.month = *month;
      result.week = *week;
    } else {
      result.form = ZoneRuleDate::Form::day_of_year;
      day = number(3, 365);
    }
    if (!day) return std::nullopt;
    result.day = *day;
    if (take('/')) {
      const auto time = hms(167);
      if (!time) return std::nullopt;
      result.time = *time;
    }
    return result;
  }

};

// Big-endian fields of a TZif file; every read checks bounds first.
class TzifReader {
public:
  explicit TzifReader(std::string_view bytes) : m_bytes(bytes) {}

  bool has(std::uint64_t count) const { return count <= m_bytes.size() - m_pos; }
  std::string_view take(std::size_t count) {
    const auto text = m_bytes.substr(m_pos, count);
    m_pos += count;
    return text;
  }
  std::string_view rest() const { return m_bytes.substr(m_pos); }
  std::uint64_t unsigned_field(std::size_t size) {
    std::uint64_t value = 0;
    for (const char c : take(size)) value = value << 8 | static_cast<unsigned char>(c);
    return value;
  }
  // A two's complement field of 4 or 8 bytes.
  std::int64_t signed_field(std::size_t size) {
    const std::uint64_t value = unsigned_field(size);
    if (size == 8) return static_cast<std::int64_t>(value);
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
  }

private:
  std::string_view m_bytes;
  std::size_t m_pos = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // The size of the data block that follows, with times of `time_size` bytes.
  std::uint64_t data_size(std::uint64_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

std::optional<TzifHeader> read_header(TzifReader& in, std::string& problem) {
  if (!in.has(44) || in.take(4) != "TZif") {
    problem = "not a TZif file";
    return std::nullopt;
  }
  TzifHeader header;
  header.version = in.take(1)[0];
  if (header.version != '\0' && (header.version < '2' || header.version > '4')) {
    problem = "unknown TZif version";
    return std::nullopt;
  }
  in.take(15);
  for (auto* count : {&header.isutcnt, &header.isstdcnt, &header.leapcnt, &header.timecnt,
                      &header.typecnt, &header.charcnt})
    *count = in.unsigned_field(4);
  if (!in.has(header.data_size(header.version == '\0' ? 4 : 8))) {
    problem = "truncated";
    return std::nullopt;
  }
  return header;
}

} // namespace

std::int64_t ZoneRule::start_in(int year) const {
  return day_in(start, year) * k_day_s + start.time - std_offset;
}

std::int64_t ZoneRule::end_in(int year) const {
  return day_in(end, year) * k_day_s + end.time - dst_offset;
}

std::int64_t ZoneRule::offset_at(std::int64_t seconds) const {
  if (!has_dst) return std_offset;
  // The same instant of the cycle between 1970 and 2370 keeps the years small.
  const std::int64_t t = seconds - floor_div(seconds, k_cycle_s) * k_cycle_s;
  const int year = year_of_day(floor_div(t + std_offset, k_day_s));
  // The latest switch at or before `t`; at a tie the later year's, then the
  // end's. Switches of year - 2 all lie before `t`, those of year + 2 after.
  std::int64_t latest = std::numeric_limits<std::int64_t>::min();
  std::int64_t offset = std_offset;
  for (int y = year - 2; y <= year + 1; ++y) {
    const std::int64_t starts = start_in(y);
    if (starts <= t && starts >= latest) {
      latest = starts;
      offset = dst_offset;
    }
    const std::int64_t ends = end_in(y);
    if (ends <= t && ends >= latest) {
      latest = ends;
      offset = std_offset;
    }
  }
  return offset;
}

std::optional<ZoneRule> parse_zone_rule(std::string_view text) {
  RuleCursor in{{text}};
  ZoneRule rule;
  if (!in.name()) return std::nullopt;
  const auto std_west = in.hms(24);
  if (!std_west) return std::nullopt;
  rule.std_offset = -*std_west;
  if (in.done()) return rule;
  if (!in.name()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + k_hour_s;
  if (!in.done() && in.peek() != ',') {
    const auto dst_west = in.hms(24);
    if (!dst_west) return std::nullopt;
    rule.dst_offset = -*dst_west;
  }
  if (in.done()) {
    rule.start = {ZoneRuleDate::Form::month_week_day, 0, 2, 3, 2 * k_hour_s};
    rule.end = {ZoneRuleDate::Form::month_week_day, 0, 1, 11, 2 * k_hour_s};
    return rule;
  }
  if (!in.take(',')) return std::nullopt;
  const auto start = in.rule_date();
  if (!start || !in.take(',')) return std::nullopt;
  const auto end = in.rule_date();
  if (!end || !in.done()) return std::nullopt;
  rule.start = *start;
  rule.end = *end;
  return rule;
}

namespace {

// The UT offset of each local time type (only the offset matters here), or
// nullopt with `problem` set for an invalid type.
std::optional<std::vector<std::int64_t>> read_type_offsets(TzifReader& in, const TzifHeader& header,
                                                           std::string& problem) {
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(header.typecnt));
  for (auto& type_offset : offsets) {
    const std::int64_t offset = in.signed_field(4);
    const std::uint64_t is_dst = in.unsigned_field(1);
    const std::uint64_t designation = in.unsigned_field(1);
    if (offset == std::numeric_limits<std::int32_t>::min() || is_dst > 1 || designation >= header.charcnt) {
      problem = "invalid local time type";
      return std::nullopt;
    }
    type_offset = offset;
  }
  return offsets;
}

// The footer of a version 2+ file: a POSIX TZ rule between newlines, perhaps
// empty (then `rule` stays empty). False with `problem` set when malformed.
bool read_footer(TzifReader& in, std::optional<ZoneRule>& rule, std::string& problem) {
  const std::string_view rest = in.rest();
  const std::size_t end = rest.find('\n', 1);
  if (rest.empty() || rest.front() != '\n' || end == std::string_view::npos) {
    problem = "no footer";
    return false;
  }
  const std::string_view footer = rest.substr(1, end - 1);
  if (footer.empty()) return true;
  rule = parse_zone_rule(footer);
  if (!rule) problem = "footer '" + std::string(footer) + "' is not a TZ rule";
  return rule.has_value();
}

} // namespace

std::optional<ZoneTable> ZoneTable::from_tzif(std::string_view bytes, std::string& problem) {
  TzifReader in(bytes);
  auto header = read_header(in, problem);
  if (!header) return std::nullopt;
  std::size_t time_size = 4;
  if (header->version != '\0') {
    // Version 2 and later repeat the data with 64-bit times after the
    // 32-bit block, then add the footer rule.
    in.take(static_cast<std::size_t>(header->data_size(4)));
    header = read_header(in, problem);
    if (!header) return std::nullopt;
    if (header->version == '\0') {
      problem = "version 1 header in the 64-bit data";
      return std::nullopt;
    }
    time_size = 8;
  }
  if (header->typecnt == 0 || (header->isutcnt != 0 && header->isutcnt != header->typecnt) ||
      (header->isstdcnt != 0 && header->isstdcnt != header->typecnt)) {
    problem = "inconsistent counts";
    return std::nullopt;
  }

  std::vector<std::int64_t> times(static_cast<std::size_t>(header->timecnt));
  for (auto& time : times) time = in.signed_field(time_size);
  std::vector<std::size_t> type_of(times.size());
  for (auto& type : type_of) type = static_cast<std::size_t>(in.unsigned_field(1));
  const auto offsets = read_type_offsets(in, *header, problem);
  if (!offsets) return std::nullopt;
  // Designations, leap seconds and the standard/UT indicators: offset_at
  // compares instants with the transitions as they are, as the C library does.
  in.take(static_cast<std::size_t>(header->charcnt + header->leapcnt * (time_size + 4) +
                                   header->isstdcnt + header->isutcnt));
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (type_of[i] >= offsets->size() || (i > 0 && times[i] <= times[i - 1])) {
      problem = "invalid transitions";
      return std::nullopt;
    }
  }

  std::optional<ZoneRule> rule;
  if (time_size == 8 && !read_footer(in, rule, problem)) return std::nullopt;

  // Before the first transition the first type holds (RFC 8536).
  ZoneTable table;
  table.m_initial = to_ms((*offsets)[0]);
  for (std::size_t i = 0; i < times.size(); ++i) {
    const Millis at = to_ms(times[i]);
    const Millis offset = to_ms((*offsets)[type_of[i]]);
    if (!table.m_at.empty() && table.m_at.back() == at) {
      table.m_offset.back() = offset; // two times clamped to one
    } else if (offset != (table.m_offset.empty() ? table.m_initial : table.m_offset.back())) {
      table.m_at.push_back(at);
      table.m_offset.push_back(offset);
    }
  }
  // The rule holds after the last transition, or always in a file without
  // transitions (RFC 8536).
  if (rule)
    table.follow_rule(*rule, times.empty() ? k_always : times.back());
  return table;
}

ZoneTable ZoneTable::from_rule(const ZoneRule& rule) {
  ZoneTable table;
  table.follow_rule(rule, k_always);
  return table;
}

void ZoneTable::follow_rule(const ZoneRule& rule, std::int64_t from) {
  const std::int64_t table_from = std::max(from, civil_day(k_table_first_year, 1, 1) * k_day_s);
  const std::int64_t table_until = civil_day(k_table_end_year, 1, 1) * k_day_s;
  m_rule = rule;
  m_rule_from = from == k_always ? std::numeric_limits<Millis>::min() : to_ms(from);
  m_table_from = to_ms(table_from);
  m_table_until = to_ms(std::max(table_from, table_until));
  if (table_from >= table_until) return;

  // The offset at the start of the table replaces that of the file's last
  // transition (RFC 8536 wants them equal; where not, the rule wins, as in
  // the C library), then come the rule's switches.
  Millis current = to_ms(rule.offset_at(table_from));
  if (m_at.empty()) {
    m_initial = current;
  } else if (m_at.back() == m_table_from) {
    m_offset.back() = current;
  } else if (m_offset.back() != current) {
    m_at.push_back(m_table_from);
    m_offset.push_back(current);
  }
  if (!rule.has_dst) return;

  struct Switch {
    std::int64_t at;
    std::int64_t offset;
  };
  std::vector<Switch> switches;
  const int first_year = year_of_day(floor_div(table_from, k_day_s)) - 1;
  for (int year = first_year; year <= k_table_end_year; ++year) {
    switches.push_back({rule.start_in(year), rule.dst_offset});
    switches.push_back({rule.end_in(year), rule.std_offset});
  }
  // In time order; of two switches at one instant the later-listed wins, as
  // in ZoneRule::offset_at.
  std::stable_sort(switches.begin(), switches.end(),
                   [](const Switch& a, const Switch& b) { return a.at < b.at; });
  for (std::size_t i = 0; i < switches.size(); ++i) {
    const auto& change = switches[i];
    if (change.at <= table_from || change.at >= table_until) continue;
    if (i + 1 < switches.size() && switches[i + 1].at == change.at) continue;
    const Millis offset = to_ms(change.offset);
    if (offset == current) continue;
    m_at.push_back(to_ms(change.at));
    m_offset.push_back(offset);
    current = offset;
  }
}

Millis ZoneTable::offset_at(Millis t) const {
  if (m_rule && t >= m_rule_from && (t >= m_table_until || t < m_table_from))
    return to_ms(m_rule->offset_at(floor_div(t, 1000)));
  const auto after = std::upper_bound(m_at.begin(), m_at.end(), t);
  if (after == m_at.begin()) return m_initial;
  return m_offset[static_cast<std::size_t>(after - m_at.begin()) - 1];
}

bool ZoneTable::is_always_utc() const {
  return m_at.empty() && m_initial == 0 &&
         (!m_rule || (!m_rule->has_dst && m_rule->std_offset == 0));
}

std::optional<std::string> zone_file_path(std::string_view name) {
  const bool safe =
      !name.empty() && name.front() != '/' && name.find("..") == std::string_view::npos &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '_' ||
               c == '-' || c == '+';
      });
  if (!safe) return std::nullopt;
  const char* dir = std::getenv("TZDIR");
  std::string path(dir != nullptr && dir[0] != '\0' ? std::string_view(dir) : k_default_zoneinfo);
  path += '/';
  path += name;
  return path;
}

namespace {

// The bytes of the regular file at `path`, or nullopt when it cannot be read,
// is not a regular file or is too large to be a zone file.
std::optional<std::string> read_zone_file(const std::string& path) {
  // O_NONBLOCK: a FIFO must not hang the open; fstat then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  std::string bytes;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) return bytes;
    bytes.append(buffer, static_cast<std::size_t>(got));
    if (bytes.size() > k_max_zone_file) return std::nullopt;
  }
}

// The table of the zone file at `path`, or nullopt (with `problem` set when
// the file is there but is not a zone file).
std::optional<ZoneTable> load_zone_file(const std::string& path, std::string& problem) {
  const auto bytes = read_zone_file(path);
  if (!bytes) return std::nullopt;
  auto table = ZoneTable::from_tzif(*bytes, problem);
  if (!table) problem = path + ": " + problem;
  return table;
}

std::shared_ptr<const ZoneTable> shared(ZoneTable table) {
  if (table.is_always_utc()) return nullptr;
  return std::make_shared<const ZoneTable>(std::move(table));
}

} // namespace

Zone Zone::named(std::string_view name) {
  if (name == "UTC") return utc();
  std::string problem;
  std::optional<ZoneTable> table;
  if (const auto path = zone_file_path(name)) table = load_zone_file(*path, problem);
  if (!table)
    throw Error(ErrorKind::usage, "unknown time zone '" + std::string(name) + "'",
                "use an IANA name such as Europe/Berlin, UTC or local", problem);
  return Zone(shared(std::move(*table)));
}

Zone Zone::local() {
  const char* variable = std::getenv("TZ");
  std::string problem;
  if (variable == nullptr) {
    auto table = load_zone_file("/etc/localtime", problem);
    return table ? Zone(shared(std::move(*table))) : utc();
  }
  const std::string tz(variable);
  std::string_view spec(tz);
  if (!spec.empty() && spec.front() == ':') spec.remove_prefix(1);
  if (spec.empty()) return utc();
  const auto path = spec.front() == '/' ? std::optional<std::string>(spec) : zone_file_path(spec);
  if (path) {
    if (auto table = load_zone_file(*path, problem)) return Zone(shared(std::move(*table)));
  }
  if (const auto rule = parse_zone_rule(spec)) return Zone(shared(ZoneTable::from_rule(*rule)));
  return utc();
}

Millis Zone::offset_at(Millis t) const { return m_table == nullptr ? 0 : m_table->offset_at(t); }

} // namespace health
