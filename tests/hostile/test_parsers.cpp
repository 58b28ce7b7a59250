// In-process hostile input: thousands of seeded mutations of valid times,
// durations, ranges, labels, names, sizes, numbers and context JSON through
// libhealth's own parsers, in milliseconds. Each parser must answer (a
// value, nullopt, or health::Error of its documented kind), never throw
// anything else or trip a sanitizer (which would end this process), and
// what it accepts must read back the same when written out again.

#include "hostile.hpp"
#include "mutate.hpp"

#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/range.hpp>
#include <health/series.hpp>
#include <health/time.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <limits>

namespace {

using hostile::Rng;
using hostile::Tally;
using hostile::shell_quoted;

constexpr health::Millis k_now = 1736937000123; // 2025-01-15T10:30:00.123Z
constexpr std::size_t k_cases_per_parser = 2500;
// The instants format_time can write: 0000-01-01 to 9999-12-31.
constexpr health::Millis k_first_writable = -62167219200000;
constexpr health::Millis k_last_writable = 253402300799999;

// Calls `action`; a health::Error of another kind than `kind`, or any other
// exception, is a failure of `tally` about `input`. Returns whether it threw.
bool throws_only(Tally& tally, health::ErrorKind kind, const std::string& input,
                 const std::function<void()>& action) {
  try {
    action();
    return false;
  } catch (const health::Error& error) {
    if (error.kind() != kind)
      tally.fail("input " + shell_quoted(input) + ": health::Error of another kind: " + error.what());
    if (std::string_view(error.what()).empty()) tally.fail("input " + shell_quoted(input) + ": empty message");
  } catch (const std::exception& error) {
    tally.fail("input " + shell_quoted(input) + ": threw " + error.what() + " instead of health::Error");
  }
  return true;
}

// A mutated seed of `seeds` for case `index` of `part`.
std::string mutated(const std::vector<std::string>& seeds, const char* part, std::size_t index) {
  Rng rng(hostile::case_seed(part, index));
  const std::string& seed = rng.pick(seeds);
  // One case in ten stays valid, so the round trips see accepted input too.
  return rng.percent(10) ? seed : hostile::mutate(seed, rng, 2);
}

} // namespace

TEST_CASE("parsers: times and durations survive seeded mutations and read back what they accept",
          "[hostile][parsers]") {
  Tally tally("parsers: times and durations");
  const std::vector<std::string> seeds = {
      "2025-01-15T10:30:00Z", "2025-01-15T10:30:00.123456+02:00", "2025-01-15t10:30:00z",
      "2025-01-15 10:30", "2025-01-15 10:30:00.5", "2025-01-15", "2024-02-29T23:59:59-05:30",
      "9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "0000-01-01", "@1736937000",
      "@1736937000.123", "@-5.5", "now", "today", "yesterday", "now-24h", "now+1h", "now+500ms",
      "now+90s", "-24h", "24h",
      "1h30m", "2w3d4h5m6s7ms", "500ms", "-1y", "3mo"};
  for (std::size_t i = 0; i < k_cases_per_parser; ++i) {
    const std::string text = mutated(seeds, "times", i);
    ++tally.figures.cases;
    const auto time = health::try_parse_time(text, k_now);
    const bool threw = throws_only(tally, health::ErrorKind::usage, text, [&] { health::parse_time(text, k_now); });
    if (threw == time.has_value())
      tally.fail("time " + shell_quoted(text) + ": parse_time and try_parse_time disagree");
    if (time && *time >= k_first_writable && *time <= k_last_writable) {
      const auto written = health::format_time(*time);
      if (health::try_parse_time(written, k_now) != time)
        tally.fail("time " + shell_quoted(text) + " = " + std::to_string(*time) + " ms does not read back from " +
                   written);
    }

    const auto duration = health::try_parse_duration(text);
    const bool duration_threw =
        throws_only(tally, health::ErrorKind::usage, text, [&] { health::parse_duration(text); });
    if (duration_threw == duration.has_value())
      tally.fail("duration " + shell_quoted(text) + ": parse_duration and try_parse_duration disagree");
    if (duration && *duration < 0) tally.fail("duration " + shell_quoted(text) + " is negative");
    if (duration && *duration > 0 && health::try_parse_duration(health::format_duration(*duration)) != duration)
      tally.fail("duration " + shell_quoted(text) + " does not read back from " + health::format_duration(*duration));
  }
  tally.finish();
}

TEST_CASE("parsers: threshold ranges survive seeded mutations and read back what is accepted",
          "[hostile][parsers]") {
  Tally tally("parsers: threshold ranges");
  const std::vector<std::string> seeds = {"10",    "10:",     "~:10",  "10:20", "@10:20", "0:1e3", "-5:-1",
                                          "@~:0",  "1.5:2.5", "@10",   ":5",    "~:",     "@5:",   "1e-3:4"};
  const std::vector<double> probes = {-1e300, -10, -1, -0.5, 0, 0.5, 1, 5, 10, 10.5, 20, 21, 1e300};
  for (std::size_t i = 0; i < k_cases_per_parser; ++i) {
    const std::string text = mutated(seeds, "ranges", i);
    ++tally.figures.cases;
    std::optional<health::AlertRange> range;
    throws_only(tally, health::ErrorKind::usage, text, [&] { range = health::AlertRange::parse(text); });
    if (!range) continue;
    if (range->describe().empty()) tally.fail("range " + shell_quoted(text) + " describes as nothing");
    std::optional<health::AlertRange> again;
    throws_only(tally, health::ErrorKind::usage, range->text(), [&] { again = health::AlertRange::parse(range->text()); });
    if (!again || again->text() != range->text()) {
      tally.fail("range " + shell_quoted(text) + " does not read back from " + range->text());
      continue;
    }
    for (const double probe : probes)
      if (again->alerts(probe) != range->alerts(probe))
        tally.fail("range " + shell_quoted(text) + " and its text " + range->text() + " disagree at " +
                   std::to_string(probe));
  }
  tally.finish();
}

