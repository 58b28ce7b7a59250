// The detectors of analyze: a series' window buckets against a reference
// built from its baseline buckets. analyze.hpp states the rules and
// healthctl-analyze(1) states them with their constants; the constants live
// here, once.

#include <health/analyze.hpp>

#include "judged.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <utility>

namespace health {

namespace {

constexpr double k_anomaly_z = 6;                 // robust z of an anomalous bucket
constexpr double k_material = 0.2;                // of the expected level
constexpr double k_material_reach = 0.5;          // or beyond what was held by half the reach
constexpr Millis k_merge_gap = 2;                 // buckets between parts of one anomaly
constexpr double k_reach_margin = 1.2;            // beyond the baseline's farthest residual, by 20% of it
constexpr double k_least_scale = 1e-9;            // of a baseline all at zero
constexpr double k_most_z = 1e6;                  // scores beyond are written as this
constexpr double k_seasonal_gain = 0.9;           // a seasonal reference must cut the spread by 10%
constexpr Millis k_neighbours = 1;                // slots either side of a bucket's phase
constexpr double k_shift_quantile = 0.99;         // of the baseline's own sustained levels
constexpr double k_shift_material = 0.1;          // of the expected level
constexpr std::size_t k_sustained_buckets = 6;    // a sustained change lasts this many buckets
constexpr Millis k_sustained_ms = 30 * k_minute_ms; // and this long

// The two horizons a level shift is looked for at: a short one that needs
// a large change, and a long one where a smaller change, sustained, is
// still far beyond chance (the median of 24 buckets of noise has a spread
// of a quarter of one's).
struct Horizon {
  std::size_t buckets;
  Millis ms;
  double least_z;
};
constexpr Horizon k_short{k_sustained_buckets, k_sustained_ms, 3};
constexpr Horizon k_long{24, 2 * k_hour_ms, 1};
constexpr double k_run_over_baseline = 2;         // a flatline or dropout over the baseline's longest

// The spread of `residuals`: 1.4826 times their median absolute deviation
// (a standard deviation for normal noise); 1.2533 times the mean absolute
// deviation when that is 0 (mostly equal values); 1% of `level` when all
// are equal, and k_least_scale when that is 0 too, so z stays finite.
double robust_scale(const std::vector<double>& residuals, double level) {
  const double centre = median_of(residuals);
  std::vector<double> deviations;
  double sum = 0;
  for (const double r : residuals) {
    deviations.push_back(std::abs(r - centre));
    sum += deviations.back();
  }
  if (const double mad = median_of(deviations); mad > 0) return 1.4826 * mad;
  if (sum > 0) return 1.2533 * sum / static_cast<double>(residuals.size());
  return std::max(std::abs(level) * 0.01, k_least_scale);
}

// The buckets of `horizon` at `step`: its buckets and its time, whichever
// is longer.
std::size_t length_of(const Horizon& horizon, Millis step) {
  return std::max(horizon.buckets, static_cast<std::size_t>((horizon.ms + step - 1) / step));
}

// The length of a sustained change at `step`.
std::size_t sustained(Millis step) { return length_of(k_short, step); }

// The baseline's buckets by their phase in a period (a day, a week): slot n
// holds the buckets starting n steps after the period's start (UTC) and
// those of the slots either side, sorted by value, so a reading is one walk
// over a slot whether or not it leaves a cycle out.
class Phases {
public:
  Phases(const std::vector<Bucket>& baseline, Millis period, Millis step)
      : m_period(period), m_step(step), m_slots(static_cast<std::size_t>(period / step)) {
    const auto count = static_cast<Millis>(m_slots.size());
    for (const auto& b : baseline)
      for (Millis d = -k_neighbours; d <= k_neighbours; ++d)
        // Tagged with the cycle of the slot's time it stands next to, so a
        // reading that leaves a cycle out leaves out its neighbours too.
        m_slots[static_cast<std::size_t>((static_cast<Millis>(slot(b.at)) + d + count) % count)].push_back(
            {b.value, cycle(b.at + d * step)});
    for (auto& values : m_slots) std::sort(values.begin(), values.end());
  }

