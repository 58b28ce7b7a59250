#pragma once
// A strict reader of monitoring-plugin output for tests, after the
// Monitoring Plugins Development Guidelines: `TEXT | PERFDATA` on one line,
// the perfdata a space-separated list of `'label'=value[UOM];[warn];[crit];[min];[max]`
// where the label holds no `=` or `'` (quotes optional, required when it has a
// space), value, min and max are plain decimals ([-0-9.]), UOM is one of
// s, ms, us, %, B, KB, MB, TB, c or none, warn and crit are ranges
// (`[@]start:end`, start `~` for minus infinity) and trailing empty fields may
// be dropped. Throws on anything else, so a test can't pass on output a
// monitoring system would not read.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test {

struct PerfItem {
  std::string label;
  std::string value; // as written
  std::string uom;
  std::string warn, crit, min, max; // "" when empty or dropped
};

struct PluginLine {
  std::string text; // before the `|`, without the separating space
  std::vector<PerfItem> perfdata;
};

namespace perfdata_detail {

[[noreturn]] inline void fail(const std::string& why, std::string_view where) {
  throw std::runtime_error("perfdata: " + why + " in '" + std::string(where) + "'");
}

// A plain decimal: optional '-', digits, optionally '.' and digits.
inline bool is_decimal(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  const std::size_t digits_from = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == digits_from) return false;
  if (i == text.size()) return true;
  if (text[i] != '.') return false;
  const std::size_t fraction_from = ++i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  return i == text.size() && i > fraction_from;
}

// `[@]start:end` with start a decimal, `~` or empty and end a decimal or
// empty, or `[@]end` alone.
inline bool is_range(std::string_view text) {
  if (!text.empty() && text.front() == '@') text.remove_prefix(1);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return is_decimal(text);
  const auto start = text.substr(0, colon);
  const auto end = text.substr(colon + 1);
  return (start.empty() || start == "~" || is_decimal(start)) && (end.empty() || is_decimal(end));
}

inline bool is_uom(std::string_view uom) {
  for (const std::string_view known : {"", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"})
    if (uom == known) return true;
  return false;
}

// Reads the label and its `=` from the front of `rest`.
inline std::string read_label(std::string_view& rest, std::string_view item) {
  std::string label;
  if (!rest.empty() && rest.front() == '\'') {
    const auto close = rest.find('\'', 1);
    if (close == std::string_view::npos) fail("an unterminated quoted label", item);
    label = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  } else {
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) fail("no '='", item);
    label = std::string(rest.substr(0, equals));
    if (label.find(' ') != std::string::npos) fail("an unquoted label with a space", item);
    rest.remove_prefix(equals);
  }
  if (label.empty()) fail("an empty label", item);
  if (label.find_first_of("='") != std::string::npos) fail("'=' or a quote in the label", item);
  if (rest.empty() || rest.front() != '=') fail("no '=' right after the label", item);
  rest.remove_prefix(1);
  return label;
}

inline std::vector<std::string> split_fields(std::string_view rest) {
  std::vector<std::string> fields;
  for (;;) {
    const auto semicolon = rest.find(';');
    fields.emplace_back(rest.substr(0, semicolon));
    if (semicolon == std::string_view::npos) return fields;
    rest.remove_prefix(semicolon + 1);
  }
}

inline PerfItem parse_item(std::string_view item) {
  std::string_view rest = item;
  PerfItem out;
  out.label = read_label(rest, item);
  auto fields = split_fields(rest);
  if (fields.size() > 5) fail("more than five fields", item);
  fields.resize(5);
  const auto value_end = fields[0].find_first_not_of("-0123456789.");
  out.value = fields[0].substr(0, value_end);
  out.uom = value_end == std::string::npos ? "" : fields[0].substr(value_end);
  if (!is_decimal(out.value)) fail("a value that is not a plain decimal", item);
  if (!is_uom(out.uom)) fail("a unit that is not a plugin UOM", item);
  out.warn = fields[1];
  out.crit = fields[2];
  out.min = fields[3];
  out.max = fields[4];
  for (const auto* range : {&out.warn, &out.crit})
    if (!range->empty() && !is_range(*range)) fail("a threshold that is not a range", item);
  for (const auto* bound : {&out.min, &out.max})
    if (!bound->empty() && !is_decimal(*bound)) fail("a min or max that is not a plain decimal", item);
  return out;
}

// The next item of `rest` (a quoted label may hold spaces), removed from it.
inline std::string_view next_item(std::string_view& rest) {
  std::size_t i = 0;
  if (!rest.empty() && rest.front() == '\'') {
    i = rest.find('\'', 1);
    if (i == std::string_view::npos) fail("an unterminated quoted label", rest);
  }
  const auto space = rest.find(' ', i);
  const auto item = rest.substr(0, space);
  rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
  if (item.empty()) fail("an empty item (two spaces)", rest);
  return item;
}

} // namespace perfdata_detail

// Parses one whole plugin output line, its line end included.
inline PluginLine parse_plugin_line(std::string_view line) {
  if (line.empty() || line.back() != '\n') throw std::runtime_error("perfdata: the line has no line end");
  line.remove_suffix(1);
  if (line.find_first_of("\r\n") != std::string_view::npos) throw std::runtime_error("perfdata: more than one line");
  PluginLine out;
  const auto bar = line.find('|');
  out.text = std::string(line.substr(0, bar));
  if (bar == std::string_view::npos) return out;
  if (bar == 0 || line[bar - 1] != ' ' || bar + 1 >= line.size() || line[bar + 1] != ' ')
    throw std::runtime_error("perfdata: '|' is not set off by spaces");
  out.text.pop_back();
  std::string_view rest = line.substr(bar + 2);
  if (rest.empty()) throw std::runtime_error("perfdata: '|' with no perfdata");
  while (!rest.empty()) out.perfdata.push_back(perfdata_detail::parse_item(perfdata_detail::next_item(rest)));
  return out;
}

} // namespace test
