// Prometheus' text exposition format (0.0.4) of the series as they stand:
// metric names in Prometheus' grammar with base units, families grouped
// with their HELP and TYPE, collisions refused.

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <span>

namespace health {

namespace {

// A unit healthctl knows, the base unit Prometheus names it by, and how many
// of it make one of the base (`per` > 1: divided, which keeps 41.7 ms
// 0.0417 s exactly where multiplying by 0.001 would not) or how many base
// units it is.
struct UnitMapping {
  std::string_view unit;
  std::string_view base;
  double factor;
  bool divide;
};

constexpr std::array<UnitMapping, 26> k_units{{
    {"ns", "seconds", 1e9, true},      {"us", "seconds", 1e6, true},      {"ms", "seconds", 1e3, true},
    {"s", "seconds", 1, false},        {"sec", "seconds", 1, false},      {"second", "seconds", 1, false},
    {"seconds", "seconds", 1, false},  {"min", "seconds", 60, false},     {"minutes", "seconds", 60, false},
    {"h", "seconds", 3600, false},     {"hours", "seconds", 3600, false}, {"d", "seconds", 86400, false},
    {"days", "seconds", 86400, false}, {"B", "bytes", 1, false},          {"byte", "bytes", 1, false},
    // Sizes in powers of 1024, as healthctl reads them everywhere (parse_size).
    {"bytes", "bytes", 1, false},      {"KB", "bytes", 0x1p10, false},    {"kB", "bytes", 0x1p10, false},
    {"MB", "bytes", 0x1p20, false},    {"GB", "bytes", 0x1p30, false},    {"TB", "bytes", 0x1p40, false},
    {"KiB", "bytes", 0x1p10, false},   {"MiB", "bytes", 0x1p20, false},   {"GiB", "bytes", 0x1p30, false},
    {"%", "percent", 1, false},        {"percent", "percent", 1, false},
}};

const UnitMapping* unit_mapping(std::string_view unit) {
  for (const auto& mapping : k_units)
    if (mapping.unit == unit) return &mapping;
  return nullptr;
}

// `text` in Prometheus' grammar for names: snake_case (an upper-case letter
// after a lower-case one or a digit starts a new word), every other
// character outside [a-z0-9_] an underscore, and a leading digit prefixed.
std::string snake_name(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isupper(c) != 0) {
      if (i > 0 && (std::islower(static_cast<unsigned char>(text[i - 1])) != 0 ||
                    std::isdigit(static_cast<unsigned char>(text[i - 1])) != 0))
        out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += std::isalnum(c) != 0 && c < 0x80 ? static_cast<char>(c) : '_';
    }
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) != 0) out.insert(out.begin(), '_');
  return out;
}

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() > end.size() && text.substr(text.size() - end.size()) == end;
}

// The name without a last word that spells its own unit (query_ms with unit
// ms, memory_bytes with bytes, size_kb with KB): the base unit replaces it.
std::string without_unit_word(std::string name, std::string_view base) {
  for (const auto& mapping : k_units) {
    if (mapping.base != base) continue;
    const std::string word = "_" + snake_name(mapping.unit);
    if (ends_with(name, word)) return name.substr(0, name.size() - word.size());
  }
  return name;
}

// Label names as the exposition writes them: the series' own keys in the
// name grammar, renamed exported_KEY where they would take the place of
// node, component or quantile, or start with Prometheus' reserved __.
std::string label_name(std::string_view key) {
  std::string name = snake_name(key);
  if (name == "node" || name == "component" || name == "quantile" || name.rfind("__", 0) == 0)
    name = "exported_" + name;
  return name;
}

void append_escaped_value(std::string& out, std::string_view value, bool quotes) {
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
}

std::string series_text(const SeriesInfo& s) {
  return series_display_name(s.component, s.name, s.labels, NameStyle::path) + "@" + s.node;
}

// The labels of a series in the exposition: node, component, then the
// series' own keys in the name grammar, in that order; empty values left out.
PrometheusLabels label_pairs(const SeriesInfo& s) {
  PrometheusLabels out{{"node", s.node}, {"component", s.component}};
  for (const auto& [key, value] : s.labels) {
    if (value.empty()) continue; // Prometheus has no empty labels: k="" is no k at all
    auto name = label_name(key);
    for (const auto& [held, unused] : out)
      if (held == name)
        throw Error(ErrorKind::bad_data,
                    "series " + series_text(s) + " has two labels that would both be the Prometheus label " + name,
                    "Prometheus label names are [a-z0-9_]: rename one of the labels");
    out.emplace_back(std::move(name), value);
  }
  return out;
}

