#include <health/recorder.hpp>

#include <health/error.hpp>

#include "store/sqlite.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace health {

namespace {

std::string cache_key(const SeriesKey& key, const std::string& labels_text) {
  std::string out;
  out.reserve(key.node.size() + key.component.size() + key.name.size() + labels_text.size() + 3);
  out.append(key.component).append(1, '\x1f').append(key.name).append(1, '\x1f');
  out.append(labels_text).append(1, '\x1f').append(key.node);
  return out;
}

std::string describe(const SeriesKey& key, const std::string& labels_text) {
  std::string out = key.component + "/" + key.name;
  if (!labels_text.empty()) out += "{" + labels_text + "}";
  return out + " on node " + key.node;
}

} // namespace

// A statement prepared on first use: record() needs two of them, and
// preparing is a large part of a one-sample process's work.
class LazyStatement {
public:
  LazyStatement(sqlite3* db, const char* sql) : m_db(db), m_sql(sql) {}
  sqlite::Statement& operator*() {
    if (!m_statement) m_statement.emplace(m_db, m_sql);
    return *m_statement;
  }
  sqlite::Statement* operator->() { return &**this; }

private:
  sqlite3* m_db;
  const char* m_sql;
  std::optional<sqlite::Statement> m_statement;
};

struct Recorder::Impl {
  explicit Impl(sqlite3* connection)
      : find(connection, "SELECT id, type, unit FROM series "
                         "WHERE component = ?1 AND name = ?2 AND labels = ?3 AND node = ?4"),
        create(connection,
               "INSERT INTO series (node, component, name, labels, type, unit, created_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        insert_first(connection, "INSERT INTO samples (series_id, ts_ms, seq, value) "
                                 "VALUES (?1, ?2, 0, ?3) ON CONFLICT DO NOTHING"),
        insert_next(connection, "INSERT INTO samples (series_id, ts_ms, seq, value) "
                                "SELECT ?1, ?2, max(seq) + 1, ?3 FROM samples "
                                "WHERE series_id = ?1 AND ts_ms = ?2 RETURNING seq"),
        insert_context(connection, "INSERT INTO sample_context (series_id, ts_ms, seq, context) "
                                   "VALUES (?1, ?2, ?3, ?4)"),
        insert_at(connection, "INSERT INTO samples (series_id, ts_ms, seq, value) VALUES (?1, ?2, ?3, ?4)"),
        held_in(connection, "SELECT value, count(*), max(seq) FROM samples "
                            "WHERE series_id = ?1 AND ts_ms = ?2 GROUP BY value"),
        add_count(connection, "UPDATE series SET sample_count = sample_count + ?2, total_count = total_count + ?2, "
                              "total_sum = total_sum + ?3 WHERE id = ?1"),
        db(connection) {}

