// ingest --format prometheus|openmetrics: the samples of an exposition as
// healthctl series. Gauges are their values; a Prometheus counter (and a
// summary's or histogram's _count, _sum and _bucket) is a running total,
// recorded as the increment since the last total the series was given,
// which the series keeps (schema 009).

#include <health/error.hpp>
#include <health/names.hpp>
#include <health/recorder.hpp>

#include "record/exposition.hpp"
#include "record/running_totals.hpp"
#include "store/sqlite.hpp"

#include <cmath>
#include <map>
#include <set>

namespace health {

namespace {

using exposition::Kind;
using exposition::Point;

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() > end.size() && text.substr(text.size() - end.size()) == end;
}

// The unit a family's name ends in, as Prometheus' conventions spell it.
std::string unit_of(std::string_view family, std::string_view declared) {
  if (!declared.empty()) return std::string(declared);
  if (ends_with(family, "_total")) family.remove_suffix(6);
  if (ends_with(family, "_seconds")) return "s";
  if (ends_with(family, "_bytes")) return "bytes";
  if (ends_with(family, "_percent")) return "%";
  return "";
}

enum class Treatment { gauge, total, skip };

// A series' identity as one string, to count distinct series.
std::string identity(const SeriesSpec& spec) {
  return format_labels(spec.key.labels) + "\n" + spec.key.component + "\n" + spec.key.name + "\n" + spec.key.node;
}

// How a sample of its family is kept: a counter's total (by its name, _total
// included: exporters name a gauge X beside a counter X_total); a summary's
// or histogram's _count, _sum and _bucket as totals; a _created time not at
// all; everything else a gauge.
Treatment treatment(const Point& point, std::string& name) {
  name = std::string(point.name);
  const auto part = point.name.substr(std::min(point.family.size(), point.name.size()));
  if (part == "_created") return Treatment::skip;
  switch (point.kind) {
  case Kind::counter: return Treatment::total;
  case Kind::summary:
  case Kind::histogram: return part.empty() ? Treatment::gauge : Treatment::total;
  default: return Treatment::gauge;
  }
}

class ExpositionWriter {
public:
  ExpositionWriter(Store* store, const IngestOptions& options, Millis now)
      : m_store(store), m_options(options), m_now(now) {
    if (store != nullptr) {
      m_recorder = std::make_unique<Recorder>(*store);
      m_totals = std::make_unique<RunningTotals>(*store, *m_recorder);
    }
  }

  void add(const Point& point, std::string_view source) {
    std::string name;
    const auto how = treatment(point, name);
    if (how == Treatment::skip) return;
    if (!std::isfinite(point.value)) {
      ++m_report.not_numbers;
      return;
    }
    const auto where = std::string(source) + ":" + std::to_string(point.line) + ": ";
    SeriesSpec spec = spec_of(point, std::move(name), how);
    auto problem = normalize_labels(spec.key.labels);
    if (!problem) problem = spec_problem(spec);
    if (problem) throw Error(ErrorKind::bad_data, where + *problem);
    const Millis at = point.at.value_or(m_now);
    if (const auto late = time_problem(at, m_now, m_options.allow_future))
      throw Error(ErrorKind::bad_data, where + *late, "--allow-future takes samples ahead of the clock");
    m_series.insert(identity(spec));
    try {
      write(spec, how, at, point.value);
    } catch (const Error& error) {
      if (error.sqlite_code() != 0) throw;
      throw Error(error.kind(), where + error.what(), error.hint());
    }
  }

  IngestReport finish(std::uint64_t lines) {
    m_report.lines = lines;
    m_report.series = m_series.size();
    if (!writing()) return m_report;
    m_totals->save();
    m_recorder->write_counts();
    m_report.new_series = m_recorder->created_series();
    m_report.batches = 1;
    return m_report;
  }

private:
  bool writing() const { return m_recorder && m_options.dry_run == DryRun::no; }

