#include "scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <stdexcept>

namespace test {

namespace {

// A small deterministic generator (splitmix64): std::normal_distribution
// differs between standard libraries, this does not.
class Random {
public:
  explicit Random(unsigned seed) : m_state(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  double uniform() { // (0, 1)
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
  }
  double normal() { // Box-Muller
    return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  }
  int poisson(double mean) { // Knuth: fine for small means
    const double limit = std::exp(-mean);
    int k = 0;
    for (double p = uniform(); p > limit; p *= uniform()) ++k;
    return k;
  }

private:
  std::uint64_t m_state;
};

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
  Random random(seed);
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

} // namespace test
