#include "labelled_series.hpp"

#include "seeded_random.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <optional>

namespace test::eval {

namespace {

using health::k_day_ms;
using health::k_hour_ms;
using health::k_minute_ms;
using health::k_week_ms;
using health::MetricType;
using test::SeededRandom;

constexpr Millis k_until = 1795521600000; // 2026-11-24T12:00:00Z, a Tuesday
constexpr double k_tau = 6.283185307179586;

Millis minutes(std::int64_t n) { return n * k_minute_ms; }
Millis hours(std::int64_t n) { return n * k_hour_ms; }
Millis align_up(Millis t, Millis step) { return (t + step - 1) / step * step; }
Millis time_of_day(Millis t) { return t % k_day_ms; }
bool is_weekend(Millis t) { return (t / k_day_ms + 3) % 7 >= 5; } // 1970-01-01 was a Thursday

// A whole minute in [from, to] (from when the span is empty).
Millis moment(SeededRandom& random, Millis from, Millis to) {
  return from + minutes(random.whole(0, std::max<Millis>(0, (to - from) / k_minute_ms)));
}

// ---------------------------------------------------------------- profiles

// student_t and log_student_t: Student's t with 3 degrees of freedom, added or
// multiplied in (latencies have heavy tails up, never down to zero).
enum class Noise { gaussian, student_t, laplace, log_normal, log_student_t, poisson, uniform };
enum class DailyForm { flat, sinusoid, business_hours };

// How a series behaves when nothing is wrong.
struct Profile {
  MetricType type = MetricType::gauge;
  std::string unit;
  double level = 1; // the typical reading; a counter's typical increment per interval
  DailyForm daily = DailyForm::flat;
  double daily_amplitude = 0; // the share of the level the daily cycle adds at its peak
  double peak_hour = 14;      // UTC
  double weekend_factor = 1;  // Saturday and Sunday run at this share of a weekday
  Noise noise = Noise::gaussian;
  double noise_scale = 0.05; // a share of the level; log-normal: the sigma of the log
  double wander_phi = 0;     // AR(1) wander on top of the noise (0: none)
  double wander_scale = 0;   // its innovation, a share of the level
  bool integer = false;
  double floor = 0;
  double ceiling = std::numeric_limits<double>::infinity();
};

// The series these monitoring streams come from (the NAB kinds of data).
enum class Source { cpu, memory, disk, latency, temperature, traffic, requests, social, connections, busy_cpu };

Profile cpu_profile(SeededRandom& random) {
  Profile p;
  p.unit = "%";
  p.level = random.between(12, 55);
  p.noise = random.chance(0.7) ? Noise::gaussian : Noise::laplace;
  p.noise_scale = random.between(0.04, 0.12);
  p.ceiling = 100;
  // Some agents report whole percents; only where that still leaves the noise visible.
  p.integer = random.chance(0.2) && p.level * p.noise_scale >= 1.5;
  return p;
}

Profile memory_profile(SeededRandom& random) {
  Profile p;
  p.unit = "bytes";
  p.level = std::round(random.log_between(2e8, 4e9));
  p.noise_scale = random.between(0.01, 0.03);
  return p;
}

Profile disk_profile(SeededRandom& random) {
  Profile p;
  p.unit = "bytes/s";
  p.level = random.log_between(2e5, 5e7);
  p.noise = random.chance(0.6) ? Noise::log_normal : Noise::laplace;
  p.noise_scale = p.noise == Noise::log_normal ? random.between(0.15, 0.4) : random.between(0.08, 0.15);
  return p;
}

Profile latency_profile(SeededRandom& random) {
  Profile p;
  p.type = MetricType::timer;
  p.unit = "ms";
  p.level = random.between(30, 400);
  p.noise = random.chance(0.7) ? Noise::log_normal : Noise::log_student_t;
  p.noise_scale = p.noise == Noise::log_normal ? random.between(0.08, 0.25) : random.between(0.03, 0.08);
  p.floor = 1;
  return p;
}

Profile temperature_profile(SeededRandom& random) {
  Profile p;
  p.unit = "degC";
  p.level = random.between(55, 85);
  p.noise_scale = random.between(0.003, 0.01);
  p.wander_phi = random.between(0.9, 0.98);
  // The wander's own spread (1-3% of the level) fixes its innovation.
  p.wander_scale = random.between(0.01, 0.03) * std::sqrt(1 - p.wander_phi * p.wander_phi);
  return p;
}

Profile traffic_profile(SeededRandom& random) {
  Profile p;
  p.unit = "bytes/s";
  p.level = random.log_between(1e6, 1e8);
  p.daily = DailyForm::sinusoid;
  p.daily_amplitude = random.between(0.2, 0.6);
  p.peak_hour = random.between(10, 20);
  p.noise = Noise::log_normal;
  p.noise_scale = random.between(0.03, 0.1);
  return p;
}

// A counter of requests: its level is the increment per interval.
Profile requests_profile(Millis interval_ms, SeededRandom& random) {
  Profile p;
  p.type = MetricType::counter;
  p.level = random.log_between(0.5, 20) * static_cast<double>(interval_ms / 1000);
  p.daily = DailyForm::sinusoid;
  p.daily_amplitude = random.between(0.2, 0.5);
  p.peak_hour = random.between(10, 20);
  p.noise = Noise::poisson;
  p.integer = true;
  return p;
}

// A counter of mentions on social media: few per interval, strong days.
Profile social_profile(Millis interval_ms, SeededRandom& random) {
  Profile p = requests_profile(interval_ms, random);
  p.level = random.between(0.01, 0.05) * static_cast<double>(interval_ms / 1000);
  p.daily_amplitude = random.between(0.3, 0.6);
  return p;
}

Profile connections_profile(SeededRandom& random) {
  Profile p;
  p.level = random.between(3, 25);
  p.noise = Noise::poisson;
  p.integer = true;
  return p;
}

// A busy machine whose CPU jumps all over 10-90% at every sample.
Profile busy_cpu_profile(SeededRandom& random) {
  Profile p = cpu_profile(random);
  p.level = 50;
  p.noise = Noise::uniform;
  p.noise_scale = 0.8;
  p.integer = false;
  return p;
}

Profile profile_of(Source source, Millis interval_ms, SeededRandom& random) {
  switch (source) {
  case Source::cpu: return cpu_profile(random);
  case Source::memory: return memory_profile(random);
  case Source::disk: return disk_profile(random);
  case Source::latency: return latency_profile(random);
  case Source::temperature: return temperature_profile(random);
  case Source::traffic: return traffic_profile(random);
  case Source::requests: return requests_profile(interval_ms, random);
  case Source::social: return social_profile(interval_ms, random);
  case Source::connections: return connections_profile(random);
  case Source::busy_cpu: return busy_cpu_profile(random);
  }
  return cpu_profile(random);
}

// 1 in business hours (about 9 centred on `peak_hour`), 0 at night, with
// hour-long ramps between.
double open_share(double hour, double peak_hour) {
  const double distance = std::fabs(std::remainder(hour - peak_hour, 24.0));
  return std::clamp(5.0 - distance, 0.0, 1.0);
}

double seasonal_factor(const Profile& p, Millis t) {
  const double hour = static_cast<double>(time_of_day(t)) / static_cast<double>(k_hour_ms);
  double daily = 1;
  if (p.daily == DailyForm::sinusoid) daily = 1 + p.daily_amplitude * std::cos(k_tau * (hour - p.peak_hour) / 24);
  if (p.daily == DailyForm::business_hours) daily = 1 + p.daily_amplitude * (2 * open_share(hour, p.peak_hour) - 1);
  return daily * (is_weekend(t) ? p.weekend_factor : 1);
}

double bounded(const Profile& p, double value) {
  const double clipped = std::clamp(value, p.floor, p.ceiling);
  return p.integer ? std::round(clipped) : clipped;
}

double with_noise(const Profile& p, double expected, SeededRandom& random) {
  const double scale = p.noise_scale * p.level;
  switch (p.noise) {
  case Noise::gaussian: return expected + scale * random.normal();
  case Noise::student_t: return expected + scale * random.student_t3();
  case Noise::laplace: return expected + scale * random.laplace();
  case Noise::log_normal: return expected * std::exp(p.noise_scale * random.normal());
  case Noise::log_student_t: return expected * std::exp(p.noise_scale * random.student_t3());
  case Noise::poisson: return random.poisson(expected);
  case Noise::uniform: return expected + scale * random.between(-1, 1);
  }
  return expected;
}

// Another noise shape of about the same spread, for calm series of every shape.
void vary_noise(Profile& p, SeededRandom& random) {
  if (p.noise == Noise::poisson) return;
  if (p.type == MetricType::timer) {
    p.noise = random.pick({Noise::log_normal, Noise::log_student_t});
    p.noise_scale = p.noise == Noise::log_normal ? random.between(0.05, 0.3) : random.between(0.03, 0.08);
    return;
  }
  p.noise = random.pick({Noise::gaussian, Noise::student_t, Noise::laplace, Noise::log_normal});
  if (p.noise == Noise::gaussian) p.noise_scale = random.between(0.03, 0.15);
  if (p.noise == Noise::student_t) p.noise_scale = random.between(0.02, 0.08);
  if (p.noise == Noise::laplace) p.noise_scale = random.between(0.03, 0.1);
  if (p.noise == Noise::log_normal) p.noise_scale = random.between(0.05, 0.4);
}

// At most `share` of the level as noise, so that a change of 30% stands out.
void limit_noise(Profile& p, double share) { p.noise_scale = std::min(p.noise_scale, share); }

// ---------------------------------------------------------------- effects

enum class EffectKind {
  scale,     // the expected level times `amount`
  ramp,      // the expected level times 1 + `amount` x the share of [from, to) gone by
  daily_job, // every day in [from, to) ms of the day: the expected level times `amount`
  band,      // readings drawn evenly from [amount, high)
  constant,  // readings at `amount`
  hold,      // readings stuck at the last one before `from`
  silence,   // no samples at all
};

struct Effect {
  EffectKind kind = EffectKind::scale;
  Millis from = 0;
  Millis to = 0;
  double amount = 1;
  double high = 0;
};

// Single readings pushed far from the rest: by `sigmas` robust sigmas of the
// baseline's noise or `excursions` times its largest excursion, whichever is
// more, or to `ratio` times the reading (volumes). `direction` -1: a dip.
struct Spike {
  Millis from = 0;
  Millis to = 0;
  double sigmas = 8;
  double excursions = 1.5;
  double ratio = 1;
  int direction = 1;
};

bool covers(const Effect& e, Millis t) {
  if (e.kind == EffectKind::daily_job) return time_of_day(t) >= e.from && time_of_day(t) < e.to;
  return t >= e.from && t < e.to;
}

double level_factor(const std::vector<Effect>& effects, Millis t) {
  double factor = 1;
  for (const Effect& e : effects) {
    if (!covers(e, t)) continue;
    if (e.kind == EffectKind::scale || e.kind == EffectKind::daily_job) factor *= e.amount;
    if (e.kind == EffectKind::ramp)
      factor *= 1 + e.amount * static_cast<double>(t - e.from) / static_cast<double>(e.to - e.from);
  }
  return factor;
}

bool silenced(const std::vector<Effect>& effects, Millis t) {
  return std::any_of(effects.begin(), effects.end(),
                     [t](const Effect& e) { return e.kind == EffectKind::silence && covers(e, t); });
}

// The reading an effect forces at `t`, if any; `last` is the reading before.
std::optional<double> forced_reading(const std::vector<Effect>& effects, Millis t, double last, SeededRandom& random) {
  for (const Effect& e : effects) {
    if (!covers(e, t)) continue;
    if (e.kind == EffectKind::band) return random.between(e.amount, e.high);
    if (e.kind == EffectKind::constant) return e.amount;
    if (e.kind == EffectKind::hold) return last;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- drawing

// A case before its samples are drawn.
struct Plan {
  Case c;
  Profile profile;
  std::vector<Effect> effects;
  std::vector<Spike> spikes;
  Millis jitter_ms = 0; // timestamps up to this far off the interval's grid
};

struct Drawn {
  std::vector<Point> samples;
  std::vector<double> expected; // each sample's noise-free level, to measure the noise by
};

Drawn draw(const Plan& plan, SeededRandom& random) {
  const Case& c = plan.c;
  const Profile& p = plan.profile;
  Drawn out;
  double wander = 0;
  double last = p.level;
  for (Millis t = align_up(c.since - c.baseline_ms, c.interval_ms); t < c.until; t += c.interval_ms) {
    if (p.wander_phi > 0) wander = p.wander_phi * wander + p.wander_scale * p.level * random.normal();
    const Millis ts = plan.jitter_ms > 0 ? t + random.whole(-plan.jitter_ms, plan.jitter_ms) : t;
    if (silenced(plan.effects, t)) continue;
    const double expected = bounded(p, p.level * seasonal_factor(p, t) * level_factor(plan.effects, t));
    const double reading = bounded(p, with_noise(p, expected, random) + wander);
    last = forced_reading(plan.effects, t, last, random).value_or(reading);
    out.samples.push_back({ts, last});
    out.expected.push_back(expected);
  }
  return out;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

struct NoiseStats {
  double sigma = 0;     // 1.4826 x the median absolute deviation
  double excursion = 0; // the largest distance from the median
};

// The noise of the baseline: each reading less its noise-free level.
NoiseStats baseline_noise(const Drawn& drawn, Millis since) {
  std::vector<double> residuals;
  for (std::size_t i = 0; i < drawn.samples.size() && drawn.samples[i].ts < since; ++i)
    residuals.push_back(drawn.samples[i].value - drawn.expected[i]);
  const double median = median_of(residuals);
  NoiseStats stats;
  for (double& r : residuals) {
    r = std::fabs(r - median);
    stats.excursion = std::max(stats.excursion, r);
  }
  stats.sigma = 1.4826 * median_of(residuals);
  return stats;
}

double spiked(double reading, const Spike& spike, const NoiseStats& noise, const Profile& p) {
  const double excess = std::max(spike.sigmas * noise.sigma, spike.excursions * noise.excursion);
  const double moved = spike.direction > 0 ? std::max(reading + excess, reading * spike.ratio) : reading - excess;
  const double clipped = std::clamp(moved, p.floor, p.ceiling);
  return p.integer || p.type == MetricType::counter ? std::round(clipped) : clipped;
}

void add_spikes(const Plan& plan, Drawn& drawn) {
  if (plan.spikes.empty()) return;
  const NoiseStats noise = baseline_noise(drawn, plan.c.since);
  for (const Spike& spike : plan.spikes)
    for (Point& point : drawn.samples)
      if (point.ts >= spike.from && point.ts < spike.to) point.value = spiked(point.value, spike, noise, plan.profile);
}

// ---------------------------------------------------------------- timing

// What a kind of case allows of intervals, windows and baselines.
struct TimingRules {
  bool minutely = true;       // 1-minute data
  bool hourly = true;         // 1-hour data
  bool short_window = true;   // 2-3 hour windows (1- and 5-minute data only)
  bool short_baseline = true; // 1-2 day baselines
  bool two_weeks = false;     // a 14-day baseline, for weekly cycles
};

Millis pick_interval(const TimingRules& rules, SeededRandom& random) {
  const double u = random.uniform();
  if (rules.minutely && u < 0.15) return k_minute_ms;
  if (rules.hourly && u > 0.88) return k_hour_ms;
  return minutes(5);
}

Millis pick_window(Millis interval_ms, const TimingRules& rules, SeededRandom& random) {
  if (interval_ms < k_hour_ms && rules.short_window && random.chance(0.3)) return minutes(random.whole(120, 180));
  if (random.chance(0.3)) return minutes(random.whole(25 * 60, 50 * 60));
  return k_day_ms;
}

Millis pick_baseline(Millis interval_ms, const TimingRules& rules, SeededRandom& random) {
  // Hourly data needs weeks for a baseline of a few hundred buckets.
  if (interval_ms == k_hour_ms) return random.whole(14, 28) * k_day_ms;
  if (rules.two_weeks) return 2 * k_week_ms;
  // Minute data keeps to days, so that a run stays within a few hundred thousand samples.
  if (interval_ms == k_minute_ms)
    return rules.short_baseline ? hours(random.whole(24, 48)) : random.whole(3, 4) * k_day_ms;
  if (rules.short_baseline && random.chance(0.2)) return hours(random.whole(24, 48));
  if (random.chance(0.1)) return 2 * k_week_ms;
  return k_week_ms;
}

// Windows end at many times of day: up to three days before k_until.
void choose_timing(Case& c, const TimingRules& rules, SeededRandom& random) {
  c.interval_ms = pick_interval(rules, random);
  const Millis window = pick_window(c.interval_ms, rules, random);
  c.baseline_ms = pick_baseline(c.interval_ms, rules, random);
  c.until = k_until - minutes(random.whole(0, 3 * 24 * 60));
  c.since = c.until - window;
}

void use_source(Plan& plan, Source source, SeededRandom& random) {
  plan.profile = profile_of(source, plan.c.interval_ms, random);
}

// ---------------------------------------------------------------- incidents

Millis window_length(const Case& c) { return c.until - c.since; }

// A span of the window between `shortest` and `longest` long, and at least
// `intervals` samples; with probability `to_end` it lasts to the window's
// end. It becomes the case's labelled incident.
std::pair<Millis, Millis> place_incident(Case& c, Millis shortest, Millis longest, Millis intervals, double to_end,
                                         SeededRandom& random) {
  const Millis wanted = std::max(moment(random, shortest, longest), intervals * c.interval_ms);
  const Millis length = std::min(wanted, window_length(c));
  const Millis from = align_up(moment(random, c.since, c.until - length), c.interval_ms);
  const Millis to = random.chance(to_end) ? c.until : std::min(c.until, from + length);
  c.incident_from = from;
  c.incident_until = to;
  return {from, to};
}

void add_effect(Plan& plan, EffectKind kind, std::pair<Millis, Millis> span, double amount, double high = 0) {
  plan.effects.push_back(Effect{kind, span.first, span.second, amount, high});
}

// 1-3 consecutive readings somewhere in [from, to), labelled as the incident
// when `labelled`.
Spike spike_between(Plan& plan, Millis from, Millis to, SeededRandom& random) {
  const Millis step = plan.c.interval_ms;
  const auto points = random.whole(1, 3);
  const Millis at = align_up(moment(random, from, to - points * step), step);
  Spike spike;
  spike.from = at - step / 2; // whatever the jitter
  spike.to = at + points * step - step / 2;
  spike.sigmas = random.between(6, 12);
  spike.excursions = random.between(1.3, 2.0);
  return spike;
}

void add_incident_spike(Plan& plan, int direction, double ratio, SeededRandom& random) {
  Case& c = plan.c;
  Spike spike = spike_between(plan, c.since + window_length(c) / 10, c.until - c.interval_ms, random);
  spike.direction = direction;
  spike.ratio = ratio;
  c.incident_from = spike.from + c.interval_ms / 2;
  c.incident_until = spike.to + c.interval_ms / 2;
  plan.spikes.push_back(spike);
}

void plan_spike(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan,
             random.pick({Source::cpu, Source::disk, Source::latency, Source::temperature, Source::traffic,
                          Source::connections}),
             random);
  add_incident_spike(plan, 1, 1, random);
}

void plan_dip(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::cpu, Source::traffic, Source::temperature, Source::requests}), random);
  // A dip shows where the level stands well clear of zero.
  plan.profile.level = std::max(plan.profile.level, plan.profile.type == MetricType::counter ? 100.0 : 30.0);
  limit_noise(plan.profile, 0.1);
  add_incident_spike(plan, -1, 1, random);
}

void plan_volume_spike(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::requests, Source::social}), random);
  add_incident_spike(plan, 1, random.log_between(5, 100), random);
}

