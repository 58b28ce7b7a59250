#pragma once
// Synthetic weeks for analyze: eight days of one-minute samples for six
// series, ending at `now`, from a seeded generator (the same seed gives the
// same data on every machine). A calm week, or one with an injected incident
// in its last day, or a week with a daily cycle:
//   daily  latency, requests, errors and connections 40% above and below
//          their mean over each UTC day, nothing else
//   spike  api/latency_ms (timer) eight times higher for 20 minutes from now-6h
//   errors api/errors (counter) ten times the rate from now-8h on
//   leak   app/memory_bytes (gauge) rising from 200 MB to 300 MB over the last 24h
//   stop   worker/heartbeat (gauge) stops reporting at now-3h
//   all    every incident above at once

#include <health/store.hpp>
#include <health/time.hpp>

#include <string>
#include <string_view>

namespace test {

inline constexpr health::Millis k_spike_at = 6 * health::k_hour_ms;  // before now
inline constexpr health::Millis k_spike_ms = 20 * health::k_minute_ms;
inline constexpr health::Millis k_errors_at = 8 * health::k_hour_ms;
inline constexpr health::Millis k_stop_at = 3 * health::k_hour_ms;

// The scenario as CSV for `healthctl ingest --format csv`. Throws
// std::invalid_argument for an unknown kind.
std::string scenario_csv(std::string_view kind, unsigned seed, health::Millis now);

// Ingests that scenario into `store` as node `node`, with `now` as the
// clock.
void ingest_scenario(health::Store& store, std::string_view kind, unsigned seed, health::Millis now,
                     const std::string& node = "web1");

} // namespace test
