#pragma once
// Aggregates over samples: the statistics of a range or a bucket, exact
// percentiles, bucket alignment, the buckets of a series, and its trend.

#include <health/series.hpp>
#include <health/time.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

// A half-open range of instants [since, until).
struct TimeRange {
  Millis since = 0;
  Millis until = 0;
};

enum class Agg { count, sum, min, max, avg, last, rate, p50, p95, p99 };

std::string_view to_string(Agg agg);
std::optional<Agg> parse_agg(std::string_view text);
// Parses `count,sum,...` (any order, no repeats). Throws Error(usage) naming
// the unknown or repeated one.
std::vector<Agg> parse_agg_list(const std::vector<std::string>& texts);

// The statistics of a set of samples over a span of time.
struct Stats {
  std::size_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  double avg = 0;
  double last = 0; // the value of the latest sample (the last given on a tie)
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  Millis first_ts = 0;
  Millis last_ts = 0;
  double rate_per_s = 0; // sum / span in seconds

  // The aggregate `agg` of these statistics; nullopt when there are no
  // samples (count and sum are then 0, and rate 0).
  std::optional<double> value(Agg agg) const;
};

// Collects samples in time order and computes Stats over `span_ms`.
class StatsBuilder {
public:
  void add(Millis ts, double value);
  bool empty() const { return m_values.empty(); }
  std::size_t size() const { return m_values.size(); }
  // Computes the statistics (percentiles exactly, with linear interpolation
  // between closest ranks) and clears the builder for reuse.
  Stats finish(Millis span_ms);

private:
  std::vector<double> m_values;
  double m_sum = 0;
  double m_compensation = 0;
  double m_min = 0;
  double m_max = 0;
  double m_last = 0;
  Millis m_first_ts = 0;
  Millis m_last_ts = 0;
};

// The p-quantile (0 <= p <= 1) of sorted values: linear interpolation between
// the closest ranks (numpy's "linear"). `sorted` must not be empty.
double quantile(const std::vector<double>& sorted, double p);

// The start of the bucket of `step_ms` holding `t`: a multiple of the step
// since the epoch, shifted by `offset_ms` (a time zone's UTC offset, for
// day-sized buckets at local midnight).
Millis bucket_start(Millis t, Millis step_ms, Millis offset_ms = 0);

// The start of the bucket of `step` holding `t` in `zone`: multiples of the
// step in local time, so day buckets start at local midnight (daylight
// saving days included).
Millis zoned_bucket_start(Millis t, Millis step, const Zone& zone);

// The start of the bucket after the one starting at `start`.
Millis next_bucket_start(Millis start, Millis step, const Zone& zone);

// One bucket of a series, as Bucketer keeps it.
struct Bucket {
  Millis at = 0; // start
  std::size_t count = 0;
  double min = 0;
  double max = 0;
  double avg = 0;
  double p95 = 0;
  double value = 0; // the measure: rate per second, average or p95 by type
  bool partial = false; // only part of it lies in the range (the bucket in progress, say)
};

// Groups the samples of one series of `type`, given in time order, into
// buckets of `step_ms` that start at whole multiples of the step in `zone`'s
// local time (zoned_bucket_start: 10:45, 10:50, ...; day buckets at local
// midnight), and computes the Stats of each. A bucket's rate is over the part
// of it inside `range` (over the whole bucket when none of it is). Buckets
// without samples are left out, except as kept below.
//
// Two ways to take the buckets; use one per Bucketer:
// - streamed: add(ts, value, emit) and finish(emit) call
//   `emit(Millis start, const Stats& stats)` for each bucket as it closes,
//   so memory does not grow with the buckets;
// - kept: add(ts, value), then finish() returns every bucket as a Bucket in
//   time order. A counter's buckets without samples between its first and
//   last bucket are kept too, with count 0 and value 0 (no increments is a
//   rate of 0).
class Bucketer {
public:
  Bucketer(MetricType type, Millis step_ms, TimeRange range, const Zone& zone = Zone::utc());

  // Adds a sample at or after the previous one; one past the open bucket
  // emits that bucket first.
  template <typename Emit>
  void add(Millis ts, double value, Emit&& emit) {
    if (!m_values.empty() && ts >= m_end) finish(emit);
    if (m_values.empty()) open(ts);
    m_values.add(ts, value);
  }

  // Emits the open bucket, if any; the Bucketer is then empty.
  template <typename Emit>
  void finish(Emit&& emit) {
    if (!m_values.empty()) emit(m_start, m_values.finish(covered()));
  }

  // As above, keeping the buckets instead of emitting them.
  void add(Millis ts, double value);
  // The kept buckets in time order; the Bucketer is then empty.
  std::vector<Bucket> finish();

private:
  void open(Millis ts);
  Millis covered() const;
  void keep(Millis start, const Stats& stats);

  MetricType m_type;
  Millis m_step;
  TimeRange m_range;
  Zone m_zone;
  Millis m_start = 0; // the open bucket, when m_values has samples
  Millis m_end = 0;
  StatsBuilder m_values;
  std::vector<Bucket> m_kept;
};

// The smallest step from the ladder 1s 2s 5s 10s 15s 30s 1m 2m 5m 10m 15m 30m
// 1h 2h 3h 6h 12h 1d 2d 7d 14d 28d ... that splits `range` into at most
// `max_points` buckets (an unaligned range can add one). `max_points` must
// be at least 2.
Millis step_for_points(Millis range_ms, std::size_t max_points);

// The smallest step of that ladder at least `ms` long.
Millis step_at_least(Millis ms);

enum class TrendDirection { upward, downward, stable, volatile_ };
std::string_view to_string(TrendDirection direction);

struct Trend {
  TrendDirection direction = TrendDirection::stable;
  double slope_per_hour = 0; // least-squares slope of the bucketed values
  double strength = 0;       // R squared of that fit, 0 to 1
  double change_pct = 0;     // slope times the span, relative to the mean, in percent
};

// The trend of a series from its values in time order over `range`: values
// are bucketed into up to 24 equal buckets (sums for a counter, averages
// otherwise), and a least-squares line is fitted to the bucket values.
// upward/downward: the fitted change over the range is at least 10% of the
// mean (material) and R squared at least 0.5 (consistent). Otherwise volatile
// when the bucket values' coefficient of variation is at least 0.5, else
// stable. Fewer than 3 buckets with data is stable with strength 0.
class TrendBuilder {
public:
  TrendBuilder(MetricType type, Millis since, Millis until);
  void add(Millis ts, double value);
  Trend finish() const;
  // The value of each of the buckets (sum or average), nullopt where a
  // bucket has no samples: the points a sparkline draws.
  std::vector<std::optional<double>> bucket_values() const;

private:
  MetricType m_type;
  Millis m_since;
  Millis m_bucket_ms;
  std::vector<double> m_sums;
  std::vector<std::size_t> m_counts;
};

} // namespace health