Millis shortest_shift(const Case& c) { return c.interval_ms == k_hour_ms ? hours(6) : hours(2); }

void plan_level_shift(Plan& plan, double factor, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::cpu, Source::memory, Source::disk, Source::latency, Source::traffic,
                                Source::requests}),
             random);
  limit_noise(plan.profile, plan.profile.noise == Noise::log_normal ? 0.15 : 0.08);
  Case& c = plan.c;
  const auto span = place_incident(c, shortest_shift(c), window_length(c), 4, 0.5, random);
  add_effect(plan, EffectKind::scale, span, factor);
}

void plan_level_shift_up(Plan& plan, SeededRandom& random) { plan_level_shift(plan, random.between(1.3, 2.0), random); }
void plan_level_shift_down(Plan& plan, SeededRandom& random) {
  plan_level_shift(plan, random.between(0.25, 0.7), random);
}

// Noise all over 10-90% that settles at a steady 75-90%: never outside the
// baseline's range, but never like it either.
void plan_sustained_high(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {.hourly = false}, random);
  use_source(plan, Source::busy_cpu, random);
  const auto span = place_incident(plan.c, hours(3), hours(10), 12, 0.5, random);
  const double low = random.between(70, 78);
  add_effect(plan, EffectKind::band, span, low, low + random.between(8, 14));
}

