// Prometheus' text exposition format and OpenMetrics' text format, read line
// by line into samples of typed metric families.

#include "record/exposition.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/series.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <strings.h>

namespace health::exposition {

namespace {

struct KindName {
  std::string_view name;
  Kind kind;
};
constexpr std::array<KindName, 9> k_kinds{{{"counter", Kind::counter},
                                           {"gauge", Kind::gauge},
                                           {"summary", Kind::summary},
                                           {"histogram", Kind::histogram},
                                           {"gaugehistogram", Kind::gaugehistogram},
                                           {"info", Kind::info},
                                           {"stateset", Kind::stateset},
                                           {"untyped", Kind::unknown},
                                           {"unknown", Kind::unknown}}};

// The suffixes a family's samples may add to its name.
std::vector<std::string_view> suffixes(Kind kind) {
  switch (kind) {
  case Kind::counter: return {"_total", "_created"};
  case Kind::summary: return {"_sum", "_count", "_created"};
  case Kind::histogram: return {"_bucket", "_sum", "_count", "_created"};
  case Kind::gaugehistogram: return {"_bucket", "_gsum", "_gcount"};
  case Kind::info: return {"_info"};
  default: return {};
  }
}

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

struct Family {
  Kind kind = Kind::unknown;
  std::string unit;
};

// One line being read: the text left, and where problems are.
class LineParser {
public:
  LineParser(std::string_view text, std::string_view source, std::uint64_t line)
      : m_text(text), m_source(source), m_line(line) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(ErrorKind::bad_data, std::string(m_source) + ":" + std::to_string(m_line) + ": " + problem,
                "see the Prometheus text exposition format, or OpenMetrics");
  }

  std::string_view name(const char* what) {
    std::size_t end = 0;
    if (m_text.empty() || !name_start(m_text[0])) fail(std::string("expected a ") + what);
    while (end < m_text.size() && name_char(m_text[end])) ++end;
    const auto out = m_text.substr(0, end);
    m_text.remove_prefix(end);
    return out;
  }

  bool take(char c) {
    if (m_text.empty() || m_text[0] != c) return false;
    m_text.remove_prefix(1);
    return true;
  }

  void expect(char c, const char* where) {
    if (!take(c)) fail(std::string("expected '") + c + "' " + where);
  }

  std::string quoted() {
    expect('"', "before a label value");
    std::string out;
    for (;;) {
      if (m_text.empty()) fail("a label value without its closing quote");
      const char c = m_text[0];
      m_text.remove_prefix(1);
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (m_text.empty()) fail("a label value ends in a backslash");
      const char escaped = m_text[0];
      m_text.remove_prefix(1);
      if (escaped == 'n') out += '\n';
      else if (escaped == '\\' || escaped == '"') out += escaped;
      else fail(std::string("unknown escape \\") + escaped + " in a label value");
    }
  }

  // Labels in braces, blanks allowed between their tokens.
  std::vector<std::pair<std::string, std::string>> labels() {
    std::vector<std::pair<std::string, std::string>> out;
    if (!take('{')) return out;
    for (skip_blanks(); !take('}'); skip_blanks()) {
      std::string key(name("label name"));
      skip_blanks();
      expect('=', "after a label name");
      skip_blanks();
      out.emplace_back(std::move(key), quoted());
      skip_blanks();
      if (!take(',')) {
        expect('}', "after a label");
        break;
      }
    }
    return out;
  }

  void skip_blanks() {
    while (!m_text.empty() && (m_text[0] == ' ' || m_text[0] == '\t')) m_text.remove_prefix(1);
  }

  // The next token after spaces, or empty at the end of the line.
  std::string_view token() {
    while (!m_text.empty() && (m_text[0] == ' ' || m_text[0] == '\t')) m_text.remove_prefix(1);
    std::size_t end = 0;
    while (end < m_text.size() && m_text[end] != ' ' && m_text[end] != '\t') ++end;
    const auto out = m_text.substr(0, end);
    m_text.remove_prefix(end);
    return out;
  }

