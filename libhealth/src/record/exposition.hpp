#pragma once
// Reading Prometheus' text exposition format (0.0.4) and OpenMetrics 1.0
// text: the samples of each metric family with the family's type and unit.

#include <health/ingest.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health::exposition {

enum class Dialect { prometheus, openmetrics };

enum class Kind { counter, gauge, summary, histogram, gaugehistogram, info, stateset, unknown };

// One sample line: the family it belongs to (by # TYPE, else its own name),
// its name (the family's, or the family's with _total, _sum, _count,
// _bucket, _created, ...), labels in their order, value and time.
struct Point {
  std::string_view family;
  Kind kind = Kind::unknown;
  std::string_view unit; // OpenMetrics' # UNIT, else empty
  std::string_view name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0; // NaN and infinities as written
  std::optional<Millis> at;
  std::uint64_t line = 0;
};

// Reads `in` and calls `visit` for every sample line, in order. Comments
// other than # TYPE, # UNIT and # HELP are skipped, and so are OpenMetrics'
// exemplars. OpenMetrics' timestamps are seconds, the text format's
// milliseconds. Throws Error(bad_data) "source:line: problem" for a
// malformed line, and for OpenMetrics input without its # EOF. Returns the
// number of lines read.
std::uint64_t read(std::istream& in, std::string_view source, Dialect dialect,
                   const std::function<void(const Point&)>& visit);

} // namespace health::exposition

namespace health {

// ingest() of IngestFormat::prometheus and ::openmetrics (see ingest.hpp).
IngestReport ingest_exposition(Store* store, const std::vector<IngestSource>& sources, const IngestOptions& options);

} // namespace health