void plan_half_capacity(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {.short_window = false}, random);
  use_source(plan, random.pick({Source::traffic, Source::requests, Source::cpu}), random);
  limit_noise(plan.profile, 0.1);
  const auto span = place_incident(plan.c, hours(3), hours(12), 4, 0.4, random);
  add_effect(plan, EffectKind::scale, span, random.between(0.45, 0.55));
}

Millis shortest_flatline(const Case& c) { return c.interval_ms == k_hour_ms ? hours(6) : hours(1); }

void plan_flatline_last(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::cpu, Source::memory, Source::disk, Source::temperature, Source::traffic}),
             random);
  plan.profile.integer = false; // whole numbers repeat on their own
  Case& c = plan.c;
  add_effect(plan, EffectKind::hold, place_incident(c, shortest_flatline(c), hours(8), 6, 0.5, random), 0);
}

// Disk writes or traffic at 0 where they never were.
void plan_flatline_zero(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::disk, Source::traffic}), random);
  Case& c = plan.c;
  add_effect(plan, EffectKind::constant, place_incident(c, shortest_flatline(c), hours(8), 6, 0.5, random), 0);
}

void plan_dropout_zero(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, Source::requests, random);
  Case& c = plan.c;
  add_effect(plan, EffectKind::constant, place_incident(c, minutes(30), hours(4), 3, 0.3, random), 0);
}

