#include <health/ingest.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/recorder.hpp>
#include <health/series.hpp>

#include "record/exposition.hpp"
#include "store/sqlite.hpp"

#include <nlohmann/json.hpp>

#include <limits>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <future>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace health {

namespace {

using nlohmann::json;

constexpr std::size_t k_read_chunk = 1 << 20;
constexpr std::size_t k_max_line = 16 << 20;
constexpr std::uint64_t k_progress_every = 100000;

// Where a row came from, for messages: "name:line".
struct Where {
  enum class Kind { line, row }; // a line of a file, or a row of a json document's series
  const std::string* source;
  std::uint64_t line;
  Kind kind = Kind::line;
  std::string text() const {
    return *source + (kind == Kind::line ? ":" : ", row ") + std::to_string(line);
  }
};

// Throws for a bad row; ingest() adds what was committed before it.
[[noreturn]] void bad_row(const Where& where, const std::string& problem) {
  throw Error(ErrorKind::bad_data, where.text() + ": " + problem);
}

// Splits a stream into lines without copying them, in large chunks.
class LineReader {
public:
  LineReader(std::istream& in, const std::string& name)
      : m_in(in), m_name(name), m_buffer(k_read_chunk) {}

  // Sets `line` (without its '\n' or "\r\n") and returns true, or returns
  // false at the end of the input.
  bool next(std::string_view& line) {
    for (;;) {
      const char* start = m_buffer.data() + m_begin;
      const void* newline = std::memchr(start, '\n', m_end - m_begin);
      if (newline != nullptr) {
        const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
        line = trim_cr({start, length});
        m_begin += length + 1;
        m_bytes += length + 1;
        ++m_number;
        return true;
      }
      if (m_eof) {
        if (m_begin == m_end) return false;
        line = trim_cr({start, m_end - m_begin});
        m_bytes += m_end - m_begin;
        m_begin = m_end;
        ++m_number;
        return true;
      }
      fill();
    }
  }

  std::uint64_t number() const { return m_number; }
  // The bytes of the lines returned so far, line ends included.
  std::uint64_t bytes() const { return m_bytes; }

private:
  static std::string_view trim_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  void fill() {
    if (m_begin > 0) {
      std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
      m_end -= m_begin;
      m_begin = 0;
    }
    if (m_end == m_buffer.size()) {
      if (m_buffer.size() >= k_max_line)
        bad_row(Where{&m_name, m_number + 1}, "the line is longer than 16 MiB");
      m_buffer.resize(m_buffer.size() * 2);
    }
    m_in.read(m_buffer.data() + m_end, static_cast<std::streamsize>(m_buffer.size() - m_end));
    const auto got = static_cast<std::size_t>(m_in.gcount());
    m_end += got;
    if (got == 0) {
      if (m_in.bad()) throw Error(ErrorKind::runtime, m_name + ": cannot read the input");
      m_eof = true;
    }
  }

  std::istream& m_in;
  const std::string& m_name;
  std::vector<char> m_buffer;
  std::size_t m_begin = 0;
  std::size_t m_end = 0;
  bool m_eof = false;
  std::uint64_t m_number = 0;
  std::uint64_t m_bytes = 0;
};

// One input row with its fields as text or values; views are valid while the
// parser that made it keeps its line.
struct Row {
  std::optional<Millis> ts;
  std::string_view node, component, name, labels, type, unit, context;
  std::optional<double> value;
};

struct PendingSeries {
  SeriesSpec spec;
  std::string where;
  std::optional<std::int64_t> id;
  // The last millisecond of this series in the input and the values its
  // rows had in it, with how many of each: for telling a duplicate.
  Millis last_ts = std::numeric_limits<Millis>::min();
  std::vector<std::pair<double, std::uint32_t>> values_at_last_ts;

  // How many rows before this one had its millisecond and value.
  std::uint32_t earlier_rows(Millis ts, double value) {
    if (ts != last_ts) {
      last_ts = ts;
      values_at_last_ts.clear();
    }
    for (auto& [seen, count] : values_at_last_ts)
      if (seen == value) return count++;
    values_at_last_ts.emplace_back(value, 1);
    return 0;
  }
};

struct PendingSample {
  std::uint32_t series;
  std::uint32_t context; // 1-based index into contexts, 0 for none
  Millis ts;
  double value;
};

// The rows of one chunk, in input order: samples, the earlier-row counts kept
// aside (rare), and contexts.
struct Chunk {
  std::vector<PendingSample> samples;
  std::unordered_map<std::size_t, std::uint32_t> earlier; // sample index -> earlier rows, when not 0
  std::vector<std::string> contexts;
  bool ends_batch = false; // commit once it is written