  // A millisecond of a series that holds samples already: the next free
  // position in it and how many samples of each value it holds, this
  // transaction's included. Read once per millisecond, so that thousands of
  // samples in one millisecond cost one scan of it, not one each.
  struct Crowded {
    std::int64_t next_seq = 0;
    std::unordered_map<double, std::int64_t> held;
  };
  struct MillisecondHash {
    std::size_t operator()(const std::pair<std::int64_t, Millis>& key) const noexcept {
      return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(key.first) * 1000003u ^
                                        static_cast<std::uint64_t>(key.second));
    }
  };

  // Inserts `sample` as the first of its millisecond; false, writing
  // nothing, when the series holds that millisecond already.
  bool insert_first_of_ms(std::int64_t series_id, const Sample& sample) {
    auto& first = *insert_first;
    first.reset();
    first.bind(1, series_id).bind(2, sample.ts).bind(3, sample.value);
    first.run();
    return sqlite::changes(db) != 0;
  }

  Crowded& crowded_at(std::int64_t series_id, Millis ts) {
    const auto key = std::make_pair(series_id, ts);
    if (auto it = crowded.find(key); it != crowded.end()) return it->second;
    if (crowded.size() >= k_max_crowded) crowded.clear(); // a cache: what it drops is read again
    Crowded entry;
    auto& query = *held_in;
    query.reset();
    query.bind(1, series_id).bind(2, ts);
    while (query.step()) {
      entry.held[query.real(0)] = query.int64(1);
      entry.next_seq = std::max(entry.next_seq, query.int64(2) + 1);
    }
    query.reset();
    return crowded.emplace(key, std::move(entry)).first->second;
  }

  static constexpr std::size_t k_max_crowded = 4096;

  struct Known {
    std::int64_t id;
    MetricType type;
    std::string unit;
  };

  // Checks `spec` against what the series already is.
  static void check_compatible(const SeriesSpec& spec, const Known& known,
                               const std::string& labels_text) {
    if (spec.type != known.type)
      throw Error(ErrorKind::bad_data,
                  "series " + describe(spec.key, labels_text) + " is a " +
                      std::string(to_string(known.type)) + ", not a " +
                      std::string(to_string(spec.type)),
                  "a series keeps the type it was first recorded with; use another name");
    if (!spec.unit.empty() && spec.unit != known.unit)
      throw Error(ErrorKind::bad_data,
                  "series " + describe(spec.key, labels_text) + " has unit '" + known.unit +
                      "', not '" + spec.unit + "'",
                  "a series keeps the unit it was first recorded with; omit --unit or use another name");
  }

  std::optional<Known> lookup(const SeriesSpec& spec, const std::string& labels_text,
                              const std::string& key) {
    if (auto it = cache.find(key); it != cache.end()) {
      check_compatible(spec, it->second, labels_text);
      return it->second;
    }
    auto& query = *find;
    query.reset();
    query.bind(1, spec.key.component).bind(2, spec.key.name).bind(3, labels_text).bind(4, spec.key.node);
    if (!query.step()) return std::nullopt;
    Known known{query.int64(0), parse_metric_type(query.text(1)).value_or(MetricType::counter),
                std::string(query.text(2))};
    query.reset();
    check_compatible(spec, known, labels_text);
    return cache.emplace(key, std::move(known)).first->second;
  }

  LazyStatement find;
  LazyStatement create;
  LazyStatement insert_first;
  LazyStatement insert_next;
  LazyStatement insert_context;
  LazyStatement insert_at;
  LazyStatement held_in;
  LazyStatement add_count;
  sqlite3* db;
  // Samples inserted and not yet added to their series' counts and running
  // sum, in runs of one series (ingest writes series by series).
  struct Added {
    std::int64_t series_id = 0;
    std::int64_t samples = 0;
    double sum = 0;
  };
  std::vector<Added> added;

  void count(std::int64_t series_id, double value) {
    if (added.empty() || added.back().series_id != series_id) added.push_back({series_id, 0, 0});
    ++added.back().samples;
    added.back().sum += value;
  }
  std::unordered_map<std::string, Known> cache;
  // Valid for one transaction, as the Recorder is (recorder.hpp).
  std::unordered_map<std::pair<std::int64_t, Millis>, Crowded, MillisecondHash> crowded;
  std::uint64_t created = 0;
};

Recorder::Recorder(Store& store) : m_impl(std::make_unique<Impl>(store.handle())) {}
Recorder::~Recorder() = default;

std::optional<std::int64_t> Recorder::find_series(const SeriesSpec& spec) {
  const std::string labels_text = format_labels(spec.key.labels);
  const auto known = m_impl->lookup(spec, labels_text, cache_key(spec.key, labels_text));
  if (!known) return std::nullopt;
  return known->id;
}

std::int64_t Recorder::series_id(const SeriesSpec& spec) {
  const std::string labels_text = format_labels(spec.key.labels);
  std::string key = cache_key(spec.key, labels_text);
  if (auto known = m_impl->lookup(spec, labels_text, key)) return known->id;

  std::string unit = spec.unit;
  if (unit.empty() && spec.type == MetricType::timer) unit = "ms";
  auto& create = *m_impl->create;
  create.reset();
  create.bind(1, spec.key.node).bind(2, spec.key.component).bind(3, spec.key.name);
  create.bind(4, labels_text).bind(5, to_string(spec.type)).bind(6, unit).bind(7, now_ms());
  create.run();
  const std::int64_t id = sqlite::last_insert_rowid(m_impl->db);
  m_impl->cache.emplace(std::move(key), Impl::Known{id, spec.type, std::move(unit)});
  ++m_impl->created;
  return id;
}

void Recorder::insert(std::int64_t series_id, const Sample& sample) {
  const std::int64_t seq = m_impl->insert_first_of_ms(series_id, sample) ? 0 : insert_after_others(series_id, sample);
  insert_context(series_id, sample, seq);
  m_impl->count(series_id, sample.value);
}

