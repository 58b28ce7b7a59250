#include <health/export.hpp>

#include <health/error.hpp>
#include <health/format.hpp>

#include <array>
#include <charconv>
#include <set>

namespace health {

namespace {

constexpr std::size_t k_flush_bytes = 1 << 18;

// Buffers output and hands it to the sink in large pieces.
class Output {
public:
  explicit Output(const TextSink& sink) : m_sink(sink) { m_text.reserve(k_flush_bytes + 4096); }
  std::string& text() { return m_text; }
  void maybe_flush() {
    if (m_text.size() >= k_flush_bytes) flush();
  }
  void flush() {
    if (!m_text.empty()) m_sink(m_text);
    m_text.clear();
  }

private:
  const TextSink& m_sink;
  std::string m_text;
};

void append_integer(std::string& out, std::int64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

char separator_of(ExportFormat format) { return format == ExportFormat::tsv ? '\t' : ','; }

// The header of the csv and tsv formats: value and context for raw samples,
// one column per aggregate for buckets.
std::string header(ExportFormat format, const std::vector<Agg>* aggs) {
  const char separator = separator_of(format);
  std::string out;
  for (const char* column : {"ts", "ts_ms", "node", "component", "name", "labels", "type", "unit"}) {
    out += column;
    out += separator;
  }
  if (aggs == nullptr) {
    out += "value";
    out += separator;
    out += "context";
  } else {
    for (std::size_t i = 0; i < aggs->size(); ++i) {
      if (i > 0) out += separator;
      out += to_string((*aggs)[i]);
    }
  }
  out += '\n';
  return out;
}

// What every row of a series repeats, built once per series: for ndjson the
// fields between ts_ms and the values, for csv/tsv the identity columns.
std::string series_fields(ExportFormat format, const SeriesInfo& series) {
  std::string out;
  if (format == ExportFormat::ndjson) {
    out += ",\"node\":";
    append_json_string(out, series.node);
    out += ",\"component\":";
    append_json_string(out, series.component);
    out += ",\"name\":";
    append_json_string(out, series.name);
    out += ",\"labels\":";
    append_labels_json(out, series.labels);
    out += ",\"type\":\"";
    out += to_string(series.type);
    out += "\",\"unit\":";
    append_json_string(out, series.unit);
    return out;
  }
  const char separator = separator_of(format);
  for (const std::string_view field : {std::string_view(series.node), std::string_view(series.component),
                                       std::string_view(series.name),
                                       std::string_view(series.labels_text), to_string(series.type),
                                       std::string_view(series.unit)}) {
    out += separator;
    append_csv_field(out, field, separator);
  }
  return out;
}

void append_stats_json(std::string& out, const Stats& stats) {
  out += "{\"count\":";
  append_integer(out, static_cast<std::int64_t>(stats.count));
  const std::pair<const char*, double> fields[] = {
      {"sum", stats.sum}, {"min", stats.min}, {"max", stats.max}, {"avg", stats.avg},
      {"p50", stats.p50}, {"p95", stats.p95}, {"p99", stats.p99}, {"last", stats.last}};
  for (const auto& [name, value] : fields) {
    out += ",\"";
    out += name;
    out += "\":";
    append_statistic(out, value);
  }
  out += '}';
}

class Exporter {
public:
  Exporter(Store& store, const ExportOptions& options, const TextSink& sink, Millis step,
           std::vector<Agg> aggs)
      : m_options(options), m_out(sink),
        m_scanner(store, step == 0 ? WithContext::yes : WithContext::no), m_step(step),
        m_aggs(std::move(aggs)) {}

  ExportTotals run(const std::vector<SeriesInfo>& series, Millis generated_at) {
    if (m_options.format == ExportFormat::json)
      write_document(series, generated_at);
    else
      write_rows(series);
    m_out.flush();
    return m_totals;
  }

private:
  void count_series(const std::vector<SeriesInfo>& series) {
    std::set<std::string_view> components;
    for (const auto& info : series) components.insert(info.component);
    m_totals.components = components.size();
    m_totals.series = series.size();
  }

  void append_time_text(std::string& out, Millis t) {
    if (m_options.zone.is_utc())
      append_time(out, t);
    else
      append_time(out, t, m_options.zone);
  }

  // ndjson, csv and tsv: one line per sample or bucket.
  void write_rows(const std::vector<SeriesInfo>& series) {
    count_series(series);
    const ExportFormat format = m_options.format;
    if (format != ExportFormat::ndjson)
      m_out.text() = header(format, m_step == 0 ? nullptr : &m_aggs);
    const char separator = separator_of(format);
    for (const auto& info : series) {
      const std::string fields = series_fields(format, info);
      const auto start_line = [&](std::string& out, Millis ts) {
        if (format == ExportFormat::ndjson) {
          out += "{\"ts\":\"";
          append_time_text(out, ts);
          out += "\",\"ts_ms\":";
        } else {
          append_time_text(out, ts);
          out += separator;
        }
        append_integer(out, ts);
        out += fields;
      };
      if (m_step == 0) {
        m_scanner.scan(info, m_options.range, [&](const SampleRow& row) {
          std::string& out = m_out.text();
          start_line(out, row.ts);
          if (format == ExportFormat::ndjson) {
            out += ",\"value\":";
            append_number(out, row.value);
            if (!row.context.empty()) {
              out += ",\"context\":";
              out += row.context;
            }
            out += "}\n";
          } else {
            out += separator;
            append_number(out, row.value);
            out += separator;
            append_csv_field(out, row.context, separator);
            out += '\n';
          }
          ++m_totals.samples;
          ++m_totals.rows;
          m_out.maybe_flush();
        });
        continue;
      }
      const auto emit = [&](Millis start, const Stats& stats) {
        std::string& out = m_out.text();
        start_line(out, start);
        for (const Agg agg : m_aggs) {
          if (format == ExportFormat::ndjson) {
            out += ",\"";
            out += to_string(agg);
            out += "\":";
          } else {
            out += separator;
          }
          append_statistic(out, *stats.value(agg));
        }
        out += format == ExportFormat::ndjson ? "}\n" : "\n";
        ++m_totals.rows;
        m_out.maybe_flush();
      };
      Bucketer bucketer(info.type, m_step, m_options.range, m_options.zone);
      m_scanner.scan(info, m_options.range, [&](const SampleRow& row) {
        bucketer.add(row.ts, row.value, emit);
        ++m_totals.samples;
      });
      bucketer.finish(emit);
    }
  }

  // The json document: a first pass over each series computes its stats
  // (and whether any sample has context), a second writes its rows.
  void write_document(const std::vector<SeriesInfo>& series, Millis generated_at) {
    count_series(series);
    std::string& out = m_out.text();
    out += "{\"generated_at\":\"";
    append_time_text(out, generated_at);
    out += "\",\"range\":{\"since\":\"";
    append_time_text(out, m_options.range.since);
    out += "\",\"until\":\"";
    append_time_text(out, m_options.range.until);
    out += "\"},\"step\":";
    if (m_step == 0) {
      out += "null";
    } else {
      append_json_string(out, format_duration(m_step));
    }
    out += ",\"nodes\":[";
    std::set<std::string_view> nodes;
    for (const auto& info : series) nodes.insert(info.node);
    bool first = true;
    for (const auto node : nodes) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, node);
    }
    out += "],\n\"components\":{";
    const std::string* component = nullptr;
    for (const auto& info : series) {
      if (component == nullptr || *component != info.component) {
        out += component == nullptr ? "\n" : "\n]},\n";
        append_json_string(out, info.component);
        out += ":{\"series\":[";
        first = true;
        component = &info.component;
      }
      if (!first) out += ',';
      first = false;
      write_series(info);
    }
    std::string& tail = m_out.text();
    tail += component == nullptr ? "},\n" : "\n]}},\n";
    tail += "\"totals\":{\"components\":";
    append_integer(tail, static_cast<std::int64_t>(m_totals.components));
    tail += ",\"series\":";
    append_integer(tail, static_cast<std::int64_t>(m_totals.series));
    tail += ",\"samples\":";
    append_integer(tail, static_cast<std::int64_t>(m_totals.samples));
    tail += "}}\n";
  }

