// The detectors of analyze on hand-made buckets: the step a series is judged
// at, level shifts, flatlines, dropouts, and seasonal references that know a
// daily job and find what is wrong for its time of day.

#include <health/analyze.hpp>

#include "seeded_random.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using health::FindingKind;
using health::k_day_ms;
using health::k_hour_ms;
using health::k_minute_ms;
using health::Millis;

namespace {

constexpr Millis k_step = 5 * k_minute_ms;
constexpr Millis k_origin = 1795478400000; // 2026-11-24T00:00:00Z, a midnight

// Deterministic noise in (-1, 1), the same on every machine.
class Noise {
public:
  double next() { return 2 * m_random.uniform() - 1; }

private:
  test::SeededRandom m_random{42};
};

// One bucket a step long of one sample `value` at `at`.
health::Bucket bucket(Millis at, double value) {
  health::Bucket b;
  b.at = at;
  b.count = 1;
  b.min = b.max = b.avg = b.p95 = b.value = value;
  return b;
}

// Buckets from `since` on, one per step, of `value(i, at)`.
template <typename Value>
std::vector<health::Bucket> series_of(Millis since, std::size_t n, Value value) {
  std::vector<health::Bucket> out;
  for (std::size_t i = 0; i < n; ++i) {
    const Millis at = since + static_cast<Millis>(i) * k_step;
    out.push_back(bucket(at, value(i, at)));
  }
  return out;
}

health::SeriesInfo of_type(health::MetricType type) {
  health::SeriesInfo s;
  s.component = "app";
  s.name = "value";
  s.type = type;
  return s;
}

constexpr std::size_t k_week = 7 * 288; // 5-minute buckets
constexpr std::size_t k_day = 288;

std::vector<FindingKind> kinds(const std::vector<health::Anomaly>& found) {
  std::vector<FindingKind> out;
  for (const auto& f : found) out.push_back(f.kind);
  return out;
}

} // namespace

TEST_CASE("analyze: a series is judged at its own interval, coarser only past the cap", "[analyze]") {
  const Millis week_and_day = 8 * k_day_ms;
  CHECK(health::judging_step(5 * k_minute_ms, week_and_day) == 5 * k_minute_ms);
  CHECK(health::judging_step(5 * k_minute_ms - 1500, week_and_day) == 5 * k_minute_ms); // jitter aside
  CHECK(health::judging_step(5 * k_minute_ms + 40'000, week_and_day) == 10 * k_minute_ms);
  CHECK(health::judging_step(k_hour_ms, 35 * k_day_ms) == k_hour_ms);
  CHECK(health::judging_step(k_minute_ms, week_and_day) == k_minute_ms);    // 11,520 buckets
  CHECK(health::judging_step(k_minute_ms, 30 * k_day_ms) == 5 * k_minute_ms); // not 43,200
  CHECK(health::judging_step(0, k_day_ms) == 5 * health::k_second_ms);
}

TEST_CASE("analyze: a sustained change of level is one level shift from when it began", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 100 + 5 * noise.next(); });
  const Millis shift_at = k_origin + 100 * k_step;
  const auto window = series_of(k_origin, k_day, [&](std::size_t i, Millis) {
    return (i >= 100 ? 125 : 100) + 5 * noise.next(); // within 5 of 100, then of 125
  });
  const auto found = health::find_anomalies(series, baseline, window, k_step);
  REQUIRE(kinds(found) == std::vector{FindingKind::level_shift});
  const auto& shift = found[0];
  CHECK(std::abs(shift.at - shift_at) <= 2 * k_step);
  CHECK(shift.until >= k_origin + static_cast<Millis>(k_day - 2) * k_step);
  CHECK(shift.value == Approx(125).margin(2));
  CHECK(shift.expected == Approx(100).margin(1));
  CHECK(shift.score > 3);
  CHECK(shift.reference == health::Reference::whole);

  SECTION("a shift under 10% of the level is not material, however far") {
    const auto small = series_of(k_origin, k_day, [&](std::size_t i, Millis) { return (i >= 100 ? 108 : 100) + noise.next(); });
    const auto tight = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 100 + noise.next(); });
    const auto small_kinds = kinds(health::find_anomalies(series, tight, small, k_step));
    CHECK(std::count(small_kinds.begin(), small_kinds.end(), FindingKind::level_shift) == 0);
    // Each bucket is far beyond anything the baseline held: anomalies.
    CHECK(std::count(small_kinds.begin(), small_kinds.end(), FindingKind::anomaly) >= 1);
  }
  SECTION("a baseline that strays as far for as long raises the bar") {
    auto wandering = baseline;
    for (std::size_t i = 500; i < 600; ++i) wandering[i] = bucket(wandering[i].at, 125 + 5 * noise.next());
    CHECK(health::find_anomalies(series, wandering, window, k_step).empty());
  }
  SECTION("a change shorter than six buckets is an anomaly, not a shift") {
    const auto blip = series_of(k_origin, k_day, [&](std::size_t i, Millis) {
      return (i >= 100 && i < 105 ? 130 : 100) + 5 * noise.next();
    });
    CHECK(kinds(health::find_anomalies(series, baseline, blip, k_step)) == std::vector{FindingKind::anomaly});
  }
}