// A counter whose increments stop: no samples from some point in the window
// to its end (the window keeps some samples before the stop).
void plan_dropout_stop(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::requests, Source::social}), random);
  Case& c = plan.c;
  const bool hourly = c.interval_ms == k_hour_ms;
  const Millis wanted = moment(random, hourly ? hours(3) : minutes(45), hours(hourly ? 12 : 6));
  const Millis length = std::min(wanted, window_length(c) - (hourly ? hours(3) : minutes(30)));
  c.incident_from = c.until - length;
  c.incident_until = c.until;
  add_effect(plan, EffectKind::silence, {c.incident_from, c.until + c.interval_ms}, 0);
}

// A leak or a heating machine: a linear rise to +60-150% at the window's end.
void plan_drift_up(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {.short_window = false}, random);
  use_source(plan, random.pick({Source::memory, Source::disk, Source::latency, Source::temperature}), random);
  limit_noise(plan.profile, plan.profile.noise == Noise::log_normal ? 0.15 : 0.08);
  Case& c = plan.c;
  c.incident_from = moment(random, c.since, c.since + window_length(c) / 2);
  c.incident_until = c.until;
  add_effect(plan, EffectKind::ramp, {c.incident_from, c.until}, random.between(0.6, 1.5));
}

// Office traffic with strong days and quiet weekends, at half on a weekday
// (a holiday) that the window covers whole.
void plan_holiday_dip(Plan& plan, SeededRandom& random) {
  Case& c = plan.c;
  c.interval_ms = random.chance(0.7) ? minutes(5) : k_hour_ms;
  c.baseline_ms = c.interval_ms == k_hour_ms ? random.whole(21, 28) * k_day_ms : 2 * k_week_ms;
  const Millis holiday = k_until - hours(12) + random.whole(-1, 2) * k_day_ms; // Monday to Thursday
  const Millis window = k_day_ms + minutes(random.whole(0, 12 * 60));
  c.until = holiday + k_day_ms + moment(random, 0, window - k_day_ms);
  c.since = c.until - window;
  use_source(plan, random.pick({Source::traffic, Source::requests}), random);
  plan.profile.daily = DailyForm::business_hours;
  plan.profile.daily_amplitude = random.between(0.5, 0.7);
  plan.profile.peak_hour = random.between(12, 15);
  plan.profile.weekend_factor = random.between(0.3, 0.5);
  limit_noise(plan.profile, 0.08);
  c.incident_from = holiday;
  c.incident_until = holiday + k_day_ms;
  add_effect(plan, EffectKind::scale, {holiday, holiday + k_day_ms}, random.between(0.45, 0.55));
}