// {node="...",component="...",key="..."}, `extra` (a quantile) last.
std::string label_set(const SeriesInfo& s, std::string_view extra = {}) {
  std::string out = "{";
  for (const auto& [name, value] : label_pairs(s)) {
    if (out.size() > 1) out += ',';
    out += name + "=\"";
    append_escaped_value(out, value, true);
    out += '"';
  }
  if (!extra.empty()) out += "," + std::string(extra);
  return out + "}";
}

std::string_view family_type(MetricType type) {
  switch (type) {
  case MetricType::counter: return "counter";
  case MetricType::gauge: return "gauge";
  case MetricType::timer:
  case MetricType::rolling: break;
  }
  return "summary";
}

// The sample lines of one series in its family.
std::string sample_lines(const CurrentSeries& c, const PrometheusName& name) {
  const auto& s = c.series;
  std::string out;
  const auto line = [&](std::string_view suffix, const std::string& labels, double value) {
    out += name.family;
    out += suffix;
    out += labels + " ";
    append_number(out, value);
    out += '\n';
  };
  const std::string labels = label_set(s);
  if (s.type == MetricType::counter) {
    line("", labels, name.base_value(s.total_sum));
  } else if (s.type == MetricType::gauge) {
    line("", labels, name.base_value(s.last_value.value_or(0)));
  } else {
    for (std::size_t i = 0; i < c.quantiles.size(); ++i)
      line("", label_set(s, "quantile=\"" + number_text(k_summary_quantiles[i]) + "\""), name.base_value(c.quantiles[i]));
    line("_sum", labels, name.base_value(s.total_sum));
    line("_count", labels, static_cast<double>(s.total_count));
  }
  return out;
}

// The series of one metric family, by label set: each an index into the
// list grouped.
struct Family {
  const SeriesInfo* first = nullptr; // its HELP and TYPE
  std::map<std::string, std::size_t> members;
};

// Help and type of a family, `name` as its TYPE line spells it.
std::string family_head(const std::string& name, const SeriesInfo& first, std::string_view type) {
  std::string out = "# HELP " + name + " healthctl series ";
  append_escaped_value(out, first.name, false);
  out += " (" + std::string(to_string(first.type)) + (first.unit.empty() ? "" : ", unit ");
  append_escaped_value(out, first.unit, false);
  out += ")\n# TYPE " + name + " " + std::string(type) + "\n";
  return out;
}

} // namespace

PrometheusName prometheus_name(const SeriesInfo& series) {
  PrometheusName name;
  std::string unit = series.unit;
  if (unit.empty() && series.type == MetricType::timer) unit = "ms"; // a timer's unit when none is given
  std::string family = snake_name(series.name);
  // A counter's _total goes last, after its unit (a counter read from
  // Prometheus keeps it in its name: cpu_seconds_total).
  if (series.type == MetricType::counter && ends_with(family, "_total")) family.resize(family.size() - 6);
  if (const auto* mapping = unit_mapping(unit)) {
    name.factor = mapping->factor;
    name.divide = mapping->divide;
    family = without_unit_word(std::move(family), mapping->base) + "_" + std::string(mapping->base);
  }
  if (series.type == MetricType::counter) {
    family += "_total";
  } else {
    // _total names a counter, _count and _sum a summary's parts.
    for (const std::string_view reserved : {"_total", "_count", "_sum", "_bucket"})
      if (ends_with(family, reserved)) family += "_value";
  }
  name.family = std::move(family);
  return name;
}

std::vector<PrometheusSeries> prometheus_series(const SeriesInfo& series) {
  const auto name = prometheus_name(series);
  auto labels = label_pairs(series);
  const auto part = [&](std::string metric) {
    PrometheusSeries out{metric, {{"__name__", metric}}};
    out.labels.insert(out.labels.end(), labels.begin(), labels.end());
    std::sort(out.labels.begin(), out.labels.end());
    return out;
  };
  if (series.type == MetricType::counter || series.type == MetricType::gauge) return {part(name.family)};
  return {part(name.family + "_count"), part(name.family + "_sum")};
}

void prometheus_history(Store& store, SampleScanner& scanner, const SeriesInfo& s, TimeRange range,
                        const std::function<void(Millis, std::span<const double>)>& visit) {
  const auto name = prometheus_name(s);
  const auto held = totals_since(store, s, range.since);
  double count = static_cast<double>(std::max<std::int64_t>(s.total_count - held.count, 0));
  double sum = s.total_sum - held.sum;
  if (std::abs(sum) <= 1e-12 * std::abs(s.total_sum)) sum = 0; // the two sums, added in another order
  std::optional<Millis> at;
  double last = 0;
  const auto point = [&] {
    if (!at) return;
    if (s.type == MetricType::gauge) {
      const double values[] = {name.base_value(last)};
      visit(*at, values);
    } else if (s.type == MetricType::counter) {
      const double values[] = {name.base_value(sum)};
      visit(*at, values);
    } else {
      const double values[] = {count, name.base_value(sum)};
      visit(*at, values);
    }
  };
  scanner.scan(s, range, [&](const SampleRow& row) {
    if (at && *at != row.ts) point();
    at = row.ts;
    last = row.value;
    count += 1;
    sum += row.value;
  });
  point();
}

