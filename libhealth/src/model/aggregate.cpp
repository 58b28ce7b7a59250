#include <health/aggregate.hpp>

#include <health/error.hpp>

#include "base/enum_names.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace health {

namespace {

// Every aggregate with its name: one table for printing and parsing.
constexpr EnumName<Agg> k_agg_names[] = {
    {Agg::count, "count"}, {Agg::sum, "sum"},   {Agg::min, "min"}, {Agg::max, "max"}, {Agg::avg, "avg"},
    {Agg::last, "last"},   {Agg::rate, "rate"}, {Agg::p50, "p50"}, {Agg::p95, "p95"}, {Agg::p99, "p99"}};
constexpr std::size_t k_trend_buckets = 24;
constexpr double k_material_change = 0.10;
constexpr double k_consistent_fit = 0.5;
constexpr double k_volatile_variation = 0.5;

} // namespace

std::string_view to_string(Agg agg) { return name_of(k_agg_names, agg); }

std::optional<Agg> parse_agg(std::string_view text) { return value_named(k_agg_names, text); }

std::vector<Agg> parse_agg_list(const std::vector<std::string>& texts) {
  std::vector<Agg> out;
  for (const auto& text : texts) {
    const auto agg = parse_agg(text);
    if (!agg)
      throw Error(ErrorKind::usage, "unknown aggregate '" + text + "'",
                  "use count, sum, min, max, avg, last, rate, p50, p95 or p99");
    if (std::find(out.begin(), out.end(), *agg) != out.end())
      throw Error(ErrorKind::usage, "aggregate '" + text + "' is given twice");
    out.push_back(*agg);
  }
  return out;
}

std::optional<double> Stats::value(Agg agg) const {
  switch (agg) {
  case Agg::count: return static_cast<double>(count);
  case Agg::sum: return sum;
  case Agg::rate: return rate_per_s;
  default: break;
  }
  if (count == 0) return std::nullopt;
  switch (agg) {
  case Agg::min: return min;
  case Agg::max: return max;
  case Agg::avg: return avg;
  case Agg::last: return last;
  case Agg::p50: return p50;
  case Agg::p95: return p95;
  case Agg::p99: return p99;
  default: return std::nullopt;
  }
}

double quantile(const std::vector<double>& sorted, double p) {
  const double rank = p * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  return sorted[lower] + (rank - static_cast<double>(lower)) * (sorted[upper] - sorted[lower]);
}

namespace {

// The p-quantiles (ascending p) of unsorted `values`, by selection rather than
// a full sort: each nth_element works on what is left above the previous rank.
void select_quantiles(std::vector<double>& values, const double (&ps)[3], double (&out)[3]) {
  const std::size_t n = values.size();
  std::size_t from = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const double rank = ps[i] * static_cast<double>(n - 1);
    const auto lower = static_cast<std::size_t>(std::floor(rank));
    if (lower >= from) {
      std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(from),
                       values.begin() + static_cast<std::ptrdiff_t>(lower), values.end());
      from = lower;
    }
    const double low = values[lower];
    double high = low;
    if (lower + 1 < n) {
      high = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lower + 1), values.end());
    }
    out[i] = low + (rank - static_cast<double>(lower)) * (high - low);
  }
}

} // namespace

void StatsBuilder::add(Millis ts, double value) {
  if (m_values.empty()) {
    m_first_ts = ts;
    m_min = m_max = value;
  } else {
    m_min = std::min(m_min, value);
    m_max = std::max(m_max, value);
  }
  m_values.push_back(value);
  // Neumaier's compensated sum: the rounding error of each addition is kept
  // in m_compensation, so long sums of decimals stay exact to the last digit.
  const double sum = m_sum + value;
  m_compensation += std::abs(m_sum) >= std::abs(value) ? (m_sum - sum) + value : (value - sum) + m_sum;
  m_sum = sum;
  if (m_values.size() == 1 || ts >= m_last_ts) {
    m_last = value;
    m_last_ts = ts;
  }
}

