#pragma once
// Labelled monitoring series to evaluate health::analyze: a seeded generator
// of series shaped like real monitoring data (cloud CPU and disk, request
// latency, machine temperature, traffic, request and social volumes at 1
// minute to 1 hour intervals), each with an analysis window that either holds
// an incident of a known kind or is calm. The same seed gives the same cases,
// byte for byte, on every machine: the noise comes from our own splitmix64,
// never from <random>'s distributions.

#include <health/series.hpp>
#include <health/time.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace test::eval {

using health::Millis;

struct Point {
  Millis ts = 0;
  double value = 0; // a counter's increment over its interval, else the reading
};

struct Case {
  std::string name; // case001, case002, ...
  std::string kind; // spike, level_shift_up, flatline_zero, calm_daily_job, ...
  bool incident = false;
  health::MetricType type = health::MetricType::gauge;
  std::string unit;
  Millis interval_ms = 5 * health::k_minute_ms;
  Millis since = 0; // the analysis window is [since, until)
  Millis until = 0;
  Millis baseline_ms = health::k_week_ms; // the period just before `since`
  // Where the incident is: inside the window; both 0 for a calm case.
  Millis incident_from = 0;
  Millis incident_until = 0;
  std::vector<Point> samples; // in time order over the baseline and the window
};

// `incidents` cases with an incident in their window and `calm` cases
// without, shuffled together and named in order. Each kind gets its share of
// the cases in proportion to a fixed weight, so every kind appears once there
// are a few dozen cases of each label. The same arguments give the same cases.
std::vector<Case> generate_cases(unsigned seed, std::size_t incidents, std::size_t calm);

} // namespace test::eval