  // Whether `baseline` holds two whole periods at `step`, a divisor of it.
  static bool fit(const std::vector<Bucket>& baseline, Millis period, Millis step) {
    return !baseline.empty() && period % step == 0 && period / step >= 4 &&
           baseline.back().at + step - baseline.front().at >= 2 * period;
  }

  // What the baseline held at the phase of `at` and the slots either side.
  struct Reading {
    std::optional<double> expected;                 // their median, with two at least
    std::optional<std::pair<double, double>> range; // their lowest and highest
  };

  // The reading at `at`, leaving out the cycle of `at` when `cross` (a
  // baseline bucket is not its own reference).
  Reading read(Millis at, bool cross) const {
    const auto& values = m_slots[slot(at)];
    const Millis own = cross ? cycle(at) : std::numeric_limits<Millis>::min();
    std::size_t kept = 0;
    for (const auto& [v, c] : values) kept += c != own ? 1 : 0;
    Reading out;
    if (kept == 0) return out;
    // The values kept at ranks (kept - 1) / 2 and kept / 2: the median.
    std::size_t rank = 0;
    double lower = 0, upper = 0, low = 0, high = 0;
    for (const auto& [v, c] : values) {
      if (c == own) continue;
      if (rank == 0) low = v;
      if (rank == (kept - 1) / 2) lower = v;
      if (rank == kept / 2) upper = v;
      high = v;
      ++rank;
    }
    out.range = std::pair{low, high};
    if (kept >= 2) out.expected = (lower + upper) / 2;
    return out;
  }

private:
  std::size_t slot(Millis at) const { return static_cast<std::size_t>((at % m_period + m_period) % m_period / m_step); }
  Millis cycle(Millis at) const { return at >= 0 ? at / m_period : (at - m_period + 1) / m_period; }

  Millis m_period;
  Millis m_step;
  std::vector<std::vector<std::pair<double, Millis>>> m_slots; // (value, cycle), by value
};

// What the baseline says a bucket should be: the reference that explains
// the baseline best (its whole distribution, or its daily or weekly phases
// when they cut the spread of the residuals by k_seasonal_gain), with the
// spread (scale) of the residuals and the values the baseline held.
class Judge {
public:
  Judge(const std::vector<Bucket>& baseline, Millis step) {
    std::vector<double> values;
    for (const auto& b : baseline) values.push_back(b.value);
    m_median = median_of(values);
    std::vector<double> residuals;
    for (const double v : values) residuals.push_back(v - m_median);
    m_scale = robust_scale(residuals, m_median);
    m_reach = reach(residuals);
    m_residuals = std::move(residuals);
    for (const auto& [reference, period] : {std::pair{Reference::daily, k_day_ms}, {Reference::weekly, k_week_ms}})
      if (Phases::fit(baseline, period, step)) consider(baseline, reference, Phases(baseline, period, step));
    for (auto& r : m_residuals) r /= m_scale; // now each baseline bucket's z
  }

  Reference reference() const { return m_reference; }
  // How far below (negative) and above the baseline went beyond what it
  // held elsewhere (see Expectation).
  std::pair<double, double> reach() const { return m_reach; }
  double scale() const { return m_scale; }

  // What the baseline says of a bucket at some time.
  struct Expectation {
    double expected = 0;
    // The range of values the baseline held there, widened by
    // k_reach_margin of its reach (a window of a day holds a new extreme of
    // a week's noise one time in eight): for the whole reference, its
    // lowest to highest value; for a seasonal one, the lowest to highest at
    // that phase, widened by the most any baseline value went beyond what
    // the other cycles held at its phase.
    double low = 0;
    double high = 0;
  };

  Expectation at(Millis at) const {
    Expectation out{m_median, m_median, m_median};
    if (m_reference != Reference::whole) {
      const auto reading = m_phases->read(at, false);
      out.expected = reading.expected.value_or(m_median);
      std::tie(out.low, out.high) = reading.range.value_or(std::pair{out.expected, out.expected});
    }
    out.low += k_reach_margin * m_reach.first;
    out.high += k_reach_margin * m_reach.second;
    return out;
  }

