#include <health/error.hpp>
#include <health/time.hpp>

#include "base/zone.hpp"

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using health::Millis;
using health::Zone;

namespace {

constexpr std::int64_t k_hour_s = 3600;
const std::vector<std::string> k_none;

// Whole seconds since the epoch of `text` (healthctl's time syntax, UTC).
std::int64_t seconds_of(const char* text) {
  const auto t = health::try_parse_time(text, 0);
  REQUIRE(t);
  return *t / 1000;
}

// Sets an environment variable for one test case and restores it when the
// case ends, telling the C library each time (only the test touches TZ).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    set(value);
  }
  ~ScopedEnv() { set(m_old ? m_old->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  void set(const char* value) {
    if (value != nullptr)
      ::setenv(m_name, value, 1);
    else
      ::unsetenv(m_name);
    ::tzset();
  }

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

// The C library's offset in milliseconds at `t`, in the zone TZ names.
Millis libc_offset(Millis t) {
  const auto seconds = static_cast<std::time_t>(health::floor_div(t, 1000));
  std::tm local{};
  if (::localtime_r(&seconds, &local) == nullptr) return -1;
  return local.tm_gmtoff * 1000;
}

// Where `offset_at` and the C library disagree, every `step` seconds from
// `from` to `until`, and on both sides of every change the C library makes
// between two samples (found to the second by bisection). Lists the first 10.
template <typename OffsetAt>
std::vector<std::string> differences(OffsetAt&& offset_at, const char* from_text,
                                     const char* until_text, std::int64_t step) {
  const std::int64_t from = seconds_of(from_text);
  const std::int64_t until = seconds_of(until_text);
  std::vector<std::string> found;
  const auto compare = [&](Millis t) {
    const Millis expected = libc_offset(t);
    const Millis got = offset_at(t);
    if (got != expected && found.size() < 10)
      found.push_back(health::format_time(t) + ": " + std::to_string(got) + " ms, the C library " +
                      std::to_string(expected) + " ms");
  };
  std::int64_t before = from;
  Millis before_offset = libc_offset(from * 1000);
  compare(from * 1000);
  for (std::int64_t s = from + step; s < until; s += step) {
    const Millis offset = libc_offset(s * 1000);
    compare(s * 1000);
    if (offset != before_offset) {
      std::int64_t low = before;
      std::int64_t high = s;
      while (high - low > 1) {
        const std::int64_t middle = low + (high - low) / 2;
        (libc_offset(middle * 1000) == before_offset ? low : high) = middle;
      }
      compare(high * 1000 - 1);
      compare(high * 1000);
    }
    before = s;
    before_offset = offset;
  }
  return found;
}

// As differences, for the zone `name` every 6 hours.
std::vector<std::string> zone_differences(const char* name, const char* from, const char* until) {
  ScopedEnv tz("TZ", name);
  const Zone zone = Zone::named(name);
  return differences([&](Millis t) { return zone.offset_at(t); }, from, until, 6 * k_hour_s);
}

// The first instant, every `step` seconds from `from` to `until`, at which
// the offsets `a` and `b` disagree, or "" when they agree throughout.
template <typename A, typename B>
std::string first_disagreement(A&& a, B&& b, const char* from, const char* until,
                               std::int64_t step) {
  for (std::int64_t s = seconds_of(from), end = seconds_of(until); s < end; s += step)
    if (a(s * 1000) != b(s * 1000)) return health::format_time(s * 1000);
  return "";
}

// The offset of `rule` in milliseconds, as offset_at gives it.
auto offset_of(const health::ZoneRule& rule) {
  return [&rule](Millis t) { return rule.offset_at(health::floor_div(t, 1000)) * 1000; };
}

template <typename HasOffset>
auto offset_of(const HasOffset& zone) {
  return [&zone](Millis t) { return zone.offset_at(t); };
}

const char* const k_zones[] = {"Europe/Berlin",     "America/New_York", "Australia/Lord_Howe",
                               "Asia/Kolkata",      "America/Sao_Paulo", "Pacific/Apia",
                               "Africa/Casablanca", "Europe/Dublin",    "UTC"};

health::Error zone_error(std::string_view name) {
  try {
    Zone::named(name);
  } catch (const health::Error& error) {
    return error;
  }
  FAIL("Zone::named accepted '" << name << "'");
  return health::Error(health::ErrorKind::runtime, "unreachable");
}

// A TZif file of `version` ('\0' for 1) with local time types of `offsets`
// (seconds), transitions `times` to types `types`, and a `footer` rule. Its
// version 1 block is empty in version 2 and later, as zic -b slim writes it.
std::string tzif(char version, const std::vector<std::int64_t>& times,
                 const std::vector<unsigned char>& types, const std::vector<std::int32_t>& offsets,
                 const std::string& footer) {
  std::string out;
  const auto field = [&](std::uint64_t value, int size) {
    for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
      out += static_cast<char>((value >> shift) & 0xff);
  };
  const auto header = [&](std::size_t timecnt, std::size_t typecnt, std::size_t charcnt) {
    out += "TZif";
    out += version;
    out.append(15, '\0');
    const std::size_t counts[] = {0, 0, 0, timecnt, typecnt, charcnt}; // isut, isstd, leap first
    for (const std::size_t count : counts) field(count, 4);
  };
  const int time_size = version == '\0' ? 4 : 8;
  if (version != '\0') header(0, 0, 0);
  header(times.size(), offsets.size(), 4);
  for (const auto time : times) field(static_cast<std::uint64_t>(time), time_size);
  for (const auto type : types) out += static_cast<char>(type);
  for (const auto offset : offsets) {
    field(static_cast<std::uint32_t>(offset), 4);
    out += '\0'; // isdst
    out += '\0'; // designation index
  }
  out.append("ZZZ", 4);
  if (version != '\0') out += "\n" + footer + "\n";
  return out;
}

health::ZoneTable table_of(const std::string& bytes) {
  std::string problem;
  auto table = health::ZoneTable::from_tzif(bytes, problem);
  INFO(problem);
  REQUIRE(table);
  return *table;
}

std::string tzif_problem(const std::string& bytes) {
  std::string problem;
  CHECK_FALSE(health::ZoneTable::from_tzif(bytes, problem));
  return problem;
}

} // namespace

TEST_CASE("zone: offsets agree with the C library every 6 hours from 1900 to 2100", "[zone]") {
  for (const char* name : k_zones) {
    INFO(name);
    CHECK(zone_differences(name, "1900-01-01", "2100-01-01") == k_none);
  }
}

TEST_CASE("zone: offsets agree with the C library long after the last transition", "[zone]") {
  // Past 2200 the footer rule is asked directly instead of through the table.
  for (const char* name : k_zones) {
    INFO(name);
    CHECK(zone_differences(name, "2190-01-01", "2215-01-01") == k_none);
    CHECK(zone_differences(name, "2398-06-01", "2402-06-01") == k_none);
    CHECK(zone_differences(name, "9996-01-01", "9999-12-31") == k_none);
  }
}

TEST_CASE("zone: UTC and fixed zones", "[zone]") {
  CHECK(Zone::utc().is_utc());
  CHECK(Zone::utc().offset_at(0) == 0);
  CHECK(Zone::named("UTC").is_utc());
  CHECK(Zone::named("Etc/UTC").is_utc());
  CHECK_FALSE(Zone::named("Europe/Berlin").is_utc());
  const Zone kolkata = Zone::named("Asia/Kolkata");
  CHECK(kolkata.offset_at(seconds_of("2025-06-01") * 1000) == (5 * 60 + 30) * 60 * 1000);
  CHECK(Zone::named("Etc/GMT+5").offset_at(0) == -5 * k_hour_s * 1000);
}

TEST_CASE("zone: unknown names and paths are usage errors", "[zone]") {
  for (const char* name : {"Mars/Olympus", "../../etc/passwd", "../etc/passwd", "/etc/passwd",
                           "Europe/../../../etc/passwd", "", "Europe", "europe berlin", "zone.tab",
                           "local"}) {
    INFO(name);
    const auto error = zone_error(name);
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK(std::string(error.what()) == "unknown time zone '" + std::string(name) + "'");
    CHECK(error.hint() == "use an IANA name such as Europe/Berlin, UTC or local");
  }
}

TEST_CASE("zone: TZDIR names the zoneinfo folder and a broken file is refused", "[zone]") {
  test::TempDir dir;
  std::string berlin;
  {
    std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
    berlin.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(berlin.size() > 100);
  std::filesystem::create_directories(dir.path() / "Test");
  std::ofstream(dir.file("Test/Berlin"), std::ios::binary) << berlin;
  std::ofstream(dir.file("Test/Broken"), std::ios::binary) << berlin.substr(0, berlin.size() / 2);
  ScopedEnv tzdir("TZDIR", dir.path().c_str());
  const Millis summer = seconds_of("2025-07-01") * 1000;
  CHECK(Zone::named("Test/Berlin").offset_at(summer) == 2 * k_hour_s * 1000);
  const auto broken = zone_error("Test/Broken");
  CHECK(std::string(broken.what()) == "unknown time zone 'Test/Broken'");
  CHECK(broken.detail() == dir.file("Test/Broken") + ": truncated");
  CHECK(std::string(zone_error("Europe/Berlin").what()) == "unknown time zone 'Europe/Berlin'");
}

TEST_CASE("zone: building a zone leaves TZ and the C library's zone alone", "[zone]") {
  ScopedEnv tz("TZ", "America/New_York");
  const Millis summer = seconds_of("2025-07-01") * 1000;
  REQUIRE(libc_offset(summer) == -4 * k_hour_s * 1000);
  const Zone berlin = Zone::named("Europe/Berlin");
  const Zone dublin = Zone::named("Europe/Dublin");
  CHECK_THROWS_AS(Zone::named("Mars/Olympus"), health::Error);
  CHECK(berlin.offset_at(summer) == 2 * k_hour_s * 1000);
  CHECK(dublin.offset_at(summer) == k_hour_s * 1000);
  CHECK(environment("TZ") == std::optional<std::string>("America/New_York"));
  CHECK(libc_offset(summer) == -4 * k_hour_s * 1000);

  tz.set(nullptr);
  Zone::named("Australia/Lord_Howe");
  Zone::local();
  CHECK(environment("TZ") == std::nullopt);
}

TEST_CASE("zone: local follows TZ as the C library reads it", "[zone]") {
  const Millis winter = seconds_of("2025-01-15") * 1000;
  const Millis summer = seconds_of("2025-07-01") * 1000;
  ScopedEnv tz("TZ", "Europe/Berlin");
  CHECK(Zone::local().offset_at(summer) == 2 * k_hour_s * 1000);
  tz.set(":America/New_York");
  CHECK(Zone::local().offset_at(summer) == -4 * k_hour_s * 1000);
  tz.set("/usr/share/zoneinfo/Asia/Kolkata");
  CHECK(Zone::local().offset_at(winter) == (5 * 60 + 30) * 60 * 1000);
  tz.set("<+0330>-3:30");
  CHECK(Zone::local().offset_at(winter) == (3 * 60 + 30) * 60 * 1000);
  tz.set("");
  CHECK(Zone::local().is_utc());
  tz.set("Nowhere/Special");
  CHECK(Zone::local().is_utc());
  tz.set("../../etc/passwd");
  CHECK(Zone::local().is_utc());
  // Unset: /etc/localtime, as the C library reads it.
  tz.set(nullptr);
  const Zone system = Zone::local();
  CHECK(differences(offset_of(system), "2020-01-01", "2030-01-01", 6 * k_hour_s) == k_none);
  // A POSIX rule in TZ: Berlin's since 1996.
  tz.set("CET-1CEST,M3.5.0,M10.5.0/3");
  const Zone rule = Zone::local();
  const Zone berlin = Zone::named("Europe/Berlin");
  CHECK(first_disagreement(offset_of(rule), offset_of(berlin), "1997-01-01", "2300-01-01",
                           7 * k_hour_s) == "");
}

TEST_CASE("zone: POSIX rules agree with the C library", "[zone]") {
  // Quoted names, half hours, daylight time across the new year, negative
  // daylight time, Jn and n days, and times before midnight and past 24h.
  for (const char* text : {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "IST-1GMT0,M10.5.0,M3.5.0/1",
                           "EST5EDT,J60/-1:30,J300/26:15:30", "<-03>3<-02>,59/-3,300/50",
                           "AAA-13BBB,M3.5.0/-1,M10.5.0/30",
                           "<+0545>-5:45<+0645>-6:45:15,M3.2.0/167,M11.1.0/-20",
                           "NZST-12NZDT,M9.5.0,M4.1.0/3", "XXX4:30:15YYY3,J1/12,J365/12"}) {
    INFO(text);
    const auto rule = health::parse_zone_rule(text);
    REQUIRE(rule);
    const auto table = health::ZoneTable::from_rule(*rule);
    ScopedEnv tz("TZ", text);
    CHECK(differences(offset_of(*rule), "1990-01-01", "2030-01-01", 6 * k_hour_s) == k_none);
    // The C library applies a rule to no year before 1971 (it takes them
    // for 1970); the next case covers those years.
    CHECK(differences(offset_of(table), "1971-01-01", "2230-01-01", 13 * k_hour_s + 17) == k_none);
  }
}

TEST_CASE("zone: the table of a rule matches the rule at every instant", "[zone]") {
  // Daylight time all year (its end and the next start coincide) and a
  // daylight name without dates (the US rule, as in the C library).
  for (const char* text : {"EST5EDT,0/0,J365/25", "AAA5BBB", "<-02>2<-01>,M12.5.0/23,M1.1.0/-22",
                           "CET-1CEST,M3.5.0,M10.5.0/3"}) {
    INFO(text);
    const auto rule = health::parse_zone_rule(text);
    REQUIRE(rule);
    const auto table = health::ZoneTable::from_rule(*rule);
    // Every few days throughout, every few minutes where the table starts and ends.
    const auto agree = [&](const char* from, const char* until, std::int64_t step) {
      return first_disagreement(offset_of(table), offset_of(*rule), from, until, step);
    };
    CHECK(agree("1880-01-01", "2220-01-01", 3 * 24 * k_hour_s + 7) == "");
    CHECK(agree("1899-10-01", "1900-05-01", 15 * 60 + 1) == "");
    CHECK(agree("2199-10-01", "2200-05-01", 15 * 60 + 1) == "");
  }
  const auto all_year_rule = health::parse_zone_rule("EST5EDT,0/0,J365/25");
  const auto all_year = health::ZoneTable::from_rule(*all_year_rule);
  for (const char* text : {"2023-12-31T23:59:59Z", "2024-01-01T00:00:00Z", "2024-01-01T04:59:59Z",
                           "2024-01-01T05:00:00Z", "2024-07-01", "2300-01-01T05:00:00Z"})
    CHECK(all_year.offset_at(*health::try_parse_time(text, 0)) == -4 * k_hour_s * 1000);
  const auto us = *health::parse_zone_rule("AAA5BBB");
  CHECK(us.dst_offset == -4 * k_hour_s);
  CHECK(us.start_in(2025) == seconds_of("2025-03-09T07:00:00Z"));
  CHECK(us.end_in(2025) == seconds_of("2025-11-02T06:00:00Z"));
}

TEST_CASE("zone: malformed POSIX rules are refused", "[zone]") {
  for (const char* text : {"", "CET", "CE-1", "<AB>1", "<ABC-1", "CET-25", "CET-1CEST,M3.5.0",
                           "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
                           "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,0",
                           "CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,M3.5.0/1:60,M10.5.0",
                           "CET-1CEST,M3.5.0,M10.5.0,", "CET-1CEST-2x", "CET-1 CEST"}) {
    INFO(text);
    CHECK_FALSE(health::parse_zone_rule(text));
  }
  const auto rule = health::parse_zone_rule("<-0130>+1:30:15<+00>-0,J1/-167,300/167:59:59");
  REQUIRE(rule);
  CHECK(rule->std_offset == -(5400 + 15));
  CHECK(rule->dst_offset == 0);
  CHECK(rule->start.form == health::ZoneRuleDate::Form::julian);
  CHECK(rule->start.time == -167 * k_hour_s);
  CHECK(rule->end.form == health::ZoneRuleDate::Form::day_of_year);
  CHECK(rule->end.day == 300);
  CHECK(rule->end.time == 167 * k_hour_s + 59 * 60 + 59);
}

TEST_CASE("zone: TZif versions 1 to 3, with and without transitions", "[zone]") {
  const std::vector<std::int32_t> offsets = {-1800, 3600, 7200};
  SECTION("version 1: 32-bit times, the last type holds after the last transition") {
    const auto table = table_of(tzif('\0', {1000, 2000}, {1, 2}, offsets, ""));
    CHECK(table.offset_at(999'999) == -1800'000);
    CHECK(table.offset_at(1000'000) == 3600'000);
    CHECK(table.offset_at(1999'999) == 3600'000);
    CHECK(table.offset_at(2000'000) == 7200'000);
    CHECK(table.offset_at(std::numeric_limits<Millis>::max()) == 7200'000);
    CHECK(table.offset_at(std::numeric_limits<Millis>::min()) == -1800'000);
  }
  SECTION("version 3: the footer rule holds after the last transition") {
    const std::int64_t big_bang = -(std::int64_t{1} << 59);
    const auto last = seconds_of("1990-06-01");
    const auto table =
        table_of(tzif('3', {big_bang, last}, {1, 2}, offsets, "CET-1CEST,M3.5.0,M10.5.0/3"));
    CHECK(table.offset_at(std::numeric_limits<Millis>::min()) == -1800'000);
    CHECK(table.offset_at(0) == 3600'000);
    CHECK(table.offset_at(last * 1000) == 7200'000);
    CHECK(table.offset_at(seconds_of("1990-12-01") * 1000) == 3600'000);
    CHECK(table.offset_at(seconds_of("2150-07-01") * 1000) == 7200'000);
    CHECK(table.offset_at(seconds_of("2250-07-01") * 1000) == 7200'000);
    CHECK(table.offset_at(seconds_of("2250-12-01") * 1000) == 3600'000);
  }
  SECTION("version 2 without transitions: the footer rule holds at every instant") {
    const auto rule = health::parse_zone_rule("NZST-12NZDT,M9.5.0,M4.1.0/3");
    const auto table = table_of(tzif('2', {}, {}, {43200}, "NZST-12NZDT,M9.5.0,M4.1.0/3"));
    CHECK(first_disagreement(offset_of(table), offset_of(*rule), "1700-01-01", "2500-01-01",
                             3 * 24 * k_hour_s + 3) == "");
    CHECK(table_of(tzif('2', {}, {}, {0}, "UTC0")).is_always_utc());
    CHECK(table_of(tzif('2', {}, {}, {0}, "")).is_always_utc());
    CHECK_FALSE(table_of(tzif('2', {}, {}, {3600}, "<+01>-1")).is_always_utc());
  }
  SECTION("malformed files say what is wrong") {
    CHECK(tzif_problem("") == "not a TZif file");
    CHECK(tzif_problem("TZjf" + std::string(60, '\0')) == "not a TZif file");
    auto file = tzif('2', {1000}, {1}, offsets, "CET-1");
    CHECK(tzif_problem(file.substr(0, file.size() - 8)) == "truncated");
    CHECK(tzif_problem(tzif('2', {1000}, {3}, offsets, "")) == "invalid transitions");
    CHECK(tzif_problem(tzif('2', {2000, 1000}, {1, 2}, offsets, "")) == "invalid transitions");
    CHECK(tzif_problem(tzif('2', {}, {}, {}, "")) == "inconsistent counts");
    CHECK(tzif_problem(tzif('2', {}, {}, {0}, "CET-1CEST,M3.5.0")) ==
          "footer 'CET-1CEST,M3.5.0' is not a TZ rule");
    CHECK(tzif_problem(file.substr(0, file.size() - 1)) == "no footer");
    file[4] = '5';
    CHECK(tzif_problem(file) == "unknown TZif version");
  }
}

TEST_CASE("zone: threads share one zone and agree with one thread", "[zone][threads]") {
  const Zone zone = Zone::named("Australia/Lord_Howe");
  std::vector<Millis> instants;
  for (std::int64_t s = seconds_of("2015-01-01"), end = seconds_of("2215-01-01"); s < end;
       s += 13 * k_hour_s + 11)
    instants.push_back(s * 1000);
  std::vector<Millis> expected;
  for (const Millis t : instants) expected.push_back(zone.offset_at(t));

  std::atomic<int> disagreements{0};
  std::vector<std::thread> threads;
  for (std::size_t n = 0; n < 4; ++n) {
    threads.emplace_back([&, n] {
      const Zone copy = zone; // copies share the table
      for (std::size_t round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < instants.size(); ++i) {
          const std::size_t at = (i * 7 + n * 101) % instants.size();
          const Zone& used = i % 2 == 0 ? zone : copy;
          if (used.offset_at(instants[at]) != expected[at]) ++disagreements;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(disagreements == 0);
}
