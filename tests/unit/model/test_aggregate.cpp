#include <health/aggregate.hpp>
#include <health/error.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using health::Agg;
using health::k_day_ms;
using health::k_hour_ms;
using health::k_minute_ms;
using health::k_second_ms;
using health::Millis;

TEST_CASE("aggregate: a timer with values 1..1000 has the known statistics", "[aggregate]") {
  health::StatsBuilder builder;
  // Out of order on purpose: percentiles must not depend on arrival order.
  std::vector<int> values(1000);
  for (int i = 0; i < 1000; ++i) values[static_cast<std::size_t>(i)] = i + 1;
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  Millis ts = 0;
  for (const int value : values) builder.add(ts++, value);
  const auto stats = builder.finish(1000 * k_second_ms);
  CHECK(stats.count == 1000);
  CHECK(stats.sum == 500500);
  CHECK(stats.avg == 500.5);
  CHECK(stats.min == 1);
  CHECK(stats.max == 1000);
  CHECK(stats.p50 == Approx(500.5).epsilon(1e-12));
  CHECK(stats.p95 == Approx(950.05).epsilon(1e-12));
  CHECK(stats.p99 == Approx(990.01).epsilon(1e-12));
  CHECK(stats.last == values.back());
  CHECK(stats.first_ts == 0);
  CHECK(stats.last_ts == 999);
  CHECK(stats.rate_per_s == 500.5);
  CHECK(builder.empty()); // finish resets the builder for the next bucket
}

TEST_CASE("aggregate: percentiles agree with a full sort", "[aggregate]") {
  std::mt19937 random(42);
  std::lognormal_distribution<double> latency(3.0, 1.0);
  for (const std::size_t n : {1U, 2U, 3U, 10U, 101U, 4096U}) {
    health::StatsBuilder builder;
    std::vector<double> sorted;
    for (std::size_t i = 0; i < n; ++i) {
      const double value = latency(random);
      sorted.push_back(value);
      builder.add(static_cast<Millis>(i), value);
    }
    std::sort(sorted.begin(), sorted.end());
    const auto stats = builder.finish(k_minute_ms);
    INFO("n = " << n);
    CHECK(stats.p50 == health::quantile(sorted, 0.50));
    CHECK(stats.p95 == health::quantile(sorted, 0.95));
    CHECK(stats.p99 == health::quantile(sorted, 0.99));
    CHECK(stats.min == sorted.front());
    CHECK(stats.max == sorted.back());
  }
}

TEST_CASE("aggregate: a counter's sum and rate", "[aggregate]") {
  health::StatsBuilder builder;
  for (int i = 0; i < 120; ++i) builder.add(i * 500, 3); // 120 increments of 3 in a minute
  const auto stats = builder.finish(k_minute_ms);
  CHECK(stats.sum == 360);
  CHECK(stats.rate_per_s == 6);
  CHECK(stats.value(Agg::rate) == 6);
  CHECK(stats.value(Agg::count) == 120);
  CHECK(stats.value(Agg::avg) == 3);
}

TEST_CASE("aggregate: no samples give zero count, sum and rate and no other value", "[aggregate]") {
  health::StatsBuilder builder;
  const auto stats = builder.finish(k_minute_ms);
  CHECK(stats.value(Agg::count) == 0);
  CHECK(stats.value(Agg::sum) == 0);
  CHECK(stats.value(Agg::rate) == 0);
  for (const auto agg : {Agg::min, Agg::max, Agg::avg, Agg::last, Agg::p50, Agg::p95, Agg::p99})
    CHECK_FALSE(stats.value(agg).has_value());
}

TEST_CASE("aggregate: last is the latest sample, the later given on a tie", "[aggregate]") {
  health::StatsBuilder builder;
  builder.add(100, 1);
  builder.add(300, 2);
  builder.add(300, 3);
  const auto stats = builder.finish(k_second_ms);
  CHECK(stats.last == 3);
  CHECK(stats.last_ts == 300);
}

TEST_CASE("aggregate: aggregate lists parse, and unknown or repeated names are usage errors",
          "[aggregate]") {
  CHECK(health::parse_agg_list({"p99", "count", "rate"}) ==
        std::vector<Agg>{Agg::p99, Agg::count, Agg::rate});
  for (const auto* name : {"count", "sum", "min", "max", "avg", "last", "rate", "p50", "p95", "p99"})
    CHECK(health::to_string(*health::parse_agg(name)) == name);
  try {
    health::parse_agg_list({"avg", "median"});
    FAIL("accepted 'median'");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK(std::string(error.what()) == "unknown aggregate 'median'");
  }
  try {
    health::parse_agg_list({"avg", "avg"});
    FAIL("accepted a repeat");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK(std::string(error.what()) == "aggregate 'avg' is given twice");
  }
}