// ---------------------------------------------------------------- calm

void plan_calm_noise(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan,
             random.pick({Source::cpu, Source::memory, Source::disk, Source::latency, Source::temperature,
                          Source::connections}),
             random);
  vary_noise(plan.profile, random);
}

void add_daily_cycle(Profile& p, SeededRandom& random) {
  p.daily = random.chance(0.5) ? DailyForm::sinusoid : DailyForm::business_hours;
  p.daily_amplitude = random.between(0.2, 0.6);
  p.peak_hour = random.between(8, 20);
}

void plan_calm_daily(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::traffic, Source::requests, Source::cpu, Source::latency}), random);
  add_daily_cycle(plan.profile, random);
}

void plan_calm_weekly(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {.minutely = false, .short_baseline = false, .two_weeks = random.chance(0.6)}, random);
  use_source(plan, random.pick({Source::traffic, Source::requests}), random);
  add_daily_cycle(plan.profile, random);
  plan.profile.weekend_factor = random.between(0.3, 0.7);
}

// A job at the same time every day (a backup, a batch) lifts the series for
// a few minutes, in the baseline and in the window alike.
void plan_calm_daily_job(Plan& plan, SeededRandom& random) {
  Case& c = plan.c;
  choose_timing(c, {.hourly = false, .short_window = false, .short_baseline = false}, random);
  use_source(plan, random.pick({Source::cpu, Source::disk}), random);
  const Millis at = align_up(moment(random, minutes(30), hours(23)), c.interval_ms);
  const Millis length =
      c.interval_ms == k_minute_ms ? minutes(random.whole(5, 20)) : random.whole(1, 3) * c.interval_ms;
  Profile& p = plan.profile;
  if (p.unit == "%") p.level = std::min(p.level, 22.0); // room for the job below 100%
  const double lift = p.unit == "%" ? random.between(2.5, 4) : random.between(3, 10);
  add_effect(plan, EffectKind::daily_job, {at - c.interval_ms / 2, at + length - c.interval_ms / 2}, lift);
}

