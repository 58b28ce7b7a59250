#pragma once
// Bulk loading of samples from NDJSON or CSV: the fields and columns of
// `healthctl export`, so an export can be ingested again.

#include <health/progress.hpp>
#include <health/series.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace health {

// prometheus: the text exposition format (0.0.4); openmetrics: OpenMetrics
// 1.0 text, which may hold history (several timestamped points a series).
enum class IngestFormat { ndjson, csv, tsv, json, prometheus, openmetrics };
enum class DryRun { no, yes };

struct IngestOptions {
  IngestFormat format = IngestFormat::ndjson;
  std::string default_node;  // for rows without a node
  // For Prometheus' formats: the component of series without a component label.
  std::string component = "prometheus";
  std::size_t batch_size = 0; // 0: everything in one transaction (all or nothing)
  // Rows parsed ahead of the write at most (about 24 bytes each): when that
  // many are pending they are written into the open transaction, so memory
  // stays flat whatever the size of the input.
  std::size_t rows_in_memory = std::size_t{1} << 18;
  DryRun dry_run = DryRun::no;
  Millis now = 0;             // anchor of relative times such as "-5m" (0: the clock)
  // Samples more than 10 minutes after `now` are refused unless allowed.
  AllowFuture allow_future = AllowFuture::no;
  // Hears of the bytes read so far, all sources together ("reading"; the
  // total is not known here: a caller that knows the input's size fills it
  // in), every 100,000 lines and at the end of each source. Prometheus'
  // formats, read whole, report none.
  ProgressFn progress;
};

struct IngestSource {
  std::string name; // shown in errors as name:line
  std::istream* in;
};

struct IngestReport {
  std::uint64_t lines = 0;      // input lines read, header included
  std::uint64_t samples = 0;    // samples written (or that would be, with dry run)
  std::uint64_t duplicates = 0; // rows skipped: the series held that sample already
  std::uint64_t series = 0;     // distinct series among them
  std::uint64_t new_series = 0; // series created by this ingest
  std::uint64_t batches = 0;    // transactions committed
  // Prometheus' formats only: counters seen for the first time (their total
  // noted, no increment recorded), and NaN or infinite values skipped.
  std::uint64_t counters_started = 0;
  std::uint64_t not_numbers = 0;
};

// Reads every source in order and writes its samples to `store`.
//
// Without a batch size everything is written in one transaction: one bad row
// and nothing is written. Rows are parsed and checked ahead of the write, up
// to `rows_in_memory` of them; an input longer than that holds the write
// lock from its first full chunk to its end. Each chunk is written series by
// series (input order within a series), so rows interleaved by time land
// together in the table clustered by series, and on a thread of its own while
// the next chunk is checked: `store` is used by that thread meanwhile, so no
// other thread may use it until ingest returns. With a batch size,
// every `batch_size` rows are committed as they come (for endless streams);
// an error then keeps the batches already committed and says how many.
// A row whose sample the series holds already is skipped and counted: when
// the series holds more samples of that millisecond and value than rows of
// them came before it in the input. So ingesting one export twice, or
// merging another node's export again, doubles nothing. With DryRun::yes nothing is written (nor are duplicates looked for); `store` may be null (rows are checked
// on their own) or a read-only store (series are also checked against it).
//
// Prometheus' formats (prometheus, openmetrics) are read whole in one
// transaction (no batch size): a series is named by its sample's name, its
// node and component by the labels node and component (else default_node
// and `component`), the other labels its own, its unit by # UNIT or the
// name's end (_seconds s, _bytes bytes, _percent %). A gauge, an untyped
// sample and a summary's quantiles are gauges; a counter and a summary's or histogram's _count, _sum and _bucket are
// counters whose increments are the differences between the totals given
// (a total lower than the last one is a reset: the increment is the new
// total), the first total a series gets noting where it starts; _created
// samples are skipped, and so are NaN and infinite values (counted). A
// sample without a timestamp is at `now`. healthctl-ingest(1) PROMETHEUS.
//
// Throws Error(bad_data) with "name:line: problem" for a bad row, a type or
// unit conflict, or unreadable input; Error(busy) when locked.
IngestReport ingest(Store* store, const std::vector<IngestSource>& sources,
                    const IngestOptions& options);

} // namespace health