  void clear() {
    samples.clear();
    earlier.clear();
    contexts.clear();
    ends_batch = false;
  }
  std::uint32_t earlier_of(std::size_t index) const {
    const auto it = earlier.find(index);
    return it == earlier.end() ? 0 : it->second;
  }
};

// Resolves `pending`'s series id with `resolve`, adding its origin to a type
// or unit conflict with the database.
template <typename Series, typename Resolve> void resolve_series(Series& pending, Resolve resolve) {
  try {
    pending.id = resolve(pending.spec);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::bad_data) throw;
    throw Error(ErrorKind::bad_data, pending.where + ": " + error.what(), error.hint());
  }
}

// Writes chunks into the store, each into the open transaction (a batch, or
// the whole ingest), series by series: in input order within a series, so
// rows interleaved by time land together at the end of each series' part of
// the clustered table. It runs on a thread of its own while the Loader
// checks the next chunk; the two never run at once on the same data.
class Writer {
public:
  explicit Writer(Store& store) : m_store(store) {}

  // Copies the series the Loader met since the last call.
  void learn(const std::vector<PendingSeries>& series) {
    for (std::size_t i = m_series.size(); i < series.size(); ++i)
      m_series.push_back({series[i].spec, series[i].where, std::nullopt});
    for (std::size_t i = 0; i < m_series.size(); ++i) m_series[i].spec.unit = series[i].spec.unit;
  }

  void write(const Chunk& chunk) {
    if (!m_transaction) {
      // Ids are read or created inside each transaction, never carried over
      // from an earlier one that another writer may have followed: so none
      // can dangle, and SQLite need not check them row by row.
      for (auto& known : m_series) known.id.reset();
      m_transaction.emplace(m_store.handle(), sqlite::TransactionKind::immediate, sqlite::ForeignKeys::trusted);
      m_recorder.emplace(m_store);
    }
    auto& recorder = *m_recorder;
    Sample sample;
    for (const std::uint32_t i : by_series(chunk.samples)) {
      const auto& pending_sample = chunk.samples[i];
      auto& known = m_series[pending_sample.series];
      if (!known.id) resolve_series(known, [&](const SeriesSpec& spec) { return recorder.series_id(spec); });
      sample.ts = pending_sample.ts;
      sample.value = pending_sample.value;
      if (pending_sample.context > 0) sample.context = chunk.contexts[pending_sample.context - 1];
      else sample.context.clear();
      if (recorder.insert_unless_present(*known.id, sample, chunk.earlier_of(i))) ++m_written;
    }
    recorder.write_counts();
    m_in_batch += chunk.samples.size();
    if (chunk.ends_batch) commit();
  }

  void commit() {
    if (!m_transaction) return;
    try {
      m_transaction->commit();
    } catch (...) {
      m_recorder.reset();
      m_transaction.reset();
      throw;
    }
    m_report.samples += m_written;
    m_report.duplicates += m_in_batch - m_written;
    m_report.new_series += m_recorder->created_series();
    ++m_report.batches;
    m_recorder.reset();
    m_transaction.reset();
    m_in_batch = 0;
    m_written = 0;
  }

  // What the committed batches hold.
  const IngestReport& report() const { return m_report; }

private:
  struct Known {
    SeriesSpec spec;
    std::string where;
    std::optional<std::int64_t> id;
  };

  // The indexes of `samples` ordered by series, stably (a counting sort).
  const std::vector<std::uint32_t>& by_series(const std::vector<PendingSample>& samples) {
    m_starts.assign(m_series.size() + 1, 0);
    for (const auto& pending_sample : samples) ++m_starts[pending_sample.series + 1];
    for (std::size_t i = 1; i < m_starts.size(); ++i) m_starts[i] += m_starts[i - 1];
    m_order.resize(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i)
      m_order[m_starts[samples[i].series]++] = static_cast<std::uint32_t>(i);
    return m_order;
  }

  Store& m_store;
  std::vector<Known> m_series;
  std::vector<std::uint32_t> m_starts, m_order; // by_series()'s scratch
  std::optional<sqlite::Transaction> m_transaction;
  std::optional<Recorder> m_recorder;
  std::uint64_t m_in_batch = 0; // rows written into the open transaction, duplicates included
  std::uint64_t m_written = 0;  // samples among them
  IngestReport m_report;
};