Stats StatsBuilder::finish(Millis span_ms) {
  Stats stats;
  stats.count = m_values.size();
  stats.sum = m_sum + m_compensation;
  stats.rate_per_s = span_ms > 0 ? stats.sum / (static_cast<double>(span_ms) / 1000.0) : 0;
  if (!m_values.empty()) {
    stats.min = m_min;
    stats.max = m_max;
    stats.avg = stats.sum / static_cast<double>(m_values.size());
    stats.last = m_last;
    double quantiles[3];
    select_quantiles(m_values, {0.50, 0.95, 0.99}, quantiles);
    stats.p50 = quantiles[0];
    stats.p95 = quantiles[1];
    stats.p99 = quantiles[2];
    stats.first_ts = m_first_ts;
    stats.last_ts = m_last_ts;
  }
  m_values.clear();
  m_sum = 0;
  m_compensation = 0;
  return stats;
}

Millis bucket_start(Millis t, Millis step_ms, Millis offset_ms) {
  const Millis shifted = t + offset_ms;
  Millis bucket = shifted / step_ms;
  if (shifted % step_ms != 0 && shifted < 0) --bucket;
  return bucket * step_ms - offset_ms;
}

Millis zoned_bucket_start(Millis t, Millis step, const Zone& zone) {
  if (zone.is_utc()) return bucket_start(t, step);
  Millis start = bucket_start(t, step, zone.offset_at(t));
  // Across a daylight saving change the offset at the bucket's start differs
  // from the one at `t`: align to local time at the start itself.
  const Millis local_start = start + zone.offset_at(t);
  const Millis corrected = local_start - zone.offset_at(start);
  if (corrected <= t) start = corrected;
  return start;
}

Millis next_bucket_start(Millis start, Millis step, const Zone& zone) {
  if (zone.is_utc() || step < k_day_ms) return start + step;
  // Local days are 23 to 25 hours long: land inside the next one, then align.
  return zoned_bucket_start(start + step + 2 * k_hour_ms, step, zone);
}

Bucketer::Bucketer(MetricType type, Millis step_ms, TimeRange range, const Zone& zone)
    : m_type(type), m_step(step_ms), m_range(range), m_zone(zone) {}

void Bucketer::open(Millis ts) {
  m_start = zoned_bucket_start(ts, m_step, m_zone);
  m_end = next_bucket_start(m_start, m_step, m_zone);
}

Millis Bucketer::covered() const {
  const Millis covered = std::min(m_end, m_range.until) - std::max(m_start, m_range.since);
  return covered > 0 ? covered : m_end - m_start;
}

void Bucketer::add(Millis ts, double value) {
  add(ts, value, [this](Millis start, const Stats& stats) { keep(start, stats); });
}

std::vector<Bucket> Bucketer::finish() {
  finish([this](Millis start, const Stats& stats) { keep(start, stats); });
  return std::exchange(m_kept, {});
}

void Bucketer::keep(Millis start, const Stats& stats) {
  if (m_type == MetricType::counter && !m_kept.empty())
    for (Millis at = next_bucket_start(m_kept.back().at, m_step, m_zone); at < start;
         at = next_bucket_start(at, m_step, m_zone)) {
      Bucket empty;
      empty.at = at;
      m_kept.push_back(empty);
    }
  Bucket bucket;
  bucket.at = start;
  bucket.count = stats.count;
  bucket.min = stats.min;
  bucket.max = stats.max;
  bucket.avg = stats.avg;
  bucket.p95 = stats.p95;
  switch (m_type) {
  case MetricType::counter: bucket.value = stats.rate_per_s; break;
  case MetricType::gauge: bucket.value = stats.avg; break;
  case MetricType::timer:
  case MetricType::rolling: bucket.value = stats.p95; break;
  }
  bucket.partial = start < m_range.since || next_bucket_start(start, m_step, m_zone) > m_range.until;
  m_kept.push_back(bucket);
}