// A gauge that sends nothing for 1-3 hours in the window, then resumes.
void plan_calm_gap(Plan& plan, SeededRandom& random) {
  Case& c = plan.c;
  choose_timing(c, {.short_window = false}, random);
  use_source(plan, random.pick({Source::cpu, Source::memory, Source::disk, Source::temperature, Source::traffic}),
             random);
  const Millis length = minutes(random.whole(60, 180));
  const Millis from = moment(random, c.since, c.until - hours(1) - length);
  add_effect(plan, EffectKind::silence, {from, from + length}, 0);
}

// Slow AR(1) wander within the range the baseline knows.
void plan_calm_wander(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::temperature, Source::cpu, Source::memory}), random);
  Profile& p = plan.profile;
  p.noise = Noise::gaussian;
  p.noise_scale = random.between(0.01, 0.03);
  p.wander_phi = random.between(0.9, 0.98);
  p.wander_scale = random.between(0.03, 0.08) * std::sqrt(1 - p.wander_phi * p.wander_phi);
}

void plan_calm_volume(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::requests, Source::social}), random);
  if (random.chance(0.4)) plan.profile.weekend_factor = random.between(0.4, 0.8);
}

void plan_calm_latency(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, Source::latency, random);
  if (random.chance(0.3)) add_daily_cycle(plan.profile, random);
}