// Checks rows and gathers them into chunks of `rows_in_memory`. A full chunk
// goes to the Writer, which writes it on a second thread while this one
// checks the next: two chunks at most are in memory.
class Loader {
public:
  Loader(Store* store, const IngestOptions& options, Millis now)
      : m_store(store), m_options(options), m_now(now) {
    if (store != nullptr && options.dry_run == DryRun::no) m_writer.emplace(*store);
  }
  // An error leaves the open transaction to roll back, once the Writer is done.
  ~Loader() {
    if (m_writing.valid()) m_writing.wait();
  }
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void add(const Row& row, const Where& where) {
    const std::uint32_t series = intern(row, where);
    const MetricType type = m_series[series].spec.type;

    if (!row.ts) bad_row(where, "missing ts or ts_ms");
    if (auto problem = time_problem(*row.ts, m_now, m_options.allow_future)) bad_row(where, *problem);
    double value = 1;
    if (row.value) value = *row.value;
    else if (type != MetricType::counter)
      bad_row(where, "missing value (only a counter defaults to 1)");
    if (auto problem = value_problem(type, value)) bad_row(where, *problem);

    std::uint32_t context = 0;
    if (!row.context.empty()) {
      std::string problem;
      auto compact = normalize_context(row.context, &problem);
      if (!compact) bad_row(where, problem);
      m_chunk.contexts.push_back(std::move(*compact));
      context = static_cast<std::uint32_t>(m_chunk.contexts.size());
    }
    // Rows before this one with its series, millisecond and value: rare, so
    // kept aside, and a pending sample stays 24 bytes.
    if (const auto earlier = m_series[series].earlier_rows(*row.ts, value); earlier > 0)
      m_chunk.earlier.emplace(m_chunk.samples.size(), earlier);
    m_chunk.samples.push_back({series, context, *row.ts, value});
    if (m_chunk.samples.size() >= std::max<std::size_t>(m_options.rows_in_memory, 1) ||
        (m_options.batch_size > 0 && m_rows_in_batch + m_chunk.samples.size() >= m_options.batch_size))
      flush(Last::no);
  }

  // What earlier batches committed, for the message of a later failure.
  std::string committed_so_far() {
    if (m_options.dry_run == DryRun::yes) return "dry run: nothing was written";
    if (m_writing.valid()) m_writing.wait();
    const auto& written = m_writer ? m_writer->report() : m_report;
    if (written.batches == 0) return "nothing was written";
    return std::to_string(written.samples) + " samples in " + std::to_string(written.batches) +
           " batches were committed before this";
  }

  // Writes what is left and returns the totals.
  IngestReport finish(std::uint64_t lines) {
    flush(Last::yes);
    IngestReport report = m_report;
    if (m_writer) {
      m_writer->commit();
      report = m_writer->report();
    }
    report.lines = lines;
    report.series = m_series.size();
    return report;
  }

private:
  enum class Last { no, yes };

  std::uint32_t intern(const Row& row, const Where& where) {    const std::string_view node = row.node.empty() ? std::string_view(m_options.default_node) : row.node;
    m_key.clear();
    for (const auto part : {node, row.component, row.name, row.labels, row.type, row.unit})
      m_key.append(part).append(1, '\x1f');
    if (m_last && m_key == m_last_key) return *m_last;
    if (auto it = m_raw.find(m_key); it != m_raw.end()) {
      remember(it->second);
      return it->second;
    }

    SeriesSpec spec;
    spec.key.node = node;
    spec.key.component = row.component;
    spec.key.name = row.name;
    std::string problem;
    auto labels = parse_labels(row.labels, &problem);
    if (!labels) bad_row(where, problem);
    spec.key.labels = std::move(*labels);
    if (!row.type.empty()) {
      auto type = parse_metric_type(row.type);
      if (!type)
        bad_row(where, "unknown type '" + std::string(row.type) +
                           "' (use counter, gauge, timer or rolling)");
      spec.type = *type;
    }
    spec.unit = row.unit;
    if (auto spec_error = spec_problem(spec)) bad_row(where, *spec_error);

    const std::string canonical = spec.key.component + '\x1f' + spec.key.name + '\x1f' +
                                  format_labels(spec.key.labels) + '\x1f' + spec.key.node;
    std::uint32_t index = 0;
    if (auto it = m_canonical.find(canonical); it != m_canonical.end()) {
      index = it->second;
      auto& known = m_series[index].spec;
      if (known.type != spec.type)
        bad_row(where, "series " + spec.key.component + "/" + spec.key.name + " is a " +
                           std::string(to_string(known.type)) + " since " + m_series[index].where +
                           ", not a " + std::string(to_string(spec.type)));
      if (!spec.unit.empty()) {
        if (known.unit.empty()) known.unit = spec.unit;
        else if (known.unit != spec.unit)
          bad_row(where, "series " + spec.key.component + "/" + spec.key.name + " has unit '" +
                             known.unit + "' since " + m_series[index].where + ", not '" +
                             spec.unit + "'");
      }
    } else {
      index = static_cast<std::uint32_t>(m_series.size());
      PendingSeries pending;
      pending.spec = std::move(spec);
      pending.where = where.text();
      m_series.push_back(std::move(pending));
      m_canonical.emplace(canonical, index);
    }
    m_raw.emplace(m_key, index);
    remember(index);
    return index;
  }

