#pragma once
// Series and samples: what is recorded, and the rules every sample obeys.

#include <health/names.hpp>
#include <health/time.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace health {

enum class MetricType { counter, gauge, timer, rolling };

std::string_view to_string(MetricType type);
std::optional<MetricType> parse_metric_type(std::string_view text);

// The identity of a series.
struct SeriesKey {
  std::string node;
  std::string component;
  std::string name;
  Labels labels;
};

// A series as a writer names it: its identity plus the type and unit it must
// have. An empty unit means "whatever the series has" (`ms` for a new timer).
struct SeriesSpec {
  SeriesKey key;
  MetricType type = MetricType::counter;
  std::string unit;
};

inline constexpr std::size_t k_max_context_bytes = 4096;
inline constexpr std::size_t k_max_unit_length = 32;

struct Sample {
  Millis ts = 0;
  double value = 0;
  std::string context; // compact JSON object text, or empty
};

// What is wrong with `value` for a series of `type`: not finite, or a
// negative counter increment. nullopt when it is fine.
std::optional<std::string> value_problem(MetricType type, double value);

// The times a sample may have: 1970-01-01 to 9999-12-31 (UTC), and no more
// than k_max_clock_skew_ms after now unless the future is allowed (a clock
// that runs ahead would otherwise leave a series "last seen" years later).
inline constexpr Millis k_max_sample_ts = 253402300799999; // 9999-12-31T23:59:59.999Z
inline constexpr Millis k_max_clock_skew_ms = 10 * k_minute_ms;
enum class AllowFuture { no, yes };
// What is wrong with sample time `ts` at `now`, or nullopt.
std::optional<std::string> time_problem(Millis ts, Millis now, AllowFuture allow_future);

// Parses a number in C locale (decimal or exponent form, "inf"/"nan" refused).
std::optional<double> parse_value(std::string_view text);

// Checks `text` is a JSON object of at most 4 KiB and returns its compact
// form, or sets `problem` and returns nullopt.
std::optional<std::string> normalize_context(std::string_view text, std::string* problem);

// What is wrong with `unit`: up to 32 of [A-Za-z0-9_.:/%-] ("" is fine).
std::optional<std::string> unit_problem(std::string_view unit);

// What is wrong with a whole spec (names, labels, unit); nullopt when valid.
std::optional<std::string> spec_problem(const SeriesSpec& spec);

} // namespace health
