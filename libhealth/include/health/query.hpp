#pragma once
// Read queries: the component and series listings, and sample scans over a
// time range.

#include <health/aggregate.hpp>
#include <health/series.hpp>
#include <health/store.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace health {

// Which series a query covers. Empty lists match everything; each label must
// be present with that value.
struct SeriesFilter {
  std::vector<std::string> components;
  std::vector<std::string> metrics;
  std::vector<std::string> nodes;
  Labels labels;
};

struct ComponentInfo {
  std::string component;
  std::int64_t series = 0;
  std::int64_t samples = 0;
  std::optional<Millis> first_seen;
  std::optional<Millis> last_seen;
};

// Every component with its series and sample counts, ordered by name.
std::vector<ComponentInfo> list_components(Store& store);

// The names of every component with a series, ordered; reads no samples.
std::vector<std::string> list_component_names(Store& store);

struct SeriesInfo {
  std::int64_t id = 0;
  std::string node;
  std::string component;
  std::string name;
  Labels labels;
  std::string labels_text; // canonical k=v;k=v
  MetricType type = MetricType::counter;
  std::string unit;
  std::int64_t count = 0;
  // Every sample the series was ever given, its count and sum: running
  // totals that cleanup never lowers (schema 007).
  std::int64_t total_count = 0;
  double total_sum = 0;
  std::optional<Millis> first;
  std::optional<Millis> last;
  std::optional<double> last_value;
};

enum class WithStats { no, yes };

// The series `filter` matches, ordered by component, name, labels, node.
// count is always filled in (the series keeps it); with WithStats::yes,
// first, last and last_value too.
std::vector<SeriesInfo> list_series(Store& store, const SeriesFilter& filter, WithStats stats);

struct SampleRow {
  const SeriesInfo* series;
  Millis ts;
  double value;
  std::string_view context; // compact JSON object, or empty
};

// The series of `series` with at least one sample in `range`, in order.
std::vector<SeriesInfo> with_samples_in(Store& store, std::vector<SeriesInfo> series,
                                        TimeRange range);

// How many samples a series holds from `since` on, and their sum.
struct SampleTotals {
  std::int64_t count = 0;
  double sum = 0;
};
SampleTotals totals_since(Store& store, const SeriesInfo& series, Millis since);

// Reads the samples of one series at a time over a range, by time (then by
// arrival within a millisecond). Streams: memory does not grow with the
// number of samples. `SampleRow::context` is empty unless `WithContext::yes`.
enum class WithContext { no, yes };
class SampleScanner {
public:
  SampleScanner(Store& store, WithContext context);
  ~SampleScanner();
  SampleScanner(const SampleScanner&) = delete;
  SampleScanner& operator=(const SampleScanner&) = delete;

  void scan(const SeriesInfo& series, TimeRange range,
            const std::function<void(const SampleRow&)>& visit);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Calls `visit` for every sample of the matching series in `range`, series by
// series (in list_series order) and by time within a series.
void scan_samples(Store& store, const SeriesFilter& filter, TimeRange range,
                  const std::function<void(const SampleRow&)>& visit);

// One read transaction for its lifetime: every query made meanwhile sees the
// same state of the file, however many processes write to it. A snapshot
// made inside another (or inside a transaction) shares it.
class ReadSnapshot {
public:
  explicit ReadSnapshot(Store& store);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
  Store& m_store;
  bool m_owner;
};

} // namespace health