  void remember(std::uint32_t index) {
    m_last = index;
    m_last_key = m_key;
  }

  // Hands the chunk to the Writer (on its thread, unless it is the last:
  // that one is written here), once the Writer is done with the one before;
  // an error of that one is thrown here.
  void flush(Last last) {
    if (m_chunk.samples.empty() && !m_writing.valid()) return;
    if (m_options.dry_run == DryRun::yes) {
      check_against_store();
      m_report.samples += m_chunk.samples.size();
      m_chunk.clear();
      return;
    }
    if (m_writing.valid()) m_writing.get();
    if (m_chunk.samples.empty()) return;
    m_rows_in_batch += m_chunk.samples.size();
    if (m_options.batch_size > 0 && m_rows_in_batch >= m_options.batch_size) {
      m_chunk.ends_batch = true;
      m_rows_in_batch = 0;
    }
    m_writer->learn(m_series);
    std::swap(m_chunk, m_written);
    m_chunk.clear();
    if (last == Last::yes) m_writer->write(m_written);
    else m_writing = std::async(std::launch::async, [this] { m_writer->write(m_written); });
  }

  void check_against_store() {
    if (m_store == nullptr) return;
    Recorder recorder(*m_store);
    for (auto& pending : m_series) {
      if (!pending.id)
        resolve_series(pending, [&](const SeriesSpec& spec) {
          return recorder.find_series(spec).value_or(-1);
        });
    }
  }

  Store* m_store;
  const IngestOptions& m_options;
  Millis m_now; // the anchor of relative times and of "in the future"
  std::vector<PendingSeries> m_series;
  std::unordered_map<std::string, std::uint32_t> m_raw;       // raw row fields -> series
  std::unordered_map<std::string, std::uint32_t> m_canonical; // identity -> series
  std::string m_key;
  std::string m_last_key;
  std::optional<std::uint32_t> m_last;
  Chunk m_chunk;                  // being checked
  Chunk m_written;                // with the Writer
  std::size_t m_rows_in_batch = 0; // rows handed to the Writer since the last batch ended
  std::optional<Writer> m_writer; // none in a dry run
  std::future<void> m_writing;    // the Writer at work on m_written
  IngestReport m_report;          // of a dry run
};

// ---- NDJSON ---------------------------------------------------------------

const char* const k_fields_hint = "fields are ts or ts_ms, node, component, name, labels, "
                                  "type, unit, value, context";

// The text a line's fields point into, kept across lines to reuse memory.
struct NdjsonScratch {
  std::string labels;
  std::string context;
};

// A strict reader for the flat objects that export writes and most producers
// emit: string keys and values without escapes, numbers, null, a labels
// object of plain strings and a context object. It returns false, having
// accepted nothing, on anything else (escapes, unknown fields, wrong types,
// malformed JSON), and the general parser then reads the line and names the
// problem. Whatever it accepts is valid JSON read the same way.
class FlatObjectReader {
public:
  FlatObjectReader(std::string_view line, Row& row, std::string_view& ts_text, NdjsonScratch& scratch)
      : m_text(line), m_row(row), m_ts_text(ts_text), m_scratch(scratch) {}

  bool read() {
    skip_space();
    if (!object([this](std::string_view key) { return field(key); })) return false;
    skip_space();
    return m_pos == m_text.size();
  }

private:
  bool field(std::string_view key) {
    if (key == "ts") return optional_string(m_ts_text);
    if (key == "node") return optional_string(m_row.node);
    if (key == "component") return optional_string(m_row.component);
    if (key == "name") return optional_string(m_row.name);
    if (key == "type") return optional_string(m_row.type);
    if (key == "unit") return optional_string(m_row.unit);
    if (key == "ts_ms") {
      if (null()) return true;
      std::string_view digits;
      if (!number(digits, /*integer_only=*/true)) return false;
      m_row.ts = parse_whole_number(digits);
      return m_row.ts.has_value();
    }
    if (key == "value") {
      if (null()) return true;
      std::string_view digits;
      if (!number(digits, false)) return false;
      m_row.value = parse_value(digits);
      return m_row.value.has_value();
    }
    if (key == "labels") return null() || labels();
    if (key == "context") return null() || context();
    return false;
  }

  // An object `{"key": value, ...}` whose values `member(key)` reads.
  template <typename Member> bool object(Member member) {
    if (!take('{')) return false;
    skip_space();
    if (take('}')) return true;
    do {
      skip_space();
      std::string_view key;
      if (!string(key)) return false;
      skip_space();
      if (!take(':')) return false;
      skip_space();
      if (!member(key)) return false;
      skip_space();
    } while (take(','));
    return take('}');
  }