void add_baseline_spikes(Plan& plan, std::int64_t count, SeededRandom& random) {
  const Case& c = plan.c;
  for (std::int64_t i = 0; i < count; ++i) {
    Spike spike = spike_between(plan, c.since - c.baseline_ms + c.interval_ms, c.since - 4 * c.interval_ms, random);
    spike.to = spike.from + c.interval_ms; // a single reading
    spike.excursions = random.between(1.0, 1.5);
    spike.direction = plan.profile.type == MetricType::counter || random.chance(0.8) ? 1 : -1;
    plan.spikes.push_back(spike);
  }
}

// A plain series whose baseline had a few isolated spikes; its window has none.
void plan_calm_baseline_spikes(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::cpu, Source::disk, Source::latency, Source::traffic, Source::requests}),
             random);
  add_baseline_spikes(plan, random.whole(1, 3), random);
}

// Small whole numbers: connections, or CPU in whole percents.
void plan_calm_quantized(Plan& plan, SeededRandom& random) {
  choose_timing(plan.c, {}, random);
  use_source(plan, random.pick({Source::connections, Source::cpu}), random);
  Profile& p = plan.profile;
  p.integer = true;
  if (p.noise != Noise::poisson) p.noise_scale = std::max(p.noise_scale, 1 / p.level); // a spread of 1% at least
}

