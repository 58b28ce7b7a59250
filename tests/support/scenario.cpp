#include "scenario.hpp"

#include "seeded_random.hpp"

#include <health/ingest.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <sstream>
#include <stdexcept>

namespace test {

namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

} // namespace

std::string scenario_csv(std::string_view kind, unsigned seed, health::Millis now) {
  const bool all = kind == "all";
  const bool spike = all || kind == "spike";
  const bool errors = all || kind == "errors";
  const bool leak = all || kind == "leak";
  const bool stop = all || kind == "stop";
  const bool daily = kind == "daily";
  if (!all && !spike && !errors && !leak && !stop && !daily && kind != "calm")
    throw std::invalid_argument("unknown scenario '" + std::string(kind) +
                                "': calm, daily, spike, errors, leak, stop or all");
  SeededRandom random(seed * 0x9E3779B97F4A7C15ULL + 1);
  std::string out = "ts,component,name,type,unit,value\n";
  const auto row = [&out](health::Millis ts, const char* component, const char* name, const char* type,
                          const char* unit, double value) {
    out += health::format_time(ts) + "," + component + "," + name + "," + type + "," + unit + "," + number(value) + "\n";
  };
  const health::Millis start = now - 8 * health::k_day_ms;
  for (health::Millis minute = start; minute < now; minute += health::k_minute_ms) {
    const health::Millis ago = now - minute;
    const health::Millis ts = minute + static_cast<health::Millis>(random.uniform() * 1000); // jitter
    // Busy days and quiet nights: 40% above and below the mean, by UTC time of day.
    const double day = !daily ? 1
                              : 1 + 0.4 * std::sin(6.283185307179586 * static_cast<double>(minute % health::k_day_ms) /
                                                   static_cast<double>(health::k_day_ms));
    double latency = 100 * day * std::exp(0.15 * random.normal());
    if (spike && ago <= k_spike_at && ago > k_spike_at - k_spike_ms) latency *= 8;
    row(ts, "api", "latency_ms", "timer", "ms", latency);
    row(ts, "api", "requests", "counter", "", std::max(0.0, std::round(60 * day + 8 * random.normal())));
    row(ts, "api", "errors", "counter", "", random.poisson((errors && ago <= k_errors_at ? 6.0 : 0.6) * day));
    double memory = 200e6 + 2e6 * random.normal();
    if (leak && ago <= health::k_day_ms)
      memory += 100e6 * static_cast<double>(health::k_day_ms - ago) / static_cast<double>(health::k_day_ms);
    row(ts, "app", "memory_bytes", "gauge", "bytes", memory);
    if (!(stop && ago <= k_stop_at)) row(ts, "worker", "heartbeat", "gauge", "", 1);
    row(ts, "db", "connections", "gauge", "", std::round(20 * day + 2 * random.normal()));
  }
  return out;
}

void ingest_scenario(health::Store& store, std::string_view kind, unsigned seed, health::Millis now,
                     const std::string& node) {
  std::istringstream in(scenario_csv(kind, seed, now));
  health::IngestOptions options;
  options.format = health::IngestFormat::csv;
  options.default_node = node;
  options.now = now; // the scenario ends here
  health::ingest(&store, {{std::string(kind), &in}}, options);
}

} // namespace test
