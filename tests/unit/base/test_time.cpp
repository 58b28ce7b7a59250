#include <health/error.hpp>
#include <health/time.hpp>

#include <catch2/catch.hpp>

using health::Millis;

namespace {

constexpr Millis k_now = 1736937000123;   // 2025-01-15T10:30:00.123Z
constexpr Millis k_base = 1736937000000;  // 2025-01-15T10:30:00.000Z
constexpr Millis k_midnight = 1736899200000; // 2025-01-15T00:00:00.000Z

Millis at(const char* text) {
  const auto t = health::try_parse_time(text, k_now);
  INFO(text);
  REQUIRE(t);
  return *t;
}

} // namespace

TEST_CASE("time: parses RFC 3339 with fractions and offsets", "[time]") {
  CHECK(at("2025-01-15T10:30:00Z") == k_base);
  CHECK(at("2025-01-15t10:30:00z") == k_base);
  CHECK(at("2025-01-15 10:30:00Z") == k_base);
  CHECK(at("2025-01-15T10:30:00.123Z") == k_base + 123);
  CHECK(at("2025-01-15T10:30:00.1Z") == k_base + 100);
  CHECK(at("2025-01-15T10:30:00.123456789Z") == k_base + 123);
  CHECK(at("2025-01-15T10:30:00.9999Z") == k_base + 999); // truncated, not rounded
  CHECK(at("2025-01-15T12:30:00+02:00") == k_base);
  CHECK(at("2025-01-15T05:00:00-05:30") == k_base);
  CHECK(at("2025-01-15T10:30:00.5+00:00") == k_base + 500);
  CHECK(at("2024-02-29T23:59:59Z") == 1709251199000);
  CHECK(at("1969-12-31T23:59:59.999Z") == -1);
  CHECK(at("9999-12-31T23:59:59Z") == 253402300799000);
}

TEST_CASE("time: naive dates and times are UTC", "[time]") {
  CHECK(at("2025-01-15") == k_midnight);
  CHECK(at("2025-01-15 10:30") == k_base);
  CHECK(at("2025-01-15 10:30:00") == k_base);
  CHECK(at("2025-01-15 10:30:00.25") == k_base + 250);
  CHECK(at("2025-01-15T10:30") == k_base);
  CHECK(at("2000-01-01") == 946684800000);
  CHECK(at("1970-01-01") == 0);
}

TEST_CASE("time: epoch seconds with an optional fraction", "[time]") {
  CHECK(at("@1736937000") == k_base);
  CHECK(at("@1736937000.123") == k_base + 123);
  CHECK(at("@1736937000.1239") == k_base + 123);
  CHECK(at("@0") == 0);
  CHECK(at("@-1") == -1000);
  CHECK(at("@1.5") == 1500);
  // The largest epoch accepted (any fraction of its second fits), and past it:
  // refused, never wrapped around.
  CHECK(at("@9223372036854774.999") == 9223372036854774999);
  CHECK_FALSE(health::try_parse_time("@9223372036854779", k_base));
  CHECK_FALSE(health::try_parse_time("@99999999999999999999", k_base));
}

TEST_CASE("time: relative forms anchor on now", "[time]") {
  CHECK(at("now") == k_now);
  CHECK(at("today") == k_midnight);
  CHECK(at("yesterday") == k_midnight - health::k_day_ms);
  CHECK(at("now-24h") == k_now - health::k_day_ms);
  CHECK(at("now+1h") == k_now + health::k_hour_ms);
  CHECK(at("-24h") == k_now - health::k_day_ms);
  CHECK(at("24h") == k_now - health::k_day_ms);
  CHECK(at("1h30m") == k_now - 90 * health::k_minute_ms);
  CHECK(at("-500ms") == k_now - 500);
  CHECK(at("2w") == k_now - 2 * health::k_week_ms);
  // today before 1970 floors toward the past
  CHECK(*health::try_parse_time("today", -1) == -health::k_day_ms);
}