namespace {

constexpr Millis k_ladder[] = {
    k_second_ms,      2 * k_second_ms,  5 * k_second_ms, 10 * k_second_ms, 15 * k_second_ms,
    30 * k_second_ms, k_minute_ms,      2 * k_minute_ms, 5 * k_minute_ms,  10 * k_minute_ms,
    15 * k_minute_ms, 30 * k_minute_ms, k_hour_ms,       2 * k_hour_ms,    3 * k_hour_ms,
    6 * k_hour_ms,    12 * k_hour_ms,   k_day_ms,        2 * k_day_ms,     k_week_ms,
    2 * k_week_ms,    4 * k_week_ms};

// The smallest step of the ladder, then of its doublings, for which `fits`.
template <typename Fits>
Millis first_step(Fits fits) {
  for (const Millis step : k_ladder)
    if (fits(step)) return step;
  Millis step = 4 * k_week_ms;
  while (!fits(step)) step *= 2;
  return step;
}

} // namespace

Millis step_for_points(Millis range_ms, std::size_t max_points) {
  return first_step([&](Millis step) {
    const Millis buckets = (range_ms + step - 1) / step + 1; // one more for alignment
    return buckets <= static_cast<Millis>(max_points);
  });
}

Millis step_at_least(Millis ms) {
  return first_step([&](Millis step) { return step >= ms; });
}

std::string_view to_string(TrendDirection direction) {
  switch (direction) {
  case TrendDirection::upward: return "upward";
  case TrendDirection::downward: return "downward";
  case TrendDirection::stable: return "stable";
  case TrendDirection::volatile_: return "volatile";
  }
  return "stable";
}

TrendBuilder::TrendBuilder(MetricType type, Millis since, Millis until)
    : m_type(type), m_since(since),
      m_bucket_ms(std::max<Millis>(1, (until - since + static_cast<Millis>(k_trend_buckets) - 1) /
                                          static_cast<Millis>(k_trend_buckets))),
      m_sums(k_trend_buckets, 0), m_counts(k_trend_buckets, 0) {}

void TrendBuilder::add(Millis ts, double value) {
  const Millis index = (ts - m_since) / m_bucket_ms;
  if (index < 0 || index >= static_cast<Millis>(k_trend_buckets)) return;
  m_sums[static_cast<std::size_t>(index)] += value;
  ++m_counts[static_cast<std::size_t>(index)];
}

std::vector<std::optional<double>> TrendBuilder::bucket_values() const {
  std::vector<std::optional<double>> out(k_trend_buckets);
  for (std::size_t i = 0; i < k_trend_buckets; ++i) {
    if (m_counts[i] == 0) continue;
    out[i] = m_type == MetricType::counter ? m_sums[i] : m_sums[i] / static_cast<double>(m_counts[i]);
  }
  return out;
}

Trend TrendBuilder::finish() const {
  // Points: (bucket middle in hours since `since`, bucket value).
  std::vector<std::pair<double, double>> points;
  const auto values = bucket_values();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    const double hours = (static_cast<double>(i) + 0.5) * static_cast<double>(m_bucket_ms) /
                         static_cast<double>(k_hour_ms);
    points.emplace_back(hours, *values[i]);
  }
  Trend trend;
  if (points.size() < 3) return trend;
  const double n = static_cast<double>(points.size());
  double mean_x = 0, mean_y = 0;
  for (const auto& [x, y] : points) {
    mean_x += x;
    mean_y += y;
  }
  mean_x /= n;
  mean_y /= n;
  double sxx = 0, sxy = 0, syy = 0;
  for (const auto& [x, y] : points) {
    sxx += (x - mean_x) * (x - mean_x);
    sxy += (x - mean_x) * (y - mean_y);
    syy += (y - mean_y) * (y - mean_y);
  }
  if (sxx <= 0) return trend;
  trend.slope_per_hour = sxy / sxx;
  trend.strength = syy > 0 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0.0;
  const double span_hours = points.back().first - points.front().first;
  const double scale = std::abs(mean_y) > 1e-12 ? std::abs(mean_y) : 1e-12;
  trend.change_pct = trend.slope_per_hour * span_hours / scale * 100.0;
  const double variation = std::sqrt(syy / n) / scale;
  if (std::abs(trend.change_pct) >= k_material_change * 100.0 && trend.strength >= k_consistent_fit)
    trend.direction = trend.slope_per_hour > 0 ? TrendDirection::upward : TrendDirection::downward;
  else if (variation >= k_volatile_variation)
    trend.direction = TrendDirection::volatile_;
  return trend;
}

} // namespace health