TEST_CASE("parsers: labels and names survive seeded mutations and read back what they accept",
          "[hostile][parsers]") {
  Tally tally("parsers: labels and names");
  const std::vector<std::string> args = {"route=/api", "method=GET", "k=v", "a.b:c-d_e=x y", "empty=",
                                         "k=v=w",      "uni=é",      "semi=a;b", "back=a\\b"};
  const std::vector<std::string> texts = {"k=v;k2=v2", "a=b\\;c", "x=\\\\", "route=/api;method=GET", "e=", "z=1;a=2"};
  const std::vector<std::string> names = {"webserver", "query_ms", "a.b:c-d_e", "x", std::string(128, 'n')};
  for (std::size_t i = 0; i < k_cases_per_parser; ++i) {
    ++tally.figures.cases;
    Rng rng(hostile::case_seed("label args", i));
    std::vector<std::string> given;
    for (std::size_t n = rng.between(1, 3); n > 0; --n)
      given.push_back(rng.percent(20) ? rng.pick(args) : hostile::mutate(rng.pick(args), rng, 2));
    std::optional<health::Labels> labels;
    const std::string shown = shell_quoted(given.front()) + (given.size() > 1 ? " and more" : "");
    throws_only(tally, health::ErrorKind::usage, given.front(), [&] { labels = health::parse_label_args(given); });
    if (labels && health::parse_labels(health::format_labels(*labels)) != labels)
      tally.fail("labels " + shown + " do not read back from " + shell_quoted(health::format_labels(*labels)));

    const std::string text = mutated(texts, "label text", i);
    std::optional<health::Labels> parsed;
    std::string problem;
    throws_only(tally, health::ErrorKind::usage, text, [&] { parsed = health::parse_labels(text, &problem); });
    if (!parsed && problem.empty()) tally.fail("labels " + shell_quoted(text) + " refused without a problem");
    if (parsed && health::parse_labels(health::format_labels(*parsed)) != parsed)
      tally.fail("labels " + shell_quoted(text) + " do not read back from " + shell_quoted(health::format_labels(*parsed)));

    const std::string name = mutated(names, "names", i);
    std::optional<std::string> name_problem;
    throws_only(tally, health::ErrorKind::usage, name, [&] { name_problem = health::name_problem("metric", name); });
    const bool refused = throws_only(tally, health::ErrorKind::usage, name, [&] { health::validate_name("metric", name); });
    if (refused != name_problem.has_value())
      tally.fail("name " + shell_quoted(name) + ": name_problem and validate_name disagree");
  }
  tally.finish();
}

TEST_CASE("parsers: numbers, sizes and context JSON survive seeded mutations", "[hostile][parsers]") {
  Tally tally("parsers: numbers, sizes and context");
  const std::vector<std::string> numbers = {"12.5", "0", "-3", "1e3", "+7", "0.001", "42"};
  const std::vector<std::string> sizes = {"100MB", "2GB", "512KB", "1", "10b", "3g"};
  const std::vector<std::string> contexts = {R"({"query":"select_user"})", R"({"a":[1,2,{"b":null}],"c":true})",
                                             R"({"user_id":"u1","n":-1.5e3})", R"({})", R"({"é":"\u00e9\n"})"};
  for (std::size_t i = 0; i < k_cases_per_parser; ++i) {
    ++tally.figures.cases;
    const std::string number = mutated(numbers, "numbers", i);
    std::optional<double> value;
    throws_only(tally, health::ErrorKind::usage, number, [&] { value = health::parse_value(number); });
    if (value && !std::isfinite(*value)) tally.fail("value " + shell_quoted(number) + " is not finite");
    std::optional<std::int64_t> whole;
    throws_only(tally, health::ErrorKind::usage, number, [&] { whole = health::parse_whole_number(number); });
    if (whole && health::parse_whole_number(std::to_string(*whole)) != whole)
      tally.fail("whole number " + shell_quoted(number) + " does not read back");

    const std::string size = mutated(sizes, "sizes", i);
    std::uint64_t bytes = 0;
    if (!throws_only(tally, health::ErrorKind::usage, size, [&] { bytes = health::parse_size(size); }) && bytes == 0)
      tally.fail("size " + shell_quoted(size) + " is 0 bytes");

    const std::string context = mutated(contexts, "contexts", i);
    std::optional<std::string> compact;
    std::string problem;
    throws_only(tally, health::ErrorKind::bad_data, context, [&] { compact = health::normalize_context(context, &problem); });
    if (!compact) continue;
    const auto parsed = nlohmann::json::parse(*compact, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || compact->size() > health::k_max_context_bytes ||
        health::json_too_deep(*compact) || !health::is_valid_utf8(*compact))
      tally.fail("context " + shell_quoted(context) + " was accepted as " + shell_quoted(*compact));
    else if (health::normalize_context(*compact, &problem) != compact)
      tally.fail("context " + shell_quoted(context) + " does not read back from " + shell_quoted(*compact));
  }
  tally.finish();
}
