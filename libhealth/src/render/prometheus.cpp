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
#include <map>

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

// {node="...",component="...",key="..."}, keys after node and component in
// their order, `extra` (a quantile) last.
std::string label_set(const SeriesInfo& s, std::string_view extra = {}) {
  std::string out = "{node=\"";
  append_escaped_value(out, s.node, true);
  out += "\",component=\"";
  append_escaped_value(out, s.component, true);
  out += '"';
  std::vector<std::string> names;
  for (const auto& [key, value] : s.labels) {
    names.push_back(label_name(key));
    if (std::count(names.begin(), names.end(), names.back()) > 1)
      throw Error(ErrorKind::bad_data,
                  "series " + series_text(s) + " has two labels that would both be the Prometheus label " + names.back(),
                  "Prometheus label names are [a-z0-9_]: rename one of the labels");
    out += "," + names.back() + "=\"";
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

struct Family {
  const CurrentSeries* first = nullptr; // its HELP and TYPE
  std::map<std::string, std::pair<const CurrentSeries*, std::string>> samples; // by label set
};

} // namespace

PrometheusName prometheus_name(const SeriesInfo& series) {
  PrometheusName name;
  std::string unit = series.unit;
  if (unit.empty() && series.type == MetricType::timer) unit = "ms"; // a timer's unit when none is given
  std::string family = snake_name(series.name);
  if (const auto* mapping = unit_mapping(unit)) {
    name.factor = mapping->factor;
    name.divide = mapping->divide;
    family = without_unit_word(std::move(family), mapping->base) + "_" + std::string(mapping->base);
  }
  if (series.type == MetricType::counter) {
    if (ends_with(family, "_total")) family.resize(family.size() - 6);
    family += "_total";
  } else {
    // _total names a counter, _count and _sum a summary's parts.
    for (const std::string_view reserved : {"_total", "_count", "_sum", "_bucket"})
      if (ends_with(family, reserved)) family += "_value";
  }
  name.family = std::move(family);
  return name;
}

std::string render_prometheus(const std::vector<CurrentSeries>& series) {
  std::map<std::string, Family> families;
  for (const auto& c : series) {
    const auto name = prometheus_name(c.series);
    auto& family = families[name.family];
    if (family.first == nullptr) family.first = &c;
    if (family_type(family.first->series.type) != family_type(c.series.type))
      throw Error(ErrorKind::bad_data,
                  "series " + series_text(family.first->series) + " (" + std::string(to_string(family.first->series.type)) +
                      ") and " + series_text(c.series) + " (" + std::string(to_string(c.series.type)) +
                      ") would both be the Prometheus metric " + name.family + ", with different types",
                  "rename one of them, or export them separately with -c or -m");
    auto [at, added] = family.samples.try_emplace(label_set(c.series), &c, sample_lines(c, name));
    if (!added)
      throw Error(ErrorKind::bad_data,
                  "series " + series_text(at->second.first->series) + " and " + series_text(c.series) +
                      " would both be the Prometheus metric " + name.family + at->first,
                  "rename one of them, or export them separately with -c or -m");
  }
  std::string out;
  for (const auto& [name, family] : families) {
    const auto& first = family.first->series;
    out += "# HELP " + name + " healthctl series ";
    append_escaped_value(out, first.name, false);
    out += " (" + std::string(to_string(first.type)) + (first.unit.empty() ? "" : ", unit ");
    append_escaped_value(out, first.unit, false);
    out += ")\n# TYPE " + name + " " + std::string(family_type(first.type)) + "\n";
    for (const auto& [labels, sample] : family.samples) out += sample.second;
  }
  return out;
}

} // namespace health