  void write_series(const SeriesInfo& info) {
    StatsBuilder builder;
    bool has_context = false;
    m_scanner.scan(info, m_options.range, [&](const SampleRow& row) {
      builder.add(row.ts, row.value);
      has_context = has_context || !row.context.empty();
    });
    const Stats stats = builder.finish(m_options.range.until - m_options.range.since);
    m_totals.samples += stats.count;

    std::string& out = m_out.text();
    out += "\n{\"name\":";
    append_json_string(out, info.name);
    out += ",\"node\":";
    append_json_string(out, info.node);
    out += ",\"labels\":";
    append_labels_json(out, info.labels);
    out += ",\"type\":\"";
    out += to_string(info.type);
    out += "\",\"unit\":";
    append_json_string(out, info.unit);
    out += ",\n \"stats\":";
    append_stats_json(out, stats);
    out += ",\n \"columns\":[\"ts\"";
    if (m_step == 0) {
      out += has_context ? ",\"value\",\"context\"]" : ",\"value\"]";
    } else {
      for (const Agg agg : m_aggs) {
        out += ",\"";
        out += to_string(agg);
        out += '"';
      }
      out += ']';
    }
    out += ",\n \"rows\":[";
    bool first = true;
    const auto start_row = [&](std::string& text, Millis ts) {
      text += first ? "\n  [\"" : ",\n  [\"";
      first = false;
      append_time_text(text, ts);
      text += '"';
    };
    if (m_step == 0) {
      m_scanner.scan(info, m_options.range, [&](const SampleRow& row) {
        std::string& text = m_out.text();
        start_row(text, row.ts);
        text += ',';
        append_number(text, row.value);
        if (has_context) {
          text += ',';
          text += row.context.empty() ? std::string_view("null") : row.context;
        }
        text += ']';
        ++m_totals.rows;
        m_out.maybe_flush();
      });
    } else {
      const auto emit = [&](Millis start, const Stats& bucket) {
        std::string& text = m_out.text();
        start_row(text, start);
        for (const Agg agg : m_aggs) {
          text += ',';
          append_statistic(text, *bucket.value(agg));
        }
        text += ']';
        ++m_totals.rows;
        m_out.maybe_flush();
      };
      Bucketer bucketer(info.type, m_step, m_options.range, m_options.zone);
      m_scanner.scan(info, m_options.range,
                     [&](const SampleRow& row) { bucketer.add(row.ts, row.value, emit); });
      bucketer.finish(emit);
    }
    m_out.text() += first ? "]}" : "\n ]}";
  }