  bool labels() {
    Labels labels;
    const bool read = object([&](std::string_view label) {
      std::string_view value;
      if (!string(value)) return false;
      labels.emplace_back(label, value);
      return true;
    });
    // A key the canonical text form cannot hold (it would come apart into
    // other labels) goes to the general parser, which names the problem;
    // every other rule is checked once per new series, by parse_labels.
    if (!read) return false;
    for (const auto& [key, value] : labels)
      if (key.find_first_of("=;\\") != std::string::npos) return false;
    m_scratch.labels = format_labels(labels);
    m_row.labels = m_scratch.labels;
    return true;
  }

  // Takes the whole object as text; normalize_context() checks it later.
  bool context() {
    if (peek() != '{') return false;
    const std::size_t begin = m_pos;
    int depth = 0;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos++];
      if (c == '"') {
        while (m_pos < m_text.size() && m_text[m_pos] != '"') m_pos += m_text[m_pos] == '\\' ? 2U : 1U;
        if (m_pos >= m_text.size()) return false;
        ++m_pos;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          m_scratch.context.assign(m_text.substr(begin, m_pos - begin));
          m_row.context = m_scratch.context;
          return true;
        }
      }
    }
    return false;
  }

  bool optional_string(std::string_view& out) {
    if (null()) {
      out = {};
      return true;
    }
    return string(out);
  }

  // A string without escapes or control characters.
  bool string(std::string_view& out) {
    if (!take('"')) return false;
    const std::size_t begin = m_pos;
    while (m_pos < m_text.size()) {
      const auto c = static_cast<unsigned char>(m_text[m_pos]);
      if (c == '"') {
        out = m_text.substr(begin, m_pos - begin);
        ++m_pos;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
      ++m_pos;
    }
    return false;
  }

  // A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(std::string_view& out, bool integer_only) {
    const std::size_t begin = m_pos;
    take('-');
    if (take('0')) {
    } else if (digits() == 0) {
      return false;
    }
    if (!integer_only) {
      if (take('.') && digits() == 0) return false;
      if (take('e') || take('E')) {
        if (!take('+')) take('-');
        if (digits() == 0) return false;
      }
    }
    out = m_text.substr(begin, m_pos - begin);
    const char next = peek();
    return next == ',' || next == '}' || next == ' ' || next == '\t';
  }

  std::size_t digits() {
    const std::size_t begin = m_pos;
    while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') ++m_pos;
    return m_pos - begin;
  }

  bool null() {
    if (m_text.substr(m_pos, 4) != "null") return false;
    m_pos += 4;
    return true;
  }

  char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
  bool take(char c) {
    if (peek() != c) return false;
    ++m_pos;
    return true;
  }
  void skip_space() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t')) ++m_pos;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
  Row& m_row;
  std::string_view& m_ts_text;
  NdjsonScratch& m_scratch;
};

// Reads a line of any JSON with nlohmann/json and names what is wrong with it.
void read_general_line(const json& doc, const Where& where, Row& row, std::string_view& ts_text,
                       NdjsonScratch& scratch) {
  if (doc.is_discarded()) bad_row(where, "not valid JSON");
  if (!doc.is_object()) bad_row(where, "a line must be a JSON object");
  const auto text_field = [&](const json& value, const char* field) -> std::string_view {
    if (value.is_null()) return {};
    if (!value.is_string()) bad_row(where, std::string(field) + " must be a string");
    return value.get_ref<const std::string&>();
  };
  for (const auto& [key, value] : doc.items()) {
    if (key == "ts_ms") {
      if (value.is_null()) continue;
      if (!value.is_number_integer()) bad_row(where, "ts_ms must be an integer");
      row.ts = value.get<std::int64_t>();
    } else if (key == "ts") {
      ts_text = text_field(value, "ts");
    } else if (key == "node") {
      row.node = text_field(value, "node");
    } else if (key == "component") {
      row.component = text_field(value, "component");
    } else if (key == "name") {
      row.name = text_field(value, "name");
    } else if (key == "type") {
      row.type = text_field(value, "type");
    } else if (key == "unit") {
      row.unit = text_field(value, "unit");
    } else if (key == "value") {
      if (value.is_null()) continue;
      if (!value.is_number()) bad_row(where, "value must be a number");
      row.value = value.get<double>();
    } else if (key == "labels") {
      if (value.is_null()) continue;
      if (!value.is_object()) bad_row(where, "labels must be an object of strings");
      Labels labels;
      for (const auto& [label, label_value] : value.items()) {
        if (!label_value.is_string()) bad_row(where, "label " + label + " must be a string");
        labels.emplace_back(label, label_value.get<std::string>());
      }
      // Checked here, as -l checks them: a key holding '=' or ';' would
      // otherwise come apart into other labels in the canonical text form.
      if (auto problem = normalize_labels(labels)) bad_row(where, *problem);
      scratch.labels = format_labels(labels);
      row.labels = scratch.labels;
    } else if (key == "context") {
      if (value.is_null()) continue;
      if (!value.is_object()) bad_row(where, "context must be a JSON object");
      scratch.context = value.dump();
      row.context = scratch.context;
    } else {
      bad_row(where, "unknown field '" + key + "' (" + k_fields_hint + ")");
    }
  }
}

