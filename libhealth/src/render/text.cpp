#include "render/text.hpp"

#include <health/error.hpp>
#include <health/names.hpp>

#include <array>
#include <utility>

namespace health {

namespace {

constexpr std::array<std::pair<Format, std::string_view>, 11> k_format_names = {{
    {Format::text, "text"},
    {Format::table, "table"},
    {Format::json, "json"},
    {Format::ndjson, "ndjson"},
    {Format::csv, "csv"},
    {Format::tsv, "tsv"},
    {Format::markdown, "markdown"},
    {Format::nagios, "nagios"},
    {Format::html, "html"},
    {Format::prometheus, "prometheus"},
    {Format::openmetrics, "openmetrics"},
}};

} // namespace

std::string_view to_string(Format format) {
  for (const auto& [known, name] : k_format_names)
    if (known == format) return name;
  return "text";
}

Format parse_format(std::string_view name) {
  for (const auto& [format, known] : k_format_names)
    if (known == name) return format;
  throw Error(ErrorKind::usage, "unknown format '" + std::string(name) + "'",
              "use text, table, json, ndjson, csv, tsv, markdown or nagios");
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string count_text(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string key_text(const IssueKey& key) {
  return series_display_name(key.component, key.metric, key.labels, NameStyle::words);
}

void unsupported(std::string_view what, Format format) {
  throw Error(ErrorKind::usage, std::string(what) + " has no " + std::string(to_string(format)) + " form");
}

} // namespace health