  // The z of each baseline bucket against the reference (its phase in the
  // other cycles), in time order: the baseline's own behaviour.
  const std::vector<double>& baseline_z() const { return m_residuals; }

private:
  static std::pair<double, double> reach(const std::vector<double>& residuals) {
    const auto [low, high] = std::minmax_element(residuals.begin(), residuals.end());
    return {*low, *high};
  }

  // Takes the phases of `reference` as the reference when their residuals
  // (each bucket against the other cycles) are spread less. Its reach is
  // then how far any value went beyond what the other cycles held at its
  // phase: a daily job's spike, held by the other days, widens nothing.
  void consider(const std::vector<Bucket>& baseline, Reference reference, Phases phases) {
    std::vector<double> residuals;
    std::pair<double, double> beyond{0, 0};
    for (const auto& b : baseline) {
      const auto reading = phases.read(b.at, true);
      if (!reading.expected) continue;
      residuals.push_back(b.value - *reading.expected);
      beyond.first = std::min(beyond.first, b.value - reading.range->first);
      beyond.second = std::max(beyond.second, b.value - reading.range->second);
    }
    if (residuals.size() < std::max(k_min_reference, baseline.size() / 2)) return;
    const double scale = robust_scale(residuals, m_median);
    if (scale >= k_seasonal_gain * m_scale) return;
    m_reference = reference;
    m_scale = scale;
    m_reach = beyond;
    m_residuals = std::move(residuals);
    m_phases = std::move(phases);
  }