void parse_ndjson_line(std::string_view line, const Where& where, Millis now, Loader& loader,
                       NdjsonScratch& scratch) {
  Row row;
  std::string_view ts_text;
  json doc; // owns the strings `row` points into when the general reader ran
  if (!FlatObjectReader(line, row, ts_text, scratch).read()) {
    row = Row{};
    ts_text = {};
    if (json_too_deep(line))
      bad_row(where, "the line is nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    doc = json::parse(line.begin(), line.end(), nullptr, false);
    read_general_line(doc, where, row, ts_text, scratch);
  }
  if (!row.ts && !ts_text.empty()) {
    row.ts = try_parse_time(ts_text, now);
    if (!row.ts) bad_row(where, "invalid time '" + std::string(ts_text) + "' in ts");
  }
  loader.add(row, where);
}

// ---- CSV --------------------------------------------------------------------

enum class Column { ts, ts_ms, node, component, name, labels, type, unit, value, context };

std::optional<Column> column_named(std::string_view name) {
  static const std::pair<std::string_view, Column> k_columns[] = {
      {"ts", Column::ts},       {"ts_ms", Column::ts_ms},   {"node", Column::node},
      {"component", Column::component}, {"name", Column::name}, {"labels", Column::labels},
      {"type", Column::type},   {"unit", Column::unit},     {"value", Column::value},
      {"context", Column::context}};
  for (const auto& [text, column] : k_columns)
    if (text == name) return column;
  return std::nullopt;
}

// Splits RFC 4180 records (with ',' or, for TSV, a tab between fields). A
// quoted field may hold separators, doubled quotes and line breaks.
class CsvRecords {
public:
  CsvRecords(LineReader& lines, const std::string& name, char separator)
      : m_lines(lines), m_name(name), m_separator(separator) {}

  // Reads the next non-empty record into fields(); false at the end.
  bool next(std::uint64_t& first_line) {
    std::string_view line;
    do {
      if (!m_lines.next(line)) return false;
    } while (line.empty());
    first_line = m_lines.number();
    if (line.find('"') == std::string_view::npos) {
      split_plain(line);
      return true;
    }
    m_record.assign(line);
    while (!quotes_balanced(m_record)) {
      if (!m_lines.next(line))
        bad_row(Where{&m_name, first_line}, "a quoted field never ends");
      m_record.append(1, '\n').append(line);
    }
    split_quoted(m_record, first_line);
    return true;
  }

  const std::vector<std::string_view>& fields() const { return m_fields; }

private:
  static bool quotes_balanced(std::string_view record) {
    std::size_t quotes = 0;
    for (const char c : record) quotes += c == '"' ? 1 : 0;
    return quotes % 2 == 0;
  }

  void split_plain(std::string_view line) {
    m_fields.clear();
    std::size_t start = 0;
    for (;;) {
      const auto comma = line.find(m_separator, start);
      if (comma == std::string_view::npos) {
        m_fields.push_back(line.substr(start));
        return;
      }
      m_fields.push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
  }

  void split_quoted(std::string_view record, std::uint64_t line) {
    m_fields.clear();
    m_unquoted.clear();
    m_unquoted.reserve(record.size()); // views into it must not move
    std::size_t i = 0;
    for (;;) {
      if (i < record.size() && record[i] == '"') {
        const std::size_t begin = m_unquoted.size();
        ++i;
        for (;;) {
          if (i >= record.size()) bad_row(Where{&m_name, line}, "a quoted field never ends");
          if (record[i] == '"') {
            if (i + 1 < record.size() && record[i + 1] == '"') {
              m_unquoted += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          m_unquoted += record[i++];
        }
        m_fields.emplace_back(m_unquoted.data() + begin, m_unquoted.size() - begin);
        if (i < record.size() && record[i] != m_separator)
          bad_row(Where{&m_name, line}, "text after a closing quote");
      } else {
        const auto comma = record.find(m_separator, i);
        const auto end = comma == std::string_view::npos ? record.size() : comma;
        const auto field = record.substr(i, end - i);
        if (field.find('"') != std::string_view::npos)
          bad_row(Where{&m_name, line}, "a quote inside an unquoted field");
        m_fields.push_back(field);
        i = end;
      }
      if (i >= record.size()) return;
      ++i; // the comma
      if (i == record.size()) {
        m_fields.emplace_back();
        return;
      }
    }
  }

  LineReader& m_lines;
  const std::string& m_name;
  char m_separator;
  std::string m_record;
  std::string m_unquoted;
  std::vector<std::string_view> m_fields;
};

void read_csv(LineReader& lines, const std::string& name, Millis now, Loader& loader,
              const IngestOptions& options) {
  CsvRecords records(lines, name, options.format == IngestFormat::tsv ? '\t' : ',');
  std::uint64_t line = 0;
  const auto where = [&] { return Where{&name, line}; };
  if (!records.next(line)) return;
  std::vector<Column> columns;
  for (auto field : records.fields()) {
    if (columns.empty() && field.substr(0, 3) == "\xEF\xBB\xBF") field.remove_prefix(3);
    const auto column = column_named(field);
    if (!column)
      bad_row(where(), "unknown column '" + std::string(field) + "' (columns are ts, ts_ms, node, "
                       "component, name, labels, type, unit, value, context)");
    for (const auto seen : columns)
      if (seen == *column) bad_row(where(), "column '" + std::string(field) + "' appears twice");
    columns.push_back(*column);
  }
  const auto has = [&](Column column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  if (!has(Column::ts) && !has(Column::ts_ms)) bad_row(where(), "the header has no ts or ts_ms column");
  if (!has(Column::component)) bad_row(where(), "the header has no component column");
  if (!has(Column::name)) bad_row(where(), "the header has no name column");

  for (;;) {
    if (!records.next(line)) return;
    const auto& fields = records.fields();
    if (fields.size() != columns.size())
      bad_row(where(), "expected " + std::to_string(columns.size()) + " fields, found " +
                           std::to_string(fields.size()));
    Row row;
    std::string_view ts_text;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto field = fields[i];
      switch (columns[i]) {
      case Column::ts_ms:
        if (field.empty()) break;
        row.ts = parse_whole_number(field);
        if (!row.ts) bad_row(where(), "ts_ms '" + std::string(field) + "' is not an integer");
        break;
      case Column::ts: ts_text = field; break;
      case Column::node: row.node = field; break;
      case Column::component: row.component = field; break;
      case Column::name: row.name = field; break;
      case Column::labels: row.labels = field; break;
      case Column::type: row.type = field; break;
      case Column::unit: row.unit = field; break;
      case Column::context: row.context = field; break;
      case Column::value:
        if (field.empty()) break;
        row.value = parse_value(field);
        if (!row.value) bad_row(where(), "value '" + std::string(field) + "' is not a finite number");
        break;
      }
    }
    if (!row.ts && !ts_text.empty()) {
      row.ts = try_parse_time(ts_text, now);
      if (!row.ts) bad_row(where(), "invalid time '" + std::string(ts_text) + "' in ts");
    }
    loader.add(row, where());
    if (options.progress && line % k_progress_every == 0) options.progress({"reading", lines.bytes(), 0, true});
  }
}

void read_ndjson(LineReader& lines, const std::string& name, Millis now, Loader& loader,
                 const IngestOptions& options) {
  std::string_view line;
  NdjsonScratch scratch;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    parse_ndjson_line(line, Where{&name, lines.number()}, now, loader, scratch);
    if (options.progress && lines.number() % k_progress_every == 0)
      options.progress({"reading", lines.bytes(), 0, true});
  }
}

// ---- The json document of export ----------------------------------------------

[[noreturn]] void bad_document(const std::string& name, const std::string& problem) {
  throw Error(ErrorKind::bad_data, name + ": " + problem + " (ingest --format json reads the document of "
                                                          "'healthctl export --format json', without --step)");
}

const json& member(const json& object, const char* key, json::value_t type, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->type() != type)
    bad_document(where, std::string("\"") + key + "\" is missing or of the wrong type");
  return *it;
}

// One series of the document: its fields as a Row and the column of each
// row's ts, value and context.
struct DocumentSeries {
  Row row;
  std::string labels;
  std::size_t ts = 0, value = 0;
  std::optional<std::size_t> context;
};

DocumentSeries document_series(const json& series, const std::string& where) {
  DocumentSeries out;
  const auto text = [&](const char* key) -> std::string_view {
    return member(series, key, json::value_t::string, where).get_ref<const std::string&>();
  };
  out.row.name = text("name");
  out.row.node = text("node");
  out.row.type = text("type");
  out.row.unit = text("unit");
  Labels labels;
  for (const auto& [key, value] : member(series, "labels", json::value_t::object, where).items()) {
    if (!value.is_string()) bad_document(where, "label " + key + " must be a string");
    labels.emplace_back(key, value.get<std::string>());
  }
  if (auto problem = normalize_labels(labels)) bad_document(where, *problem);
  out.labels = format_labels(labels);
  const auto& columns = member(series, "columns", json::value_t::array, where);
  std::optional<std::size_t> ts, value;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string column = columns[i].is_string() ? columns[i].get<std::string>() : "";
    if (column == "ts") ts = i;
    else if (column == "value") value = i;
    else if (column == "context") out.context = i;
    else bad_document(where, "column '" + column + "' is not one of ts, value, context");
  }
  if (!ts || !value) bad_document(where, "the columns must hold ts and value");
  out.ts = *ts;
  out.value = *value;
  return out;
}

// Reads every row of every series of the document and hands it to `loader`;
// returns the number of rows.
std::uint64_t read_series_rows(const json& series, const std::string& name, const std::string& component,
                               Millis now, Loader& loader) {
  const std::string where = name + ": series " + component + "/" +
                            (series.contains("name") && series["name"].is_string() ? series["name"].get<std::string>() : "?");
  DocumentSeries fields = document_series(series, where);
  fields.row.component = component;
  fields.row.labels = fields.labels;
  std::uint64_t number = 0;
  std::string context;
  for (const auto& cells : member(series, "rows", json::value_t::array, where)) {
    ++number;
    const Where at{&where, number, Where::Kind::row};
    if (!cells.is_array() || cells.size() <= std::max({fields.ts, fields.value, fields.context.value_or(0)}))
      bad_row(at, "a row must be an array with a cell per column");
    Row row = fields.row;
    const auto& ts = cells[fields.ts];
    if (!ts.is_string()) bad_row(at, "ts must be a string");
    row.ts = try_parse_time(ts.get_ref<const std::string&>(), now);
    if (!row.ts) bad_row(at, "invalid time '" + ts.get<std::string>() + "' in ts");
    if (!cells[fields.value].is_number()) bad_row(at, "value must be a number");
    row.value = cells[fields.value].get<double>();
    if (fields.context && !cells[*fields.context].is_null()) {
      if (!cells[*fields.context].is_object()) bad_row(at, "context must be a JSON object");
      context = cells[*fields.context].dump();
      row.context = context;
    }
    loader.add(row, at);
  }
  return number;
}

// The document `healthctl export --format json` writes, read whole; returns
// the number of rows.
std::uint64_t read_json_document(std::istream& in, const std::string& name, Millis now, Loader& loader) {
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0)
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw Error(ErrorKind::runtime, name + ": cannot read the input");
  if (json_too_deep(text))
    bad_document(name, "nested deeper than " + std::to_string(k_max_json_depth) + " levels");
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) bad_document(name, "not a JSON object");
  if (const auto step = doc.find("step"); step != doc.end() && !step->is_null())
    bad_document(name, "a bucketed export (step " + step->dump() + ") holds buckets, not samples");
  std::uint64_t rows = 0;
  for (const auto& [component, body] : member(doc, "components", json::value_t::object, name).items()) {
    const std::string where = name + ": component " + component;
    if (!body.is_object()) bad_document(where, "a component must be an object");
    for (const auto& series : member(body, "series", json::value_t::array, where)) {
      if (!series.is_object()) bad_document(where, "a series must be an object");
      rows += read_series_rows(series, name, component, now, loader);
    }
  }
  return rows;
}

} // namespace

