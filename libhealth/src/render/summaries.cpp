// Summary: per series statistics and trend as a table, json, csv or
// Markdown.

#include <health/format.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

namespace health {

namespace {

bool is_counter(const SeriesSummary& s) { return s.series.type == MetricType::counter; }

Json summary_json(const SeriesSummary& s) {
  const auto& stats = s.stats;
  Json out{{"component", s.series.component},
           {"name", s.series.name},
           {"node", s.series.node},
           {"labels", labels_json(s.series.labels)},
           {"type", to_string(s.series.type)},
           {"unit", s.series.unit},
           {"count", stats.count},
           {"sum", statistic_json(stats.sum)},
           {"rate_per_s", is_counter(s) ? statistic_json(stats.rate_per_s) : Json(nullptr)}};
  for (const auto& [name, value] : {std::pair{"min", stats.min}, std::pair{"max", stats.max},
                                    std::pair{"avg", stats.avg}, std::pair{"p50", stats.p50},
                                    std::pair{"p95", stats.p95}, std::pair{"p99", stats.p99}})
    out[name] = statistic_json(value);
  out["first"] = format_time(stats.first_ts);
  out["last"] = format_time(stats.last_ts);
  out["last_value"] = statistic_json(stats.last);
  out["trend"] = Json{{"direction", to_string(s.trend.direction)},
                      {"slope_per_hour", statistic_json(round_significant(s.trend.slope_per_hour, 6))},
                      {"strength", statistic_json(round_decimals(s.trend.strength, 3))},
                      {"change_pct", statistic_json(round_decimals(s.trend.change_pct, 1))}};
  return out;
}

// {"range":{...},"series":[ then one series a line.
std::string summary_document(const std::vector<SeriesSummary>& summaries, TimeRange range) {
  std::string out = "{\"range\":" +
                    json_text(Json{{"since", format_time(range.since)}, {"until", format_time(range.until)}}) +
                    ",\"series\":[";
  for (const auto& s : summaries) {
    out += &s == &summaries.front() ? "\n" : ",\n";
    append_json(out, summary_json(s));
  }
  return out + (summaries.empty() ? "]}\n" : "\n]}\n");
}

std::string summary_csv(const std::vector<SeriesSummary>& summaries) {
  std::string out = "component,name,labels,node,type,unit,count,sum,rate_per_s,min,max,avg,p50,p95,p99,"
                    "first,last,last_value,trend,slope_per_hour,strength\n";
  for (const auto& s : summaries) {
    for (const std::string_view field : {std::string_view(s.series.component), std::string_view(s.series.name),
                                         std::string_view(s.series.labels_text), std::string_view(s.series.node),
                                         to_string(s.series.type), std::string_view(s.series.unit)}) {
      append_csv_field(out, field, ',');
      out += ',';
    }
    const auto& stats = s.stats;
    out += std::to_string(stats.count);
    out += ',';
    append_statistic(out, stats.sum);
    out += ',';
    if (is_counter(s)) append_statistic(out, stats.rate_per_s);
    for (const double value : {stats.min, stats.max, stats.avg, stats.p50, stats.p95, stats.p99}) {
      out += ',';
      append_statistic(out, value);
    }
    out += ',' + format_time(stats.first_ts) + ',' + format_time(stats.last_ts) + ',';
    append_number(out, stats.last);
    out += ',';
    out += to_string(s.trend.direction);
    out += ',';
    append_number(out, round_significant(s.trend.slope_per_hour, 6));
    out += ',';
    append_number(out, round_decimals(s.trend.strength, 3));
    out += '\n';
  }
  return out;
}

// The columns people read, shared by the table and the markdown.
std::vector<std::string> people_header() {
  return {"COMPONENT", "SERIES", "TYPE", "UNIT", "COUNT", "RATE/S", "MIN",
          "AVG",       "P50",    "P95",  "P99",  "MAX",   "LAST",   "TREND"};
}

bool has_many_nodes(const std::vector<SeriesSummary>& summaries) {
  for (const auto& s : summaries)
    if (s.series.node != summaries.front().series.node) return true;
  return false;
}

// One row for people per series: the series is `name{labels}`, with
// `@node` when the summaries span more than one node.
std::vector<std::vector<std::string>> people_rows(const std::vector<SeriesSummary>& summaries) {
  const bool many_nodes = has_many_nodes(summaries);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : summaries) {
    std::string series = s.series.name;
    if (!s.series.labels_text.empty()) series += "{" + s.series.labels_text + "}";
    if (many_nodes) series += "@" + s.series.node;
    const auto& stats = s.stats;
    rows.push_back({s.series.component, series, std::string(to_string(s.series.type)),
                    s.series.unit.empty() ? "-" : s.series.unit, std::to_string(stats.count),
                    is_counter(s) ? display_number(stats.rate_per_s) : "-", display_number(stats.min),
                    display_number(stats.avg), display_number(stats.p50), display_number(stats.p95),
                    display_number(stats.p99), display_number(stats.max), display_number(stats.last),
                    std::string(to_string(s.trend.direction))});
  }
  return rows;
}

std::string summary_markdown(const std::vector<SeriesSummary>& summaries, TimeRange range) {
  std::string out = "Summary from " + format_time(range.since) + " to " + format_time(range.until) + " (" +
                    std::to_string(summaries.size()) + " series)\n\n";
  auto header = people_header();
  for (auto& cell : header)
    for (auto& c : cell) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out + format_markdown_table(header, people_rows(summaries));
}

std::string summary_table(const std::vector<SeriesSummary>& summaries, Sparklines sparklines) {
  auto header = people_header();
  auto rows = people_rows(summaries);
  if (sparklines != Sparklines::none) {
    header.emplace_back("SPARK");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto line = sparkline(summaries[i].buckets, sparklines);
      line.erase(line.find_last_not_of(' ') + 1);
      rows[i].push_back(std::move(line));
    }
  }
  return format_table(header, rows);
}

} // namespace

std::string render_summary(const std::vector<SeriesSummary>& summaries, TimeRange range, Format format,
                           Sparklines sparklines) {
  switch (format) {
  case Format::table: return summary_table(summaries, sparklines);
  case Format::json: return summary_document(summaries, range);
  case Format::csv: return summary_csv(summaries);
  case Format::markdown: return summary_markdown(summaries, range);
  default: unsupported("a summary", format);
  }
}

} // namespace health
