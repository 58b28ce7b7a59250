#pragma once
// Writing samples: one at a time (record) or in batches (ingest).

#include <health/error.hpp>
#include <health/series.hpp>
#include <health/store.hpp>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace health {

// Writes samples into a Store. Series are created on first use; a later
// write with another type, or another non-empty unit, is refused with an
// Error(bad_data) naming what the series already has. The caller owns the
// transaction, and a Recorder lives inside one: it prepares its statements
// once and caches series ids and what the milliseconds it met crowded hold.
// Each series keeps the count of its samples: call write_counts() before
// committing.
class Recorder {
public:
  explicit Recorder(Store& store);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // The id of the series `spec` names, created if missing. Throws
  // Error(bad_data) on a type or unit conflict with the stored series.
  std::int64_t series_id(const SeriesSpec& spec);
  // Looks the series up without creating it: its id, or nullopt. Throws on a
  // type or unit conflict like series_id.
  std::optional<std::int64_t> find_series(const SeriesSpec& spec);

  // Inserts one validated sample into series `series_id`. Two samples of one
  // series in the same millisecond are both kept.
  void insert(std::int64_t series_id, const Sample& sample);

  // Inserts `sample` into series `series_id` unless the series holds it
  // already: when more than `earlier` samples of that millisecond have its
  // value, `earlier` being how many rows before it in the same input had the
  // same series, millisecond and value. Then it writes nothing and returns
  // false. So an input ingested twice is written once, and two equal
  // samples in one millisecond stay two. A millisecond that holds samples
  // already is read once per Recorder, so its cost stays linear however
  // many samples share it.
  bool insert_unless_present(std::int64_t series_id, const Sample& sample, std::int64_t earlier);

  // Adds the samples inserted since the last call to their series' counts
  // (one statement per series). Call it before committing.
  void write_counts();

  // Number of series this Recorder created.
  std::uint64_t created_series() const noexcept;

private:
  // Inserts after the samples of its millisecond; returns its position.
  std::int64_t insert_after_others(std::int64_t series_id, const Sample& sample);
  void insert_context(std::int64_t series_id, const Sample& sample, std::int64_t seq);

  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Records one sample in its own transaction after validating `spec` and
// `sample`. Throws Error(usage) on a bad name, label, unit or value,
// Error(bad_data) on bad context JSON or a type/unit conflict.
// Error(usage) also for a time outside 1970 to 9999, or more than 10
// minutes after now unless `allow_future` (see time_problem).
void record(Store& store, const SeriesSpec& spec, const Sample& sample, AllowFuture allow_future = AllowFuture::no);

// One sample of several recorded together.
struct Recording {
  SeriesSpec spec;
  Sample sample;
};

// Records every sample in one transaction, all or nothing: each is checked
// as record() checks one before anything is written, and a problem is
// reported as "sample 2 (latency_ms): <problem>". One Recording is the same
// as record(store, spec, sample), messages included.
void record(Store& store, const std::vector<Recording>& recordings, AllowFuture allow_future = AllowFuture::no);

// `error` about the `number`th (1-based) of several samples, the one named
// `name`, as record() of several reports it: "sample 2 (latency_ms): ...".
Error sample_error(std::size_t number, std::string_view name, const Error& error);

} // namespace health
