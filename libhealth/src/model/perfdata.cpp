#include <health/perfdata.hpp>

#include <health/names.hpp>
#include <health/series.hpp>

#include <cmath>

namespace health {

namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The items of a perfdata text: split on blanks outside single quotes.
std::vector<std::string> items_of(std::string_view text) {
  std::vector<std::string> out;
  std::string item;
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') quoted = !quoted;
    if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (!item.empty()) out.push_back(std::move(item));
      item.clear();
      continue;
    }
    item += c;
  }
  if (!item.empty()) out.push_back(std::move(item));
  return out;
}

// A label as a metric name: quotes undone ('' is one quote), other
// characters names do not take made '_'.
std::string name_of_label(std::string_view label) {
  if (label.size() >= 2 && label.front() == '\'' && label.back() == '\'') label = label.substr(1, label.size() - 2);
  std::string out;
  for (char c : label) {
    const bool fits = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == ':' || c == '-';
    out += fits ? c : '_';
  }
  if (out.size() > 128) out.resize(128);
  return out;
}

struct Unit {
  std::string_view uom;
  double scale;
  std::string_view name;
};
constexpr Unit k_units[] = {{"", 1, ""},           {"%", 1, "percent"},
                            {"s", 1, "s"},         {"ms", 1, "ms"},
                            {"us", 1, "us"},       {"B", 1, "bytes"},
                            {"KB", 1024.0, "bytes"}, {"MB", 1048576.0, "bytes"},
                            {"GB", 1073741824.0, "bytes"}, {"TB", 1099511627776.0, "bytes"},
                            {"c", 1, "count"}};

bool read_item(const std::string& item, PerfValue& out) {
  const auto equals = item.rfind('=', item.find(';'));
  if (equals == std::string::npos || equals == 0) return false;
  out.name = name_of_label(std::string_view(item).substr(0, equals));
  if (name_problem("metric", out.name)) return false;
  std::string_view rest = std::string_view(item).substr(equals + 1);
  rest = rest.substr(0, rest.find(';'));
  const auto number_end = rest.find_first_not_of("0123456789.-+eE");
  const auto number = parse_value(rest.substr(0, number_end));
  if (!number || !std::isfinite(*number)) return false;
  const auto uom = number_end == std::string_view::npos ? std::string_view() : rest.substr(number_end);
  for (const auto& unit : k_units)
    if (unit.uom == uom) {
      out.value = *number * unit.scale;
      out.unit = std::string(unit.name);
      return std::isfinite(out.value);
    }
  return false;
}

} // namespace

PluginOutput parse_plugin_output(std::string_view text) {
  PluginOutput out;
  const auto first_end = std::min(text.find('\n'), text.size());
  const std::string_view first = text.substr(0, first_end);
  const auto bar = first.find('|');
  out.message = std::string(trimmed(first.substr(0, bar)));
  std::string perf;
  if (bar != std::string_view::npos) perf = std::string(first.substr(bar + 1));
  // Long text may carry more performance data after a `|` of its own.
  const std::string_view rest = first_end < text.size() ? text.substr(first_end + 1) : std::string_view();
  if (const auto more = rest.find('|'); more != std::string_view::npos)
    perf += " " + std::string(rest.substr(more + 1));
  for (const auto& item : items_of(perf)) {
    PerfValue value;
    if (read_item(item, value))
      out.perfdata.push_back(std::move(value));
    else
      out.skipped.push_back(item);
  }
  return out;
}

} // namespace health