// ---------------------------------------------------------------- cases

struct KindSpec {
  const char* name;
  bool incident;
  int weight; // its share of the cases of its label
  void (*plan)(Plan&, SeededRandom&);
};

constexpr KindSpec k_kinds[] = {
    {"spike", true, 14, plan_spike},
    {"dip", true, 8, plan_dip},
    {"volume_spike", true, 8, plan_volume_spike},
    {"level_shift_up", true, 12, plan_level_shift_up},
    {"level_shift_down", true, 12, plan_level_shift_down},
    {"sustained_high_in_range", true, 8, plan_sustained_high},
    {"half_capacity", true, 8, plan_half_capacity},
    {"flatline_last", true, 10, plan_flatline_last},
    {"flatline_zero", true, 8, plan_flatline_zero},
    {"dropout_zero", true, 8, plan_dropout_zero},
    {"dropout_stop", true, 6, plan_dropout_stop},
    {"drift_up", true, 10, plan_drift_up},
    {"holiday_dip", true, 8, plan_holiday_dip},
    {"calm_noise", false, 20, plan_calm_noise},
    {"calm_daily", false, 16, plan_calm_daily},
    {"calm_weekly", false, 12, plan_calm_weekly},
    {"calm_daily_job", false, 12, plan_calm_daily_job},
    {"calm_gap", false, 10, plan_calm_gap},
    {"calm_wander", false, 12, plan_calm_wander},
    {"calm_volume", false, 12, plan_calm_volume},
    {"calm_latency", false, 10, plan_calm_latency},
    {"calm_baseline_spikes", false, 8, plan_calm_baseline_spikes},
    {"calm_quantized", false, 8, plan_calm_quantized},
};

// `count` kinds of one label, each in proportion to its weight.
std::vector<const KindSpec*> kinds_for(bool incident, std::size_t count) {
  std::vector<const KindSpec*> weighted;
  for (const KindSpec& kind : k_kinds)
    if (kind.incident == incident) weighted.insert(weighted.end(), static_cast<std::size_t>(kind.weight), &kind);
  std::vector<const KindSpec*> kinds;
  for (std::size_t i = 0; i < count; ++i) kinds.push_back(weighted[i * weighted.size() / count]);
  return kinds;
}

// What any series may have besides its kind: timestamps off the grid by up
// to a couple of seconds, an isolated spike or two in the baseline.
void add_realism(Plan& plan, SeededRandom& random) {
  if (random.chance(0.35)) plan.jitter_ms = random.whole(300, 2000);
  if (random.chance(0.15)) add_baseline_spikes(plan, random.whole(1, 2), random);
}

Case make_case(const KindSpec& kind, std::size_t number, std::uint64_t seed) {
  SeededRandom random(seed);
  Plan plan;
  char name[32];
  std::snprintf(name, sizeof name, "case%03zu", number);
  plan.c.name = name;
  plan.c.kind = kind.name;
  plan.c.incident = kind.incident;
  kind.plan(plan, random);
  add_realism(plan, random);
  plan.c.type = plan.profile.type;
  plan.c.unit = plan.profile.unit;
  Drawn drawn = draw(plan, random);
  add_spikes(plan, drawn);
  plan.c.samples = std::move(drawn.samples);
  return plan.c;
}

} // namespace

std::vector<Case> generate_cases(unsigned seed, std::size_t incidents, std::size_t calm) {
  std::vector<const KindSpec*> kinds = kinds_for(true, incidents);
  const std::vector<const KindSpec*> calm_kinds = kinds_for(false, calm);
  kinds.insert(kinds.end(), calm_kinds.begin(), calm_kinds.end());
  SeededRandom random(seed);
  for (std::size_t i = kinds.size(); i > 1; --i) // Fisher-Yates
    std::swap(kinds[i - 1], kinds[static_cast<std::size_t>(random.whole(0, static_cast<std::int64_t>(i) - 1))]);
  std::vector<Case> cases;
  cases.reserve(kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    // Each case draws from its own stream, so one kind's draws never shift another's.
    const std::uint64_t case_seed = (std::uint64_t{seed} << 32) ^ (i * 0xD1B54A32D192ED03ULL);
    cases.push_back(make_case(*kinds[i], i + 1, case_seed));
  }
  return cases;
}

} // namespace test::eval