TEST_CASE("analyze: a bucket far beyond what the baseline held is material under 20% of its level", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  // A machine at 72 degrees, once at 68 and once at 76 in a week.
  auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 72 + 0.5 * noise.next(); });
  baseline[100].value = 68;
  baseline[900].value = 76;
  const auto dip = [&](double low) {
    return series_of(k_origin, k_day, [&](std::size_t i, Millis) { return i == 50 ? low : 72 + 0.5 * noise.next(); });
  };
  // 64 is 11% below 72 but twice as far below it as anything held.
  const auto found = health::find_anomalies(series, baseline, dip(64), k_step);
  REQUIRE(kinds(found) == std::vector{FindingKind::anomaly});
  CHECK(found[0].at == k_origin + 50 * k_step);
  CHECK(found[0].value == 64);
  // 66.5 is beyond the lowest held value, not by half its reach more.
  CHECK(health::find_anomalies(series, baseline, dip(66.5), k_step).empty());
}

TEST_CASE("analyze: a value stuck where the baseline varied is a flatline", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 40 + 20 * noise.next(); });
  for (const double stuck : {0.0, 47.25}) {
    INFO("stuck at " << stuck);
    const auto window = series_of(k_origin, k_day, [&](std::size_t i, Millis) {
      return i >= 200 && i < 240 ? stuck : 40 + 20 * noise.next();
    });
    const auto found = health::find_anomalies(series, baseline, window, k_step);
    REQUIRE(kinds(found) == std::vector{FindingKind::flatline});
    CHECK(found[0].at == k_origin + 200 * k_step);
    CHECK(found[0].until == k_origin + 240 * k_step);
    CHECK(found[0].value == stuck);
    CHECK(found[0].score == 40); // 40 buckets over the baseline's longest constant run, one
  }
  SECTION("a series that often holds still is not flat for holding still") {
    const auto steps = series_of(k_origin - k_week * k_step, k_week, [](std::size_t i, Millis) {
      return static_cast<double>(i / 30 % 3); // 30 buckets at each level
    });
    const auto window = series_of(k_origin, k_day, [](std::size_t i, Millis) { return static_cast<double>(i / 50 % 3); });
    CHECK(health::find_anomalies(series, steps, window, k_step).empty());
  }
}