  const ExportOptions& m_options;
  Output m_out;
  SampleScanner m_scanner;
  Millis m_step = 0;
  std::vector<Agg> m_aggs;
  ExportTotals m_totals;
};

} // namespace

std::optional<ExportFormat> parse_export_format(std::string_view text) {
  if (text == "json") return ExportFormat::json;
  if (text == "ndjson") return ExportFormat::ndjson;
  if (text == "csv") return ExportFormat::csv;
  if (text == "tsv") return ExportFormat::tsv;
  return std::nullopt;
}

ExportTotals write_export(Store& store, const ExportOptions& options, Millis generated_at,
                          const TextSink& out) {
  if (options.range.until < options.range.since)
    throw Error(ErrorKind::usage, "the range ends before it starts", "give --since earlier than --until");
  if (options.step < 0) throw Error(ErrorKind::usage, "the step must be positive");
  if (options.step > 0 && options.max_points > 0)
    throw Error(ErrorKind::usage, "--step and --max-points exclude each other", "give one of them");
  if (!options.aggs.empty() && options.step == 0 && options.max_points == 0)
    throw Error(ErrorKind::usage, "--agg needs --step or --max-points",
                "add --step 5m, say, or --max-points 500");
  Millis step = options.step;
  if (options.max_points > 0) {
    if (options.max_points < 2)
      throw Error(ErrorKind::usage, "--max-points must be at least 2",
                  "buckets align to the epoch, so a range can touch two of them");
    if (options.range.until == options.range.since)
      throw Error(ErrorKind::usage, "--max-points needs a range that is not empty");
    step = step_for_points(options.range.until - options.range.since, options.max_points);
  }

  ReadSnapshot snapshot(store);
  const auto series = with_samples_in(store, list_series(store, options.filter, WithStats::no), options.range);
  Exporter exporter(store, options, out, step, options.aggs.empty() ? k_default_aggs : options.aggs);
  return exporter.run(series, generated_at);
}

} // namespace health