  bool at_separator() const { return !m_text.empty() && (m_text[0] == ' ' || m_text[0] == '\t'); }

private:
  std::string_view m_text;
  std::string_view m_source;
  std::uint64_t m_line;
};

std::optional<double> special_value(std::string_view text) {
  const std::string lower(text);
  if (strcasecmp(lower.c_str(), "nan") == 0) return std::numeric_limits<double>::quiet_NaN();
  for (const char* inf : {"inf", "+inf", "infinity", "+infinity"})
    if (strcasecmp(lower.c_str(), inf) == 0) return std::numeric_limits<double>::infinity();
  for (const char* inf : {"-inf", "-infinity"})
    if (strcasecmp(lower.c_str(), inf) == 0) return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

double value_of(LineParser& parser, std::string_view text) {
  if (text.empty()) parser.fail("a sample without a value");
  if (const auto special = special_value(text)) return *special;
  const auto value = parse_value(text);
  if (!value) parser.fail("'" + std::string(text) + "' is not a number");
  return *value;
}

// A timestamp: whole milliseconds in the text format, seconds (with a
// fraction) in OpenMetrics.
Millis time_of(LineParser& parser, std::string_view text, Dialect dialect) {
  if (dialect == Dialect::prometheus) {
    const auto ms = parse_whole_number(text);
    if (!ms) parser.fail("the timestamp '" + std::string(text) + "' is not whole milliseconds");
    return *ms;
  }
  const auto seconds = parse_value(text);
  if (!seconds || std::abs(*seconds) > 1e13) parser.fail("the timestamp '" + std::string(text) + "' is not seconds");
  return static_cast<Millis>(std::llround(*seconds * 1000.0));
}

// `# TYPE name kind`, `# UNIT name unit`; HELP and other comments say nothing.
void read_comment(std::string_view text, LineParser& parser, std::map<std::string, Family, std::less<>>& families,
                  std::string& current) {
  LineParser words(text, {}, 0);
  const auto keyword = words.token();
  if (keyword != "TYPE" && keyword != "UNIT") return;
  const auto name = words.token();
  const auto value = words.token();
  if (name.empty() || value.empty()) parser.fail("# " + std::string(keyword) + " needs a metric name and a value");
  auto& family = families[std::string(name)];
  current = std::string(name);
  if (keyword == "UNIT") {
    family.unit = std::string(value);
    return;
  }
  for (const auto& [kind_name, kind] : k_kinds)
    if (kind_name == value) {
      family.kind = kind;
      return;
    }
  parser.fail("unknown metric type '" + std::string(value) + "'");
}

// The family a sample named `name` belongs to: the current one when the name
// is its own or its name with one of its kind's suffixes, else one declared
// by that name, else a family of its own, of unknown type.
const std::pair<const std::string, Family>* family_of(std::string_view name,
                                                      const std::map<std::string, Family, std::less<>>& families,
                                                      const std::string& current) {
  if (const auto at = families.find(current); at != families.end()) {
    if (name == current) return &*at;
    for (const auto suffix : suffixes(at->second.kind))
      if (name.size() == current.size() + suffix.size() && name.substr(0, current.size()) == current &&
          name.substr(current.size()) == suffix)
        return &*at;
  }
  if (const auto at = families.find(name); at != families.end()) return &*at;
  return nullptr;
}

} // namespace

std::uint64_t read(std::istream& in, std::string_view source, Dialect dialect,
                   const std::function<void(const Point&)>& visit) {
  std::map<std::string, Family, std::less<>> families;
  std::string current;
  std::string text;
  std::uint64_t line = 0;
  bool ended = false;
  Point point;
  while (std::getline(in, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    LineParser parser(text, source, line);
    if (ended && !text.empty()) parser.fail("a line after # EOF");
    if (text.empty()) continue;
    if (text[0] == '#') {
      if (dialect == Dialect::openmetrics && text == "# EOF") ended = true;
      else if (text.size() > 1 && text[1] == ' ') read_comment(std::string_view(text).substr(2), parser, families, current);
      continue;
    }
    parser.skip_blanks();
    point.name = parser.name("metric name at the start of the line");
    point.labels = parser.labels();
    if (!parser.at_separator()) parser.fail("expected a space before the value");
    point.value = value_of(parser, parser.token());
    // Then a timestamp, and in OpenMetrics an exemplar (# {...} value [time]), both optional.
    const bool openmetrics = dialect == Dialect::openmetrics;
    const auto time = parser.token();
    const bool timed = !time.empty() && !(openmetrics && time == "#");
    point.at = timed ? std::optional<Millis>(time_of(parser, time, dialect)) : std::nullopt;
    const auto rest = timed ? parser.token() : std::string_view();
    if (!rest.empty() && !(openmetrics && rest == "#"))
      parser.fail("unexpected '" + std::string(rest) + "' after the sample");
    const auto* family = family_of(point.name, families, current);
    point.family = family != nullptr ? std::string_view(family->first) : point.name;
    point.kind = family != nullptr ? family->second.kind : Kind::unknown;
    point.unit = family != nullptr ? std::string_view(family->second.unit) : std::string_view();
    point.line = line;
    visit(point);
  }
  if (in.bad()) throw Error(ErrorKind::runtime, std::string(source) + ": cannot read", "check the file");
  if (dialect == Dialect::openmetrics && !ended)
    throw Error(ErrorKind::bad_data, std::string(source) + ": OpenMetrics input without its closing # EOF",
                "the input may be cut short; OpenMetrics ends with a line '# EOF'");
  return line;
}

} // namespace health::exposition
