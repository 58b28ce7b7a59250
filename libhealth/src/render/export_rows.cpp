// The writers of export's formats: ndjson, csv and tsv rows, and the json
// document organized by component. read/export.cpp reads, these write, in
// pieces of at most about 256 KiB.

#include <health/format.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

#include <array>
#include <charconv>
#include <set>

namespace health {

namespace {

constexpr std::size_t k_flush_bytes = 1 << 18;

void append_integer(std::string& out, std::int64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

// Buffers output and hands it to the sink in large pieces; what every
// writer needs of the plan.
class BufferedWriter : public ExportWriter {
public:
  explicit BufferedWriter(const TextSink& sink) : m_sink(sink) { m_text.reserve(k_flush_bytes + 4096); }

  void begin(const ExportPlan& plan) override {
    m_zone = &plan.options.zone;
    m_step = plan.step;
    m_aggs = plan.aggs;
  }

protected:
  std::string& text() { return m_text; }
  void maybe_flush() {
    if (m_text.size() >= k_flush_bytes) flush();
  }
  void flush() {
    if (!m_text.empty()) m_sink(m_text);
    m_text.clear();
  }
  void append_time_text(std::string& out, Millis t) const {
    if (m_zone->is_utc())
      append_time(out, t);
    else
      append_time(out, t, *m_zone);
  }
  bool raw() const { return m_step == 0; }
  Millis step() const { return m_step; }
  const std::vector<Agg>& aggs() const { return m_aggs; }

private:
  const TextSink& m_sink;
  std::string m_text;
  const Zone* m_zone = nullptr;
  Millis m_step = 0;
  std::vector<Agg> m_aggs;
};

// ndjson, csv and tsv: one line per sample or bucket.
class RowWriter final : public BufferedWriter {
public:
  RowWriter(Format format, const TextSink& sink) : BufferedWriter(sink), m_format(format) {}

  bool wants_series_stats() const override { return false; }

  void begin(const ExportPlan& plan) override {
    BufferedWriter::begin(plan);
    if (m_format != Format::ndjson) text() = header();
  }

  void begin_series(const SeriesInfo& series, const SeriesStats*) override { m_fields = series_fields(series); }

  void sample(const SampleRow& row) override {
    std::string& out = text();
    start_line(out, row.ts);
    if (m_format == Format::ndjson) {
      out += ",\"value\":";
      append_number(out, row.value);
      if (!row.context.empty()) {
        out += ",\"context\":";
        out += row.context;
      }
      out += "}\n";
    } else {
      out += separator();
      append_number(out, row.value);
      out += separator();
      append_csv_field(out, row.context, separator());
      out += '\n';
    }
    maybe_flush();
  }

  void bucket(Millis start, const Stats& stats) override {
    std::string& out = text();
    start_line(out, start);
    for (const Agg agg : aggs()) {
      if (m_format == Format::ndjson) {
        out += ",\"";
        out += to_string(agg);
        out += "\":";
      } else {
        out += separator();
      }
      append_statistic(out, *stats.value(agg));
    }
    out += m_format == Format::ndjson ? "}\n" : "\n";
    maybe_flush();
  }

  void end_series() override {}
  void end(const ExportTotals&) override { flush(); }

private:
  char separator() const { return m_format == Format::tsv ? '\t' : ','; }

  // The header of csv and tsv: value and context for raw samples, one
  // column per aggregate for buckets.
  std::string header() const {
    std::string out;
    for (const char* column : {"ts", "ts_ms", "node", "component", "name", "labels", "type", "unit"}) {
      out += column;
      out += separator();
    }
    if (raw()) {
      out += "value";
      out += separator();
      out += "context";
    } else {
      for (std::size_t i = 0; i < aggs().size(); ++i) {
        if (i > 0) out += separator();
        out += to_string(aggs()[i]);
      }
    }
    out += '\n';
    return out;
  }

  // What every row of a series repeats, built once per series: for ndjson
  // the fields between ts_ms and the values, for csv/tsv the identity columns.
  std::string series_fields(const SeriesInfo& series) const {
    if (m_format == Format::ndjson) {
      const Json fields{{"node", series.node},
                        {"component", series.component},
                        {"name", series.name},
                        {"labels", labels_json(series.labels)},
                        {"type", to_string(series.type)},
                        {"unit", series.unit}};
      std::string out = json_text(fields); // {"node":...}: its members go on the line
      out.front() = ',';
      out.pop_back();
      return out;
    }
    std::string out;
    for (const std::string_view field :
         {std::string_view(series.node), std::string_view(series.component), std::string_view(series.name),
          std::string_view(series.labels_text), to_string(series.type), std::string_view(series.unit)}) {
      out += separator();
      append_csv_field(out, field, separator());
    }
    return out;
  }

  void start_line(std::string& out, Millis ts) const {
    if (m_format == Format::ndjson) {
      out += "{\"ts\":\"";
      append_time_text(out, ts);
      out += "\",\"ts_ms\":";
    } else {
      append_time_text(out, ts);
      out += separator();
    }
    append_integer(out, ts);
    out += m_fields;
  }

  Format m_format;
  std::string m_fields;
};

Json stats_json(const Stats& stats) {
  Json out{{"count", stats.count}};
  for (const auto& [name, value] : {std::pair{"sum", stats.sum}, std::pair{"min", stats.min},
                                    std::pair{"max", stats.max}, std::pair{"avg", stats.avg},
                                    std::pair{"p50", stats.p50}, std::pair{"p95", stats.p95},
                                    std::pair{"p99", stats.p99}, std::pair{"last", stats.last}})
    out[name] = statistic_json(value);
  return out;
}

// The json document: each series' stats (from the first pass), then its rows.
class DocumentWriter final : public BufferedWriter {
public:
  using BufferedWriter::BufferedWriter;

  bool wants_series_stats() const override { return true; }

  void begin(const ExportPlan& plan) override {
    BufferedWriter::begin(plan);
    std::string& out = text();
    out += "{\"generated_at\":\"";
    append_time_text(out, plan.generated_at);
    out += "\",\"range\":{\"since\":\"";
    append_time_text(out, plan.options.range.since);
    out += "\",\"until\":\"";
    append_time_text(out, plan.options.range.until);
    out += "\"},\"step\":";
    if (raw())
      out += "null";
    else
      append_json_string(out, format_duration(step()));
    std::set<std::string_view> nodes;
    for (const auto& info : plan.series) nodes.insert(info.node);
    out += ",\"nodes\":[";
    for (const auto node : nodes) {
      if (out.back() != '[') out += ',';
      append_json_string(out, node);
    }
    out += "],\n\"components\":{";
  }

  void begin_series(const SeriesInfo& series, const SeriesStats* stats) override {
    std::string& out = text();
    if (m_component == nullptr || *m_component != series.component) {
      out += m_component == nullptr ? "\n" : "\n]},\n";
      append_json_string(out, series.component);
      out += ":{\"series\":[";
      m_component = &series.component;
    } else {
      out += ',';
    }
    m_has_context = stats->has_context;
    out += "\n{\"name\":";
    append_json_string(out, series.name);
    out += ",\"node\":";
    append_json_string(out, series.node);
    out += ",\"labels\":" + json_text(labels_json(series.labels));
    out += ",\"type\":\"";
    out += to_string(series.type);
    out += "\",\"unit\":";
    append_json_string(out, series.unit);
    out += ",\n \"stats\":" + json_text(stats_json(stats->stats));
    out += ",\n \"columns\":" + json_text(columns());
    out += ",\n \"rows\":[";
    m_first_row = true;
  }

  void sample(const SampleRow& row) override {
    std::string& out = text();
    start_row(out, row.ts);
    out += ',';
    append_number(out, row.value);
    if (m_has_context) {
      out += ',';
      out += row.context.empty() ? std::string_view("null") : row.context;
    }
    out += ']';
    maybe_flush();
  }

  void bucket(Millis start, const Stats& stats) override {
    std::string& out = text();
    start_row(out, start);
    for (const Agg agg : aggs()) {
      out += ',';
      append_statistic(out, *stats.value(agg));
    }
    out += ']';
    maybe_flush();
  }

  void end_series() override { text() += m_first_row ? "]}" : "\n ]}"; }

  void end(const ExportTotals& totals) override {
    std::string& out = text();
    out += m_component == nullptr ? "},\n" : "\n]}},\n";
    out += "\"totals\":" + json_text(Json{{"components", totals.components},
                                           {"series", totals.series},
                                           {"samples", totals.samples}});
    out += "}\n";
    flush();
  }

private:
  Json columns() const {
    Json out = Json::array({"ts"});
    if (raw()) {
      out.push_back("value");
      if (m_has_context) out.push_back("context");
    } else {
      for (const Agg agg : aggs()) out.push_back(to_string(agg));
    }
    return out;
  }

  void start_row(std::string& out, Millis ts) {
    out += m_first_row ? "\n  [\"" : ",\n  [\"";
    m_first_row = false;
    append_time_text(out, ts);
    out += '"';
  }

  const std::string* m_component = nullptr;
  bool m_has_context = false;
  bool m_first_row = true;
};

} // namespace

ExportTotals write_export(Store& store, const ExportOptions& options, Format format, Millis generated_at,
                          const TextSink& out) {
  if (format == Format::json) {
    DocumentWriter writer(out);
    return write_export(store, options, generated_at, writer);
  }
  if (format != Format::ndjson && format != Format::csv && format != Format::tsv) unsupported("an export", format);
  RowWriter writer(format, out);
  return write_export(store, options, generated_at, writer);
}

} // namespace health