TEST_CASE("time: rejects what is not a time", "[time]") {
  for (const char* text : {"", "tomorrow", "2025-13-01", "2025-02-30", "2025-1-5", "2025-01-15T24:00",
                           "2025-01-15T10:60", "2025-01-15T10:30:61Z", "2025-01-15T10:30:00+2",
                           "2025-01-15T10:30:00Zjunk", "2025-01-15 ", "@", "@1.", "@abc", "now-",
                           "now-1y", "-1mo", "30", "1.5h", "now - 1h", "10:30", "2025-01-15T10:30:00.Z"}) {
    INFO(text);
    CHECK_FALSE(health::try_parse_time(text, k_now));
  }
  try {
    health::parse_time("next tuesday", k_now);
    FAIL("no exception");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK(std::string(error.what()) == "invalid time 'next tuesday'");
    CHECK_THAT(error.hint(), Catch::Contains("RFC 3339") && Catch::Contains("now-24h"));
  }
  CHECK_THROWS_WITH(health::parse_time("-1y", k_now), Catch::Contains("months and years are not supported"));
}

TEST_CASE("time: durations follow Prometheus", "[time]") {
  using health::try_parse_duration;
  CHECK(try_parse_duration("500ms") == 500);
  CHECK(try_parse_duration("90s") == 90000);
  CHECK(try_parse_duration("5m") == 300000);
  CHECK(try_parse_duration("1h30m") == 5400000);
  CHECK(try_parse_duration("7d") == 7 * health::k_day_ms);
  CHECK(try_parse_duration("1w2d3h4m5s6ms") ==
        health::k_week_ms + 2 * health::k_day_ms + 3 * health::k_hour_ms + 4 * health::k_minute_ms + 5006);
  CHECK(try_parse_duration("0s") == 0);
  for (const char* text : {"", "30", "1.5h", "-5m", "+5m", "5M", "1y", "1mo", "3 months", "m",
                           "30m1h", "1h1h", "5 m", "1ms5s", "99999999999999999999s", "9999999999999w"}) {
    INFO(text);
    CHECK_FALSE(try_parse_duration(text));
  }
  try {
    health::parse_duration("1y");
    FAIL("no exception");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK_THAT(error.what(), Catch::Contains("months and years are not supported"));
  }
  CHECK_THROWS_WITH(health::parse_duration("soon"), "invalid duration 'soon'");
}

TEST_CASE("time: formats RFC 3339 UTC with milliseconds", "[time]") {
  CHECK(health::format_time(k_now) == "2025-01-15T10:30:00.123Z");
  CHECK(health::format_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(health::format_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(health::format_time(1709251199000) == "2024-02-29T23:59:59.000Z");
  CHECK(health::format_time(1709251200000) == "2024-03-01T00:00:00.000Z");
  CHECK(health::format_time(253402300799999) == "9999-12-31T23:59:59.999Z");
  CHECK(health::format_time(-62135596800000) == "0001-01-01T00:00:00.000Z");
  std::string out = "x";
  health::append_time(out, 1000);
  CHECK(out == "x1970-01-01T00:00:01.000Z");
}

TEST_CASE("time: format and parse round-trip", "[time]") {
  // A stride that is prime in ms walks every field, leap days included.
  for (Millis t = -4000000000000; t < 4000000000000; t += 7919993333) {
    const auto text = health::format_time(t);
    INFO(text);
    CHECK(at(text.c_str()) == t);
  }
}

TEST_CASE("time: durations format in their largest exact units", "[time]") {
  CHECK(health::format_duration(0) == "0s");
  CHECK(health::format_duration(500) == "500ms");
  CHECK(health::format_duration(90000) == "1m30s");
  CHECK(health::format_duration(health::k_hour_ms) == "1h");
  CHECK(health::format_duration(health::k_week_ms) == "1w");
  CHECK(health::format_duration(1500) == "1s500ms");
  CHECK(health::format_duration(-90000) == "-1m30s");
  for (Millis d = 1; d < 40 * health::k_day_ms; d = d * 3 + 7)
    CHECK(health::try_parse_duration(health::format_duration(d)) == d);
}

TEST_CASE("time: a retention is days or a duration", "[time]") {
  CHECK(health::parse_retention("30") == 30 * health::k_day_ms);
  CHECK(health::parse_retention("30d") == 30 * health::k_day_ms);
  CHECK(health::parse_retention("12h") == 12 * health::k_hour_ms);
  for (const char* bad : {"", "0", "0d", "-3", "1.5", "thirty", "99999999999999999999"})
    CHECK_THROWS_WITH(health::parse_retention(bad), Catch::StartsWith("invalid retention '" + std::string(bad) + "'"));
}
