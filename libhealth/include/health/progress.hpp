#pragma once
// Progress of long work (ingest, backup, restore, cleanup, vacuum) for a
// caller that shows it. The library calls back now and then, from the
// thread doing the work, and at least once when a step ends; showing it (or
// not) and how often is the caller's business.

#include <cstdint>
#include <functional>
#include <string_view>

namespace health {

struct Progress {
  std::string_view step;   // what is going on: "copying", "removing samples", "vacuum"
  std::uint64_t done = 0;  // how much of it is done
  std::uint64_t total = 0; // of how much; 0 when not known
  bool bytes = false;      // done and total count bytes (else items, such as samples)
};

using ProgressFn = std::function<void(const Progress&)>;

} // namespace health