  Reference m_reference = Reference::whole;
  double m_median = 0;
  std::pair<double, double> m_reach; // how far below and above the held range the baseline went
  double m_scale = 0;
  std::optional<Phases> m_phases;  // of the daily or weekly reference
  std::vector<double> m_residuals; // of the baseline's buckets against the reference
};

// A window bucket as the judge sees it.
struct Scored {
  Millis at = 0;
  double value = 0;
  double expected = 0;
  double z = 0;
  bool unheld = false; // beyond what the baseline held, on the side of z
  bool material = false; // k_material of the expected value, or k_material_reach beyond what was held
};

std::vector<Scored> score(const std::vector<Bucket>& window, const Judge& judge) {
  std::vector<Scored> out;
  for (const auto& b : window) {
    const auto e = judge.at(b.at);
    Scored s{b.at, b.value, e.expected, std::clamp((b.value - e.expected) / judge.scale(), -k_most_z, k_most_z),
             false, false};
    const double past = s.z > 0 ? s.value - e.high : e.low - s.value;
    const double reach = s.z > 0 ? judge.reach().second : -judge.reach().first;
    s.unheld = past > 0;
    s.material = std::abs(s.value - s.expected) >= k_material * std::abs(s.expected) ||
                 (reach > 0 && past >= k_material_reach * reach);
    out.push_back(s);
  }
  return out;
}

Anomaly finding(const SeriesInfo& series, FindingKind kind, Reference reference, Millis step) {
  Anomaly a;
  a.series = series;
  a.kind = kind;
  a.reference = reference;
  a.step_ms = step;
  return a;
}

// Anomalies: buckets at least k_anomaly_z from the expected value, by at
// least k_material of it, beyond what the baseline held; such buckets at
// most k_merge_gap buckets apart on the same side are one.
std::vector<Anomaly> anomalies(const SeriesInfo& series, const std::vector<Scored>& scored, Reference reference,
                               Millis step) {
  std::vector<Anomaly> out;
  for (const auto& b : scored) {
    const bool unusual = reference == Reference::window || b.unheld;
    if (std::abs(b.z) < k_anomaly_z || !b.material || !unusual) continue;
    auto* run = out.empty() ? nullptr : &out.back();
    if (run && b.at - run->until <= k_merge_gap * step && (run->score > 0) == (b.z > 0)) {
      run->buckets += static_cast<std::size_t>((b.at - run->until) / step) + 1;
      run->until = b.at + step;
      if (std::abs(b.z) > std::abs(run->score)) {
        run->score = b.z;
        run->value = b.value;
        run->expected = b.expected;
      }
      continue;
    }
    auto a = finding(series, FindingKind::anomaly, reference, step);
    a.at = b.at;
    a.until = b.at + step;
    a.buckets = 1;
    a.value = b.value;
    a.expected = b.expected;
    a.score = b.z;
    out.push_back(std::move(a));
  }
  return out;
}

// The medians of `z` over each run of `length` consecutive values, from
// every `stride`th value on. With a stride of one the run slides as a
// sorted vector (one insert and one erase per value); with a longer one
// each run is selected on its own.
std::vector<double> rolling_medians(const std::vector<double>& z, std::size_t length, std::size_t stride = 1) {
  std::vector<double> out;
  std::vector<double> run;
  if (stride > 1) {
    for (std::size_t i = 0; i + length <= z.size(); i += stride) {
      run.assign(z.begin() + static_cast<std::ptrdiff_t>(i), z.begin() + static_cast<std::ptrdiff_t>(i + length));
      out.push_back(median_in_place(run));
    }
    return out;
  }
  run.reserve(length + 1);
  for (std::size_t i = 0; i < z.size(); ++i) {
    run.insert(std::upper_bound(run.begin(), run.end(), z[i]), z[i]);
    if (run.size() > length) run.erase(std::lower_bound(run.begin(), run.end(), z[i - length]));
    if (run.size() == length) out.push_back(length % 2 == 1 ? run[length / 2] : (run[length / 2 - 1] + run[length / 2]) / 2);
  }
  return out;
}

// The least median z of a level shift over `length` buckets: the horizon's
// least_z, or more for a series whose baseline itself strayed that far for
// as long (k_shift_quantile of its runs, which start every quarter length).
double shift_threshold(const Judge& judge, std::size_t length, double least_z) {
  auto medians = rolling_medians(judge.baseline_z(), length, std::max<std::size_t>(1, length / 4));
  if (medians.empty()) return least_z;
  for (auto& m : medians) m = std::abs(m);
  std::sort(medians.begin(), medians.end());
  return std::max(least_z, k_reach_margin * quantile(medians, k_shift_quantile));
}

// The level shift over scored[first, last): from its first bucket beyond
// `threshold` on the side of `sign` to its last, at least `length` long.
std::optional<Anomaly> shift_between(const SeriesInfo& series, const std::vector<Scored>& scored, std::size_t first,
                                     std::size_t last, double sign, double threshold, std::size_t length,
                                     Reference reference, Millis step) {
  while (first < last && sign * scored[first].z < threshold) ++first;
  while (last > first && sign * scored[last - 1].z < threshold) --last;
  if (last - first < length) return std::nullopt; // shorter than its horizon: a spike, not a shift
  std::vector<double> values, expected, z;
  for (std::size_t i = first; i < last; ++i) {
    values.push_back(scored[i].value);
    expected.push_back(scored[i].expected);
    z.push_back(scored[i].z);
  }
  auto a = finding(series, FindingKind::level_shift, reference, step);
  a.at = scored[first].at;
  a.until = scored[last - 1].at + step;
  a.buckets = last - first;
  a.value = median_of(values);
  a.expected = median_of(expected);
  a.score = median_of(z);
  if (std::abs(a.value - a.expected) < k_shift_material * std::abs(a.expected)) return std::nullopt;
  return a;
}

// The level shifts at `horizon`: runs of its length whose median z is
// beyond shift_threshold on one side, and material; overlapping runs on
// the same side are one shift.
std::vector<Anomaly> shifts_at(const Horizon& horizon, const SeriesInfo& series, const std::vector<Scored>& scored,
                               const Judge& judge, Millis step) {
  const std::size_t length = length_of(horizon, step);
  std::vector<double> z;
  for (const auto& b : scored) z.push_back(b.z);
  const auto medians = rolling_medians(z, length);
  const double threshold = medians.empty() ? 0 : shift_threshold(judge, length, horizon.least_z);
  std::vector<Anomaly> out;
  std::size_t i = 0;
  while (i < medians.size()) {
    if (!(std::abs(medians[i]) >= threshold)) { // NaN included
      ++i;
      continue;
    }
    const double sign = medians[i] > 0 ? 1 : -1;
    std::size_t end = i;
    while (end < medians.size() && sign * medians[end] >= threshold) ++end;
    if (auto shift = shift_between(series, scored, i, end - 1 + length, sign, threshold, length, judge.reference(), step))
      out.push_back(std::move(*shift));
    i = end;
  }
  return out;
}

bool within(const Anomaly& inner, const Anomaly& outer, double share) {
  const Millis overlap = std::min(inner.until, outer.until) - std::max(inner.at, outer.at);
  return overlap > 0 && static_cast<double>(overlap) >= share * static_cast<double>(inner.until - inner.at);
}

// Level shifts at the short horizon, and those at the long one that no
// short one on the same side overlaps.
std::vector<Anomaly> level_shifts(const SeriesInfo& series, const std::vector<Scored>& scored, const Judge& judge,
                                  Millis step) {
  auto out = shifts_at(k_short, series, scored, judge, step);
  const auto found = out.size();
  for (auto& shift : shifts_at(k_long, series, scored, judge, step)) {
    const auto overlapped = std::any_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(found), [&](const Anomaly& a) {
      return (a.score > 0) == (shift.score > 0) && (within(a, shift, 0) || within(shift, a, 0));
    });
    if (!overlapped) out.push_back(std::move(shift));
  }
  return out;
}

// The runs of consecutive buckets (one step apart) for which `same(previous,
// next)` holds, as [first, last) index pairs.
template <typename Same>
std::vector<std::pair<std::size_t, std::size_t>> runs(const std::vector<Bucket>& buckets, Millis step, Same same) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < buckets.size();) {
    std::size_t end = i + 1;
    while (end < buckets.size() && buckets[end].at == buckets[end - 1].at + step && same(buckets[end - 1], buckets[end]))
      ++end;
    if (same(buckets[i], buckets[i])) out.push_back({i, end});
    i = end;
  }
  return out;
}