TEST_CASE("analyze: a counter whose increments stop is a dropout, to the window's end when silent", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::counter);
  const auto rate = [&](auto, auto) { return 2 + 0.5 * noise.next(); };
  const auto baseline = series_of(k_origin - k_week * k_step, k_week, rate);
  SECTION("zero increments for an hour") {
    const auto window = series_of(k_origin, k_day, [&](std::size_t i, Millis at) { return i >= 60 && i < 72 ? 0 : rate(i, at); });
    const auto found = health::find_anomalies(series, baseline, window, k_step);
    REQUIRE(kinds(found) == std::vector{FindingKind::dropout});
    CHECK(found[0].at == k_origin + 60 * k_step);
    CHECK(found[0].until == k_origin + 72 * k_step);
    CHECK(found[0].value == 0);
    CHECK(found[0].expected == Approx(2).margin(0.1));
  }
  SECTION("no samples since an hour before the window's end") {
    const auto window = series_of(k_origin, k_day - 12, rate);
    const Millis until = k_origin + static_cast<Millis>(k_day) * k_step;
    const auto found = health::find_anomalies(series, baseline, window, k_step, {k_origin, until});
    REQUIRE(kinds(found) == std::vector{FindingKind::dropout});
    CHECK(found[0].at == until - 12 * k_step);
    CHECK(found[0].until == until);
  }
  SECTION("a counter often idle is not dropped out for idling") {
    const auto idle = series_of(k_origin - k_week * k_step, k_week, [](std::size_t i, Millis) { return i % 100 < 40 ? 0.0 : 1.0; });
    const auto window = series_of(k_origin, k_day, [](std::size_t i, Millis) { return i % 100 < 40 ? 0.0 : 1.0; });
    CHECK(health::find_anomalies(series, idle, window, k_step).empty());
  }
}

TEST_CASE("analyze: a daily cycle is judged by time of day, and a daily job is known", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  // Busy afternoons, quiet nights, and a job at 03:15 every night.
  const auto daily = [&](Millis at) {
    const double hour = static_cast<double>(at % k_day_ms) / k_hour_ms;
    const double job = at % k_day_ms == 3 * k_hour_ms + 15 * k_minute_ms ? 300 : 0;
    return 100 + 60 * std::sin((hour - 9) / 24 * 6.283185307179586) + 2 * noise.next() + job;
  };
  const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, Millis at) { return daily(at); });
  SECTION("a calm day, daily job included, raises nothing") {
    const auto window = series_of(k_origin, k_day, [&](auto, Millis at) { return daily(at); });
    const auto found = health::find_anomalies(series, baseline, window, k_step);
    CHECK(found.empty());
  }
  SECTION("an afternoon's level at night is an anomaly for the time of day") {
    const Millis night = k_origin + 3 * k_hour_ms; // the cycle's low: about 45
    const auto window = series_of(k_origin, k_day, [&](auto, Millis at) { return at == night ? 140 : daily(at); });
    const auto found = health::find_anomalies(series, baseline, window, k_step);
    REQUIRE(kinds(found) == std::vector{FindingKind::anomaly});
    CHECK(found[0].at == night);
    CHECK(found[0].reference == health::Reference::daily);
    CHECK(found[0].expected == Approx(daily(night)).margin(5));
  }
}

