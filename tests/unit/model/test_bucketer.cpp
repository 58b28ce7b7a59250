// Bucketer: the one grouping of a series' samples into clock-aligned buckets
// that export streams and analyze keeps.

#include <health/aggregate.hpp>

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

using health::k_day_ms;
using health::k_hour_ms;
using health::k_second_ms;
using health::Millis;

namespace {

constexpr Millis k_step = 10 * k_second_ms;

using Samples = std::vector<std::pair<Millis, double>>;

struct Emitted {
  Millis start;
  health::Stats stats;
};

// Streams `samples` (in time order) through `bucketer`: what it emits.
std::vector<Emitted> streamed(health::Bucketer bucketer, const Samples& samples) {
  std::vector<Emitted> out;
  const auto emit = [&](Millis start, const health::Stats& stats) { out.push_back({start, stats}); };
  for (const auto& [ts, value] : samples) bucketer.add(ts, value, emit);
  bucketer.finish(emit);
  return out;
}

// Adds `samples` (in time order) to `bucketer`: what it keeps.
std::vector<health::Bucket> kept(health::Bucketer bucketer, const Samples& samples) {
  for (const auto& [ts, value] : samples) bucketer.add(ts, value);
  return bucketer.finish();
}

} // namespace

TEST_CASE("bucketer: buckets start at multiples of the step and empty ones are skipped", "[bucketer]") {
  // The range starts inside a bucket: that bucket still starts at 0.
  const auto buckets = streamed(health::Bucketer(health::MetricType::gauge, k_step, {5'000, 60'000}),
                                {{5'000, 4}, {9'999, 2}, {10'000, 7}, {45'000, 1}, {47'000, 3}});
  REQUIRE(buckets.size() == 3); // the buckets from 20 s and 30 s hold nothing
  CHECK(buckets[0].start == 0);
  CHECK(buckets[0].stats.count == 2);
  CHECK(buckets[1].start == 10'000); // a boundary opens the next bucket
  CHECK(buckets[1].stats.count == 1);
  CHECK(buckets[2].start == 40'000);
  CHECK(buckets[2].stats.count == 2);

  const auto before_epoch = streamed(health::Bucketer(health::MetricType::gauge, k_step, {-20'000, 0}),
                                     {{-15'000, 1}, {-1, 2}});
  REQUIRE(before_epoch.size() == 2);
  CHECK(before_epoch[0].start == -20'000);
  CHECK(before_epoch[1].start == -10'000);
}

TEST_CASE("bucketer: each bucket has the statistics of its own samples", "[bucketer]") {
  Samples samples{{6'000, 4}};
  for (int i = 1; i <= 20; ++i) samples.push_back({10'000 + i * 100, i}); // 1..20 from 10 s
  samples.push_back({31'000, 9});
  const auto buckets = streamed(health::Bucketer(health::MetricType::counter, k_step, {5'000, 35'000}), samples);
  REQUIRE(buckets.size() == 3);
  const auto& full = buckets[1].stats;
  CHECK(buckets[1].start == 10'000);
  CHECK(full.count == 20);
  CHECK(full.sum == 210);
  CHECK(full.min == 1);
  CHECK(full.max == 20);
  CHECK(full.avg == 10.5);
  CHECK(full.last == 20);
  CHECK(full.p50 == 10.5);
  CHECK(full.p95 == Approx(19.05));
  CHECK(full.first_ts == 10'100);
  CHECK(full.last_ts == 12'000);
  CHECK(full.rate_per_s == 21.0); // 210 over the whole 10 s
  // A rate is over the part of its bucket inside the range.
  CHECK(buckets[0].stats.rate_per_s == 0.8); // 4 over 5 s .. 10 s
  CHECK(buckets[2].stats.rate_per_s == 1.8); // 9 over 30 s .. 35 s
}

TEST_CASE("bucketer: kept buckets hold the measure of their type and say when they are partial", "[bucketer]") {
  const health::TimeRange range{5'000, 40'000};
  Samples samples{{6'000, 10}};
  for (int i = 1; i <= 20; ++i) samples.push_back({20'000 + i * 100, i}); // 1..20 from 20 s
  samples.push_back({39'000, 5});

  const auto gauge = kept(health::Bucketer(health::MetricType::gauge, k_step, range), samples);
  REQUIRE(gauge.size() == 3); // not the bucket from 10 s: no samples there
  CHECK(gauge[1].at == 20'000);
  CHECK(gauge[1].count == 20);
  CHECK(gauge[1].min == 1);
  CHECK(gauge[1].max == 20);
  CHECK(gauge[1].avg == 10.5);
  CHECK(gauge[1].p95 == Approx(19.05));
  CHECK(gauge[1].value == 10.5); // a gauge's measure is its average
  CHECK(gauge[0].partial);       // starts before the range
  CHECK(!gauge[1].partial);
  CHECK(!gauge[2].partial); // 30 s .. 40 s ends where the range ends

  const auto timer = kept(health::Bucketer(health::MetricType::timer, k_step, range), samples);
  REQUIRE(timer.size() == 3);
  CHECK(timer[1].value == Approx(19.05)); // a timer's measure is its p95

  const auto counter = kept(health::Bucketer(health::MetricType::counter, k_step, range), samples);
  REQUIRE(counter.size() == 4); // the empty bucket from 10 s is a rate of 0
  CHECK(counter[0].value == 2.0); // 10 over 5 s .. 10 s
  CHECK(counter[1].at == 10'000);
  CHECK(counter[1].count == 0);
  CHECK(counter[1].value == 0);
  CHECK(!counter[1].partial);
  CHECK(counter[2].value == 21.0); // 210 over 10 s
  CHECK(counter[3].value == 0.5);

  const auto in_progress = kept(health::Bucketer(health::MetricType::gauge, k_step, {0, 35'000}), samples);
  REQUIRE(in_progress.size() == 3);
  CHECK(in_progress[2].partial); // 30 s .. 40 s goes past the range's end
}

TEST_CASE("bucketer: day buckets start at local midnight across a daylight saving change", "[bucketer]") {
  // 2025-03-30 is 23 hours long in Berlin (clocks jump from 02:00 to 03:00).
  const Millis march29 = 1743206400000;       // 2025-03-29T00:00:00Z, 01:00 in Berlin
  const Millis march29_local = march29 - k_hour_ms;
  const Millis march30_local = march29_local + k_day_ms;
  const Millis march31_local = march30_local + k_day_ms - k_hour_ms; // 2025-03-30T22:00:00Z
  const health::Zone berlin = health::Zone::named("Europe/Berlin");
  CHECK(health::zoned_bucket_start(march29, k_day_ms, berlin) == march29_local);
  CHECK(health::next_bucket_start(march29_local, k_day_ms, berlin) == march30_local);
  CHECK(health::next_bucket_start(march30_local, k_day_ms, berlin) == march31_local);

  Samples hourly;
  for (int hour = 0; hour < 72; ++hour) hourly.push_back({march29 + hour * k_hour_ms, 1});
  const health::TimeRange range{march29, march29 + 3 * k_day_ms};
  const auto days = streamed(health::Bucketer(health::MetricType::gauge, k_day_ms, range, berlin), hourly);
  REQUIRE(days.size() == 4);
  CHECK(days[0].start == march29_local);
  CHECK(days[0].stats.count == 23); // 00:00Z .. 22:00Z
  CHECK(days[1].start == march30_local);
  CHECK(days[1].stats.count == 23); // the short day
  CHECK(days[2].start == march31_local);
  CHECK(days[2].stats.count == 24);
  CHECK(days[3].stats.count == 2);

  // A counter's empty days between two with samples are kept, at local
  // midnight too: the short day is 23 hours long.
  const Millis april1_local = march31_local + k_day_ms;
  const auto counter = kept(health::Bucketer(health::MetricType::counter, k_day_ms, range, berlin),
                            {{march29, 1}, {april1_local + k_hour_ms, 1}});
  REQUIRE(counter.size() == 4);
  CHECK(counter[1].at == march30_local);
  CHECK(counter[1].count == 0);
  CHECK(counter[2].at == march31_local);
  CHECK(counter[2].count == 0);
  CHECK(counter[3].at == april1_local);
}
