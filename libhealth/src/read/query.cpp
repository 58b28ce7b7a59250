#include <health/query.hpp>

#include "store/sqlite.hpp"

#include <algorithm>

namespace health {

namespace {

bool matches(const std::vector<std::string>& wanted, const std::string& value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

bool has_labels(const Labels& labels, const Labels& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& pair) {
    return std::find(labels.begin(), labels.end(), pair) != labels.end();
  });
}

} // namespace

std::vector<SeriesInfo> list_series(Store& store, const SeriesFilter& filter, WithStats stats) {
  // One component (and one metric), as a threshold names them, is looked up
  // in the series' unique index: `check` with thousands of thresholds must
  // not read every series for each.
  const bool one_component = filter.components.size() == 1;
  const bool one_metric = one_component && filter.metrics.size() == 1;
  std::string sql = "SELECT id, node, component, name, labels, type, unit, sample_count, total_count, total_sum FROM series";
  if (one_component) sql += " WHERE component = ?1";
  if (one_metric) sql += " AND name = ?2";
  sqlite::Statement query(store.handle(), sql + " ORDER BY component, name, labels, node");
  if (one_component) query.bind(1, filter.components[0]);
  if (one_metric) query.bind(2, filter.metrics[0]);
  std::vector<SeriesInfo> out;
  while (query.step()) {
    SeriesInfo info;
    info.id = query.int64(0);
    info.node = query.text(1);
    info.component = query.text(2);
    info.name = query.text(3);
    info.labels_text = query.text(4);
    info.labels = parse_labels(info.labels_text).value_or(Labels{});
    info.type = parse_metric_type(query.text(5)).value_or(MetricType::counter);
    info.unit = query.text(6);
    info.count = query.int64(7);
    info.total_count = query.int64(8);
    info.total_sum = query.real(9);
    if (!matches(filter.components, info.component) || !matches(filter.metrics, info.name) ||
        !matches(filter.nodes, info.node) || !has_labels(info.labels, filter.labels))
      continue;
    out.push_back(std::move(info));
  }
  if (stats == WithStats::no) return out;

  // Two seeks a series, at either end of its part of the table: the count
  // is the series' own (schema 006), so no sample is counted here.
  sqlite::Statement first(store.handle(), "SELECT ts_ms FROM samples WHERE series_id = ?1 "
                                          "ORDER BY ts_ms, seq LIMIT 1");
  sqlite::Statement last(store.handle(), "SELECT ts_ms, value FROM samples WHERE series_id = ?1 "
                                         "ORDER BY ts_ms DESC, seq DESC LIMIT 1");
  for (auto& info : out) {
    first.reset();
    first.bind(1, info.id);
    if (first.step()) info.first = first.int64(0);
    last.reset();
    last.bind(1, info.id);
    if (last.step()) {
      info.last = last.int64(0);
      info.last_value = last.real(1);
    }
  }
  return out;
}

std::vector<ComponentInfo> list_components(Store& store) {
  std::vector<ComponentInfo> out;
  for (const auto& series : list_series(store, SeriesFilter{}, WithStats::yes)) {
    if (out.empty() || out.back().component != series.component)
      out.push_back(ComponentInfo{series.component, 0, 0, std::nullopt, std::nullopt});
    auto& component = out.back();
    ++component.series;
    component.samples += series.count;
    if (series.first && (!component.first_seen || *series.first < *component.first_seen))
      component.first_seen = series.first;
    if (series.last && (!component.last_seen || *series.last > *component.last_seen))
      component.last_seen = series.last;
  }
  return out;
}

std::vector<std::string> list_component_names(Store& store) {
  sqlite::Statement query(store.handle(), "SELECT DISTINCT component FROM series ORDER BY component");
  std::vector<std::string> out;
  while (query.step()) out.emplace_back(query.text(0));
  return out;
}

std::vector<SeriesInfo> with_samples_in(Store& store, std::vector<SeriesInfo> series,
                                        TimeRange range) {
  sqlite::Statement any(store.handle(), "SELECT EXISTS (SELECT 1 FROM samples WHERE series_id = ?1 "
                                        "AND ts_ms >= ?2 AND ts_ms < ?3)");
  std::erase_if(series, [&](const SeriesInfo& info) {
    any.reset();
    any.bind(1, info.id).bind(2, range.since).bind(3, range.until);
    any.step();
    return any.int64(0) == 0;
  });
  return series;
}

SampleTotals totals_since(Store& store, const SeriesInfo& series, Millis since) {
  sqlite::Statement query(store.handle(), "SELECT count(*), coalesce(sum(value), 0) FROM samples "
                                          "WHERE series_id = ?1 AND ts_ms >= ?2");
  query.bind(1, series.id).bind(2, since);
  query.step();
  return {query.int64(0), query.real(1)};
}

struct SampleScanner::Impl {
  sqlite::Statement samples;
};

namespace {

const char* scanner_sql(Store& store, WithContext context) {
  bool join = context == WithContext::yes;
  if (join) {
    // Samples skip the join entirely when no sample has context.
    sqlite::Statement any(store.handle(), "SELECT EXISTS (SELECT 1 FROM sample_context)");
    any.step();
    join = any.int64(0) != 0;
  }
  return join ? "SELECT x.ts_ms, x.value, c.context FROM samples x LEFT JOIN sample_context c "
                "ON c.series_id = x.series_id AND c.ts_ms = x.ts_ms AND c.seq = x.seq "
                "WHERE x.series_id = ?1 AND x.ts_ms >= ?2 AND x.ts_ms < ?3 ORDER BY x.ts_ms, x.seq"
              : "SELECT ts_ms, value, NULL FROM samples "
                "WHERE series_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, seq";
}

} // namespace

SampleScanner::SampleScanner(Store& store, WithContext context)
    : m_impl(new Impl{sqlite::Statement(store.handle(), scanner_sql(store, context))}) {}

SampleScanner::~SampleScanner() = default;

void SampleScanner::scan(const SeriesInfo& series, TimeRange range,
                         const std::function<void(const SampleRow&)>& visit) {
  auto& samples = m_impl->samples;
  samples.reset();
  samples.bind(1, series.id).bind(2, range.since).bind(3, range.until);
  while (samples.step())
    visit(SampleRow{&series, samples.int64(0), samples.real(1), samples.text(2)});
}

void scan_samples(Store& store, const SeriesFilter& filter, TimeRange range,
                  const std::function<void(const SampleRow&)>& visit) {
  const auto series = list_series(store, filter, WithStats::no);
  SampleScanner scanner(store, WithContext::yes);
  for (const auto& info : series) scanner.scan(info, range, visit);
}

ReadSnapshot::ReadSnapshot(Store& store)
    : m_store(store), m_owner(!sqlite::in_transaction(store.handle())) {
  if (!m_owner) return; // inside an outer snapshot, which this one shares
  sqlite::exec(store.handle(), "BEGIN");
  // A deferred transaction takes its snapshot at the first read: read now.
  sqlite::Statement(store.handle(), "SELECT count(*) FROM sqlite_schema").step();
}

ReadSnapshot::~ReadSnapshot() {
  if (!m_owner) return;
  try {
    sqlite::exec(m_store.handle(), "COMMIT");
  } catch (...) { // nothing was written: the snapshot ends with the connection
  }
}

} // namespace health