std::size_t longest(const std::vector<std::pair<std::size_t, std::size_t>>& spans) {
  std::size_t out = 0;
  for (const auto& [first, last] : spans) out = std::max(out, last - first);
  return out;
}

// A bucket whose samples were all equal to the next's.
bool constant(const Bucket& a, const Bucket& b) { return a.min == a.max && b.min == b.max && a.min == b.min; }
bool zero(const Bucket& a, const Bucket& b) { return a.value == 0 && b.value == 0; }

// The runs of `window` of at least sustained() buckets and k_run_over_baseline
// times the longest like run of `baseline`, as findings of `kind`. For a
// dropout the silence after the last bucket (or from the window's start,
// when it has none) up to its end counts too.
std::vector<Anomaly> still_runs(const SeriesInfo& series, const std::vector<Bucket>& baseline,
                                const std::vector<Bucket>& window, Millis step, TimeRange range, const Judge& judge) {
  const Millis until = range.until;
  const bool dropout = is_counter(series);
  const auto like = dropout ? zero : constant;
  const auto before = static_cast<double>(std::max<std::size_t>(1, longest(runs(baseline, step, like))));
  const auto least = std::max(static_cast<double>(sustained(step)), k_run_over_baseline * before);
  auto spans = runs(window, step, like);
  std::vector<Anomaly> out;
  const auto add = [&](Millis at, Millis end, double value) {
    const auto buckets = static_cast<std::size_t>((end - at) / step);
    if (static_cast<double>(buckets) < least) return;
    auto a = finding(series, dropout ? FindingKind::dropout : FindingKind::flatline, judge.reference(), step);
    a.at = at;
    a.until = end;
    a.buckets = buckets;
    a.value = value;
    a.expected = judge.at(at).expected;
    a.score = static_cast<double>(buckets) / before;
    out.push_back(std::move(a));
  };
  const Millis last_end = window.empty() ? range.since : window.back().at + step;
  for (const auto& [first, last] : spans) {
    // A dropout running to the last bucket goes on through the silence after it.
    const Millis end = dropout && last == window.size() ? std::max(until, last_end) : window[last - 1].at + step;
    add(window[first].at, end, window[first].value);
  }
  if (dropout && (spans.empty() || spans.back().second != window.size()) && until > last_end)
    add(last_end, until, 0);
  return out;
}