TEST_CASE("analyze: with two weeks of baseline a holiday is found against its weekday", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  // Busy afternoons, and weekends at 40% of a weekday (k_origin is a Tuesday).
  const auto traffic = [&](Millis at, double factor) {
    const double hour = static_cast<double>(at % k_day_ms) / k_hour_ms;
    const double day = 100 + 50 * std::sin((hour - 9) / 24 * 6.283185307179586);
    return day * factor * (1 + 0.03 * noise.next());
  };
  const auto weekend = [](Millis at) { return (at / k_day_ms + 4) % 7 >= 5; }; // 1970-01-01 was a Thursday
  const auto usual = [&](auto, Millis at) { return traffic(at, weekend(at) ? 0.4 : 1.0); };
  const Millis two_weeks = 2 * static_cast<Millis>(k_week) * k_step;
  const auto baseline = series_of(k_origin - two_weeks, 2 * k_week, usual);
  SECTION("a Tuesday like a Sunday is a level shift for its weekday") {
    const auto holiday = series_of(k_origin, k_day, [&](auto, Millis at) { return traffic(at, 0.4); });
    const auto found = health::find_anomalies(series, baseline, holiday, k_step);
    REQUIRE_FALSE(found.empty());
    CHECK(found[0].kind == FindingKind::level_shift);
    CHECK(found[0].reference == health::Reference::weekly);
    CHECK(found[0].score < 0);
  }
  SECTION("an ordinary Tuesday raises nothing") {
    CHECK(health::find_anomalies(series, baseline, series_of(k_origin, k_day, usual), k_step).empty());
  }
  SECTION("a single day of baseline is the whole reference") {
    const std::vector<health::Bucket> day(baseline.end() - static_cast<std::ptrdiff_t>(k_day), baseline.end());
    const auto spike = series_of(k_origin, k_day, [&](std::size_t i, Millis at) { return i == 10 ? 1000 : usual(i, at); });
    const auto found = health::find_anomalies(series, day, spike, k_step);
    REQUIRE_FALSE(found.empty());
    CHECK(found[0].reference == health::Reference::whole);
  }
}

TEST_CASE("analyze: degenerate series end, with finite scores and one finding per incident", "[analyze]") {
  Noise noise;
  const auto series = of_type(health::MetricType::gauge);
  SECTION("a baseline all at zero, then swings both ways") {
    const auto zeros = series_of(k_origin - k_week * k_step, k_week, [](auto, auto) { return 0.0; });
    const auto swings = series_of(k_origin, k_day, [](std::size_t i, Millis) { return i % 2 == 0 ? 10.0 : -10.0; });
    const auto found = health::find_anomalies(series, zeros, swings, k_step);
    REQUIRE_FALSE(found.empty());
    for (const auto& f : found) CHECK(std::isfinite(f.score));
  }
  SECTION("a long-horizon shift must last its two hours") {
    const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 100 + 10 * noise.next(); });
    // 13 buckets (65 minutes) a little high: past the short length, under the long one.
    const auto window = series_of(k_origin, k_day, [&](std::size_t i, Millis) {
      return (i >= 100 && i < 113 ? 113 : 100) + 2 * noise.next();
    });
    CHECK(kinds(health::find_anomalies(series, baseline, window, k_step)).empty());
  }
  SECTION("a spike in a shift that a flatline mostly covers is still reported") {
    const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 100 + 5 * noise.next(); });
    const auto window = series_of(k_origin, k_day, [&](std::size_t i, Millis) {
      if (i >= 100 && i < 160) return 115.0; // stuck a little high for 5 hours
      if (i >= 160 && i < 200) return i == 180 ? 400.0 : 115 + 3 * noise.next(); // then noisy there, a spike
      return 100 + 5 * noise.next();
    });
    const auto found = health::find_anomalies(series, baseline, window, k_step);
    const auto spike_at = k_origin + 180 * k_step;
    CHECK(std::any_of(found.begin(), found.end(), [&](const auto& f) { return f.at <= spike_at && spike_at < f.until && f.kind != FindingKind::flatline; }));
    CHECK(std::count_if(found.begin(), found.end(), [](const auto& f) { return f.kind == FindingKind::flatline; }) == 1);
  }
  SECTION("a counter silent for the whole window dropped out from its start") {
    const auto counter = of_type(health::MetricType::counter);
    const auto baseline = series_of(k_origin - k_week * k_step, k_week, [&](auto, auto) { return 2 + noise.next(); });
    const Millis until = k_origin + static_cast<Millis>(k_day) * k_step;
    const auto found = health::find_anomalies(counter, baseline, {}, k_step, {k_origin, until});
    REQUIRE(kinds(found) == std::vector{FindingKind::dropout});
    CHECK(found[0].at == k_origin);
    CHECK(found[0].until == until);
  }
}