TEST_CASE("aggregate: buckets start at multiples of the step since the epoch", "[aggregate]") {
  const Millis step = 5 * k_minute_ms;
  CHECK(health::bucket_start(0, step) == 0);
  CHECK(health::bucket_start(step - 1, step) == 0);
  CHECK(health::bucket_start(step, step) == step); // a boundary opens the next bucket
  CHECK(health::bucket_start(step + 1, step) == step);
  CHECK(health::bucket_start(-1, step) == -step); // before the epoch rounds down too
  CHECK(health::bucket_start(-step, step) == -step);
  // A day at local midnight in UTC+02:00 starts at 22:00 UTC the day before.
  const Millis offset = 2 * k_hour_ms;
  CHECK(health::bucket_start(k_day_ms + k_hour_ms, k_day_ms, offset) == k_day_ms - offset);
  CHECK(health::bucket_start(k_day_ms - offset, k_day_ms, offset) == k_day_ms - offset);
  CHECK(health::bucket_start(k_day_ms - offset - 1, k_day_ms, offset) == -offset);
}

TEST_CASE("aggregate: step_for_points picks the smallest ladder step that fits", "[aggregate]") {
  CHECK(health::step_for_points(k_hour_ms, 1000) == 5 * k_second_ms); // 720+1 rows
  CHECK(health::step_for_points(k_hour_ms, 61) == k_minute_ms);
  CHECK(health::step_for_points(k_hour_ms, 60) == 2 * k_minute_ms); // 60+1 does not fit
  CHECK(health::step_for_points(k_day_ms, 100) == 15 * k_minute_ms);
  CHECK(health::step_for_points(7 * k_day_ms, 10) == k_day_ms);
  CHECK(health::step_for_points(1000 * k_day_ms, 10) == 16 * health::k_week_ms);
  for (const std::size_t points : {2U, 3U, 10U, 50U, 500U}) {
    const Millis range = 3 * k_day_ms + 17 * k_minute_ms;
    const Millis step = health::step_for_points(range, points);
    // Whatever the alignment, the range covers at most `points` buckets.
    for (const Millis since : {Millis{0}, Millis{1}, step / 2, step - 1}) {
      const Millis buckets = (health::bucket_start(since + range - 1, step) -
                              health::bucket_start(since, step)) / step + 1;
      CHECK(buckets <= static_cast<Millis>(points));
    }
  }
}

namespace {

health::Trend trend_of(health::MetricType type, const std::function<double(int)>& value_at) {
  health::TrendBuilder builder(type, 0, 24 * k_hour_ms);
  for (int minute = 0; minute < 24 * 60; ++minute) builder.add(minute * k_minute_ms, value_at(minute));
  return builder.finish();
}

} // namespace

TEST_CASE("aggregate: trends read a steady climb as upward and noise as stable", "[aggregate]") {
  std::mt19937 random(3);
  std::normal_distribution<double> noise(0, 5);
  SECTION("a climb from 100 to 200 over the day") {
    const auto trend = trend_of(health::MetricType::gauge,
                                [&](int minute) { return 100 + minute / 14.4 + noise(random); });
    CHECK(trend.direction == health::TrendDirection::upward);
    CHECK(trend.slope_per_hour == Approx(100.0 / 24).epsilon(0.05));
    CHECK(trend.strength > 0.9);
  }
  SECTION("a fall") {
    const auto trend = trend_of(health::MetricType::timer,
                                [&](int minute) { return 500 - minute / 5.0 + noise(random); });
    CHECK(trend.direction == health::TrendDirection::downward);
    CHECK(trend.slope_per_hour < 0);
  }
  SECTION("noise around a level is stable") {
    const auto trend = trend_of(health::MetricType::gauge, [&](int) { return 100 + noise(random); });
    CHECK(trend.direction == health::TrendDirection::stable);
  }
  SECTION("a small but consistent drift (under 10%) is stable") {
    const auto trend = trend_of(health::MetricType::gauge,
                                [&](int minute) { return 100 + minute / 288.0; }); // +5 over the day
    CHECK(trend.direction == health::TrendDirection::stable);
    CHECK(trend.strength > 0.99);
  }
  SECTION("wild swings without a direction are volatile") {
    const auto trend = trend_of(health::MetricType::gauge,
                                [&](int minute) { return (minute / 60) % 2 == 0 ? 10.0 : 200.0; });
    CHECK(trend.direction == health::TrendDirection::volatile_);
  }
  SECTION("a counter is judged by its sums per bucket") {
    // One increment a minute in the first half of the day, three in the second.
    health::TrendBuilder builder(health::MetricType::counter, 0, 24 * k_hour_ms);
    for (int minute = 0; minute < 24 * 60; ++minute)
      for (int i = 0; i < (minute < 12 * 60 ? 1 : 3); ++i) builder.add(minute * k_minute_ms, 1);
    const auto trend = builder.finish();
    CHECK(trend.direction == health::TrendDirection::upward);
  }
  SECTION("fewer than three buckets with data is stable with no strength") {
    health::TrendBuilder builder(health::MetricType::gauge, 0, 24 * k_hour_ms);
    builder.add(0, 1);
    builder.add(23 * k_hour_ms, 1000);
    const auto trend = builder.finish();
    CHECK(trend.direction == health::TrendDirection::stable);
    CHECK(trend.strength == 0);
  }
}

TEST_CASE("aggregate: sums of decimals carry no binary noise", "[aggregate]") {
  health::StatsBuilder builder;
  for (int i = 0; i < 1000; ++i) builder.add(i, 0.1);
  const auto stats = builder.finish(k_second_ms);
  CHECK(stats.sum == 100.0); // a naive loop gives 99.9999999999986
  CHECK(stats.avg == 0.1);
}