IngestReport ingest(Store* store, const std::vector<IngestSource>& sources,
                    const IngestOptions& options) {
  if (store == nullptr && options.dry_run == DryRun::no)
    throw Error(ErrorKind::runtime, "ingest needs a database to write to");
  if (options.format == IngestFormat::prometheus || options.format == IngestFormat::openmetrics)
    return ingest_exposition(store, sources, options);
  const Millis now = options.now != 0 ? options.now : now_ms();
  Loader loader(store, options, now);
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0; // of the sources before this one
  IngestOptions source_options = options;
  if (options.progress)
    source_options.progress = [&options, &bytes](const Progress& p) {
      options.progress({p.step, bytes + p.done, 0, true});
    };
  for (const auto& source : sources) {
    LineReader reader(*source.in, source.name);
    try {
      if (options.format == IngestFormat::json) lines += read_json_document(*source.in, source.name, now, loader);
      else if (options.format == IngestFormat::ndjson) read_ndjson(reader, source.name, now, loader, source_options);
      else read_csv(reader, source.name, now, loader, source_options);
    } catch (const Error& error) {
      if (error.sqlite_code() != 0) throw;
      throw Error(error.kind(), error.what(), loader.committed_so_far());
    }
    lines += reader.number();
    bytes += reader.bytes();
    if (options.progress) options.progress({"reading", bytes, 0, true});
  }
  return loader.finish(lines);
}

} // namespace health