  // Writes one sample; a dry run checks its series against the stored ones
  // (when there is a database) and counts it.
  void write(const SeriesSpec& spec, Treatment how, Millis at, double value) {
    if (!writing()) {
      const auto id = m_recorder ? m_recorder->find_series(spec) : std::nullopt;
      if (how == Treatment::total && first_total(spec, id)) ++m_report.counters_started;
      else ++m_report.samples;
      return;
    }
    const auto id = m_recorder->series_id(spec);
    if (how == Treatment::gauge) {
      if (m_recorder->insert_unless_present(id, {at, value, {}}, 0)) ++m_report.samples;
      else ++m_report.duplicates;
    } else {
      add_total(id, at, value);
    }
  }

  // For a dry run: whether this total would be its series' first (the
  // series has none noted, nor did the input give it one before).
  bool first_total(const SeriesSpec& spec, std::optional<std::int64_t> id) {
    if (!m_checked_totals.insert(identity(spec)).second) return false;
    if (!id) return true;
    sqlite::Statement load(m_store->handle(), "SELECT scraped_total IS NULL FROM series WHERE id = ?1");
    return !load.bind(1, *id).step() || load.int64(0) != 0;
  }

  SeriesSpec spec_of(const Point& point, std::string name, Treatment how) const {
    SeriesSpec spec;
    spec.key.node = m_options.default_node;
    spec.key.component = m_options.component;
    spec.key.name = std::move(name);
    for (const auto& [key, value] : point.labels) {
      if (key == "node") spec.key.node = value;
      else if (key == "component") spec.key.component = value;
      else spec.key.labels.emplace_back(key, value);
    }
    spec.type = how == Treatment::gauge ? MetricType::gauge : MetricType::counter;
    spec.unit = unit_of(point.family, point.unit);
    // A summary's or histogram's totals go without: _count and _bucket count
    // observations, and _sum's unit is in the family's name already.
    if (how == Treatment::total && (point.kind == Kind::summary || point.kind == Kind::histogram)) spec.unit = "";
    return spec;
  }

  // A running total: see RunningTotals::add.
  void add_total(std::int64_t id, Millis at, double total) {
    switch (m_totals->add(id, at, total).outcome) {
    case TotalTaken::Outcome::started: ++m_report.counters_started; break;
    case TotalTaken::Outcome::recorded: ++m_report.samples; break;
    case TotalTaken::Outcome::stale: ++m_report.duplicates; break; // this total, or an older one, was taken already
    }
  }

  Store* m_store;
  const IngestOptions& m_options;
  Millis m_now;
  std::unique_ptr<Recorder> m_recorder;
  std::unique_ptr<RunningTotals> m_totals;
  std::set<std::string> m_series;
  std::set<std::string> m_checked_totals; // dry run: series given a total in the input
  IngestReport m_report;
};

} // namespace

IngestReport ingest_exposition(Store* store, const std::vector<IngestSource>& sources, const IngestOptions& options) {
  const Millis now = options.now != 0 ? options.now : now_ms();
  const auto dialect =
      options.format == IngestFormat::openmetrics ? exposition::Dialect::openmetrics : exposition::Dialect::prometheus;
  const bool write = store != nullptr && options.dry_run == DryRun::no;
  std::optional<sqlite::Transaction> transaction;
  if (write) transaction.emplace(store->handle(), sqlite::TransactionKind::immediate);
  ExpositionWriter writer(store, options, now);
  if (options.batch_size != 0)
    throw Error(ErrorKind::usage, "--batch-size does not apply to Prometheus' formats",
                "they are read whole, in one transaction");
  std::uint64_t lines = 0;
  for (const auto& source : sources)
    lines += exposition::read(*source.in, source.name, dialect,
                              [&](const Point& point) { writer.add(point, source.name); });
  auto report = writer.finish(lines);
  if (transaction) transaction->commit();
  return report;
}

} // namespace health
