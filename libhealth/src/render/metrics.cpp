// What is recorded: components and series, as a table, json or csv. Their
// json objects have always had their keys in alphabetical order
// (nlohmann::json), and keep it.

#include <health/format.hpp>
#include <health/render.hpp>

#include "render/json.hpp"

#include "render/text.hpp"

#include <nlohmann/json.hpp>

namespace health {

namespace {

nlohmann::json optional_time(const std::optional<Millis>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

// The csv of `rows` under `header`, every field quoted as needed.
std::string csv_table(std::string_view header, const std::vector<std::vector<std::string>>& rows) {
  std::string out(header);
  out += '\n';
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      append_csv_field(out, row[i], ',');
    }
    out += '\n';
  }
  return out;
}

// Empty cells as "-", for people.
std::vector<std::vector<std::string>> dashed(std::vector<std::vector<std::string>> rows) {
  for (auto& row : rows)
    for (auto& cell : row)
      if (cell.empty()) cell.push_back('-');
  return rows;
}

std::string status_of(const std::map<std::string, HealthStatus>& statuses, const std::string& component) {
  const auto found = statuses.find(component);
  return std::string(to_string(found == statuses.end() ? HealthStatus::healthy : found->second));
}

} // namespace

std::string render_components(const std::vector<ComponentInfo>& components,
                              const std::map<std::string, HealthStatus>& statuses, Format format) {
  if (format == Format::json) {
    auto out = nlohmann::json::array();
    for (const auto& c : components)
      out.push_back({{"component", c.component}, {"series", c.series}, {"samples", c.samples},
                     {"first_seen", optional_time(c.first_seen)}, {"last_seen", optional_time(c.last_seen)},
                     {"status", status_of(statuses, c.component)}});
    return dump_json(out) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : components)
    rows.push_back({c.component, std::to_string(c.series), std::to_string(c.samples),
                    c.first_seen ? format_time(*c.first_seen) : "", c.last_seen ? format_time(*c.last_seen) : "",
                    status_of(statuses, c.component)});
  if (format == Format::csv) return csv_table("component,series,samples,first_seen,last_seen,status", rows);
  if (format != Format::table) unsupported("a list of components", format);
  return format_table({"COMPONENT", "SERIES", "SAMPLES", "FIRST_SEEN", "LAST_SEEN", "STATUS"}, dashed(rows));
}

std::string render_metrics(const std::vector<SeriesInfo>& series, Format format) {
  if (format == Format::json) {
    auto out = nlohmann::json::array();
    for (const auto& s : series) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [key, value] : s.labels) labels[key] = value;
      out.push_back({{"node", s.node}, {"component", s.component}, {"name", s.name}, {"labels", labels},
                     {"type", to_string(s.type)}, {"unit", s.unit}, {"count", s.count},
                     {"first", optional_time(s.first)}, {"last", optional_time(s.last)},
                     {"last_value", s.last_value ? nlohmann::json(*s.last_value) : nullptr}});
    }
    return dump_json(out) + "\n";
  }
  // The CSV carries the last value in full; the table rounds it for people.
  const auto value_text = format == Format::csv ? number_text : display_number;
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : series)
    rows.push_back({s.component, s.name, s.labels_text, s.node, std::string(to_string(s.type)), s.unit,
                    std::to_string(s.count), s.first ? format_time(*s.first) : "", s.last ? format_time(*s.last) : "",
                    s.last_value ? value_text(*s.last_value) : ""});
  if (format == Format::csv) return csv_table("component,name,labels,node,type,unit,count,first,last,last_value", rows);
  if (format != Format::table) unsupported("a list of series", format);
  return format_table(
      {"COMPONENT", "NAME", "LABELS", "NODE", "TYPE", "UNIT", "COUNT", "FIRST", "LAST", "LAST_VALUE"}, dashed(rows));
}

} // namespace health