void Recorder::write_counts() {
  auto& add = *m_impl->add_count;
  for (const auto& [series_id, samples, sum] : m_impl->added) {
    add.reset();
    add.bind(1, series_id).bind(2, samples).bind(3, sum);
    add.run();
  }
  m_impl->added.clear();
}

bool Recorder::insert_unless_present(std::int64_t series_id, const Sample& sample, std::int64_t earlier) {
  auto& crowded = m_impl->crowded;
  if (crowded.empty() || crowded.find({series_id, sample.ts}) == crowded.end()) {
    // The common case costs one statement, as insert() does.
    if (m_impl->insert_first_of_ms(series_id, sample)) {
      insert_context(series_id, sample, 0);
      m_impl->count(series_id, sample.value);
      return true;
    }
  }
  auto& ms = m_impl->crowded_at(series_id, sample.ts);
  auto& held = ms.held[sample.value];
  if (held > earlier) return false;
  auto& at = *m_impl->insert_at;
  at.reset();
  at.bind(1, series_id).bind(2, sample.ts).bind(3, ms.next_seq).bind(4, sample.value);
  at.run();
  insert_context(series_id, sample, ms.next_seq);
  m_impl->count(series_id, sample.value);
  ++ms.next_seq;
  ++held;
  return true;
}

std::int64_t Recorder::insert_after_others(std::int64_t series_id, const Sample& sample) {
  auto& next = *m_impl->insert_next;
  next.reset();
  next.bind(1, series_id).bind(2, sample.ts).bind(3, sample.value);
  std::int64_t seq = 0;
  if (next.step()) seq = next.int64(0);
  next.reset();
  return seq;
}

void Recorder::insert_context(std::int64_t series_id, const Sample& sample, std::int64_t seq) {
  if (!sample.context.empty()) {
    auto& context = *m_impl->insert_context;
    context.reset();
    context.bind(1, series_id).bind(2, sample.ts).bind(3, seq).bind(4, sample.context);
    context.run();
  }
}

std::uint64_t Recorder::created_series() const noexcept { return m_impl->created; }

namespace {

// `sample` checked for recording into `spec`'s series, its context in
// canonical form; throws as record() documents.
Sample checked_sample(const SeriesSpec& spec, const Sample& sample, Millis now, AllowFuture allow_future) {
  if (auto problem = spec_problem(spec)) throw Error(ErrorKind::usage, *problem);
  if (auto problem = value_problem(spec.type, sample.value)) throw Error(ErrorKind::usage, *problem);
  if (auto problem = time_problem(sample.ts, now, allow_future)) throw Error(ErrorKind::usage, *problem);
  Sample checked = sample;
  if (!sample.context.empty()) {
    std::string problem;
    auto context = normalize_context(sample.context, &problem);
    if (!context) throw Error(ErrorKind::bad_data, problem, "pass a JSON object such as '{\"user\":\"u1\"}'");
    checked.context = std::move(*context);
  }
  return checked;
}

} // namespace

void record(Store& store, const SeriesSpec& spec, const Sample& sample, AllowFuture allow_future) {
  const Sample checked = checked_sample(spec, sample, now_ms(), allow_future);
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  Recorder recorder(store);
  recorder.insert(recorder.series_id(spec), checked);
  recorder.write_counts();
  transaction.commit();
}

void record(Store& store, const std::vector<Recording>& recordings, AllowFuture allow_future) {
  if (recordings.size() == 1) return record(store, recordings[0].spec, recordings[0].sample, allow_future);
  const Millis now = now_ms();
  std::vector<Sample> checked;
  checked.reserve(recordings.size());
  std::size_t number = 0;
  try {
    for (const auto& [spec, sample] : recordings) {
      ++number;
      checked.push_back(checked_sample(spec, sample, now, allow_future));
    }
    sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
    Recorder recorder(store);
    for (number = 1; number <= recordings.size(); ++number)
      recorder.insert(recorder.series_id(recordings[number - 1].spec), checked[number - 1]);
    recorder.write_counts();
    transaction.commit();
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::busy || error.kind() == ErrorKind::runtime) throw;
    throw sample_error(number, recordings[number - 1].spec.key.name, error);
  }
}

Error sample_error(std::size_t number, std::string_view name, const Error& error) {
  return Error(error.kind(), "sample " + std::to_string(number) + " (" + std::string(name) + "): " + error.what(),
               error.hint());
}

} // namespace health