namespace {

// The series grouped into families by name. Throws Error(bad_data) naming
// both series when two would be one metric, or a family would have two types.
std::map<std::string, Family> families_of(const std::vector<const SeriesInfo*>& series) {
  std::map<std::string, Family> families;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = *series[i];
    const auto name = prometheus_name(s);
    auto& family = families[name.family];
    if (family.first == nullptr) family.first = &s;
    if (family_type(family.first->type) != family_type(s.type))
      throw Error(ErrorKind::bad_data,
                  "series " + series_text(*family.first) + " (" + std::string(to_string(family.first->type)) + ") and " +
                      series_text(s) + " (" + std::string(to_string(s.type)) + ") would both be the Prometheus metric " +
                      name.family + ", with different types",
                  "rename one of them, or export them separately with -c or -m");
    const auto [at, added] = family.members.try_emplace(label_set(s), i);
    if (!added)
      throw Error(ErrorKind::bad_data,
                  "series " + series_text(*series[at->second]) + " and " + series_text(s) +
                      " would both be the Prometheus metric " + name.family + at->first,
                  "rename one of them, or export them separately with -c or -m");
  }
  return families;
}

// Appends the instant `t` as OpenMetrics writes timestamps: seconds since
// the epoch, with the milliseconds as a fraction when there are any.
void append_seconds(std::string& out, Millis t) {
  out += std::to_string(t / k_second_ms);
  auto ms = static_cast<int>(t % k_second_ms);
  if (ms == 0) return;
  std::string fraction = std::to_string(ms + 1000).substr(1); // three digits
  while (fraction.back() == '0') fraction.pop_back();
  out += '.' + fraction;
}

void history_line(std::string& out, std::string_view name, std::string_view labels, double value, Millis at) {
  out += name;
  out += labels;
  out += ' ';
  append_number(out, value);
  out += ' ';
  append_seconds(out, at);
  out += '\n';
}

void write_history(Store& store, SampleScanner& scanner, const SeriesInfo& s, TimeRange range, std::string& buffer,
                   const TextSink& out) {
  std::vector<std::string> names;
  for (const auto& part : prometheus_series(s)) names.push_back(part.name);
  const auto labels = label_set(s);
  prometheus_history(store, scanner, s, range, [&](Millis at, std::span<const double> values) {
    for (std::size_t i = 0; i < values.size(); ++i) history_line(buffer, names[i], labels, values[i], at);
    if (buffer.size() >= 64 * 1024) {
      out(buffer);
      buffer.clear();
    }
  });
}

} // namespace

void check_prometheus_names(const std::vector<SeriesInfo>& series) {
  std::vector<const SeriesInfo*> infos;
  for (const auto& s : series) infos.push_back(&s);
  families_of(infos);
}

void write_openmetrics(Store& store, const SeriesFilter& filter, TimeRange range, const TextSink& out) {
  ReadSnapshot snapshot(store);
  const auto series = with_samples_in(store, list_series(store, filter, WithStats::no), range);
  std::vector<const SeriesInfo*> infos;
  for (const auto& s : series) infos.push_back(&s);
  SampleScanner scanner(store, WithContext::no);
  std::string buffer;
  for (const auto& [name, family] : families_of(infos)) {
    // A counter's family is named without the _total its samples carry.
    const bool counter = family.first->type == MetricType::counter;
    buffer += family_head(counter ? name.substr(0, name.size() - 6) : name, *family.first, family_type(family.first->type));
    for (const auto& [labels, index] : family.members) write_history(store, scanner, series[index], range, buffer, out);
  }
  buffer += "# EOF\n";
  out(buffer);
}

std::string render_prometheus(const std::vector<CurrentSeries>& series) {
  std::vector<const SeriesInfo*> infos;
  for (const auto& c : series) infos.push_back(&c.series);
  std::string out;
  for (const auto& [name, family] : families_of(infos)) {
    out += family_head(name, *family.first, family_type(family.first->type));
    for (const auto& [labels, index] : family.members) out += sample_lines(series[index], prometheus_name(series[index].series));
  }
  return out;
}

} // namespace health