// Whether `a` is part of a finding of `covering` kinds in `found`: mostly
// (at least `share` of it) inside one, and on its side when that is a shift.
bool part_of(const Anomaly& a, const std::vector<Anomaly>& found, std::initializer_list<FindingKind> covering,
             double share) {
  return std::any_of(found.begin(), found.end(), [&](const Anomaly& other) {
    if (&other == &a || std::find(covering.begin(), covering.end(), other.kind) == covering.end()) return false;
    if (other.kind == FindingKind::level_shift && (a.score > 0) != (other.score > 0)) return false;
    return within(a, other, share);
  });
}

// One finding per incident, strongest first: anomalies and shifts mostly
// inside a flatline or dropout are part of it; then anomalies inside a
// remaining level shift on its side are part of that.
std::vector<Anomaly> fold(const std::vector<Anomaly>& found) {
  std::vector<Anomaly> kept;
  for (const auto& a : found)
    if (a.kind == FindingKind::flatline || a.kind == FindingKind::dropout ||
        !part_of(a, found, {FindingKind::flatline, FindingKind::dropout}, 0.5))
      kept.push_back(a);
  std::vector<Anomaly> out;
  for (const auto& a : kept)
    if (a.kind != FindingKind::anomaly || !part_of(a, kept, {FindingKind::level_shift}, 1.0)) out.push_back(a);
  std::stable_sort(out.begin(), out.end(),
                   [](const Anomaly& x, const Anomaly& y) { return std::abs(x.score) > std::abs(y.score); });
  return out;
}

// A series without a baseline to speak of is judged against its own
// window: robust z and materiality only (its own extremes are in it).
std::vector<Anomaly> own_window(const SeriesInfo& series, const std::vector<Bucket>& window, Millis step) {
  if (window.size() < k_min_reference) return {};
  std::vector<double> values;
  for (const auto& b : window) values.push_back(b.value);
  const double median = median_of(values);
  std::vector<double> residuals;
  for (const double v : values) residuals.push_back(v - median);
  const double scale = robust_scale(residuals, median);
  std::vector<Scored> scored;
  for (const auto& b : window)
    scored.push_back({b.at, b.value, median, std::clamp((b.value - median) / scale, -k_most_z, k_most_z), false,
                      std::abs(b.value - median) >= k_material * std::abs(median)});
  return anomalies(series, scored, Reference::window, step);
}

} // namespace

std::string_view to_string(FindingKind kind) {
  switch (kind) {
  case FindingKind::anomaly: return "anomaly";
  case FindingKind::level_shift: return "level_shift";
  case FindingKind::flatline: return "flatline";
  case FindingKind::dropout: return "dropout";
  }
  return "anomaly";
}

std::string_view to_string(Reference reference) {
  switch (reference) {
  case Reference::window: return "window";
  case Reference::whole: return "whole";
  case Reference::daily: return "daily";
  case Reference::weekly: return "weekly";
  }
  return "whole";
}

Millis judging_step(Millis median_interval_ms, Millis range_ms) {
  const auto jitter_aside = static_cast<Millis>(std::ceil(0.9 * static_cast<double>(median_interval_ms)));
  return std::max(step_at_least(std::max<Millis>(jitter_aside, 1)), step_for_points(range_ms, k_max_buckets));
}

std::vector<Anomaly> find_anomalies(const SeriesInfo& series, const std::vector<Bucket>& baseline,
                                    const std::vector<Bucket>& window, Millis step_ms, TimeRange range) {
  const auto before = judged(series, baseline);
  const auto now = judged(series, window);
  if (before.size() < k_min_reference) return own_window(series, now, step_ms);
  const Judge judge(before, step_ms);
  const auto scored = score(now, judge);
  auto found = anomalies(series, scored, judge.reference(), step_ms);
  const auto shifts = level_shifts(series, scored, judge, step_ms);
  found.insert(found.end(), shifts.begin(), shifts.end());
  if (range.until == 0 && !window.empty()) range = {window.front().at, window.back().at + step_ms};
  const auto still = still_runs(series, before, now, step_ms, range, judge);
  found.insert(found.end(), still.begin(), still.end());
  return fold(found);
}

} // namespace health
