// healthctl summary: per series statistics and trend over a range, as a
// table (with sparklines on a terminal), json, csv or markdown.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/summary.hpp>

#include <cstdlib>
#include <unistd.h>

namespace healthctl {

namespace {

struct SummaryArgs : RangeArgs {
  bool ascii = false;
};

bool is_counter(const health::SeriesSummary& s) { return s.series.type == health::MetricType::counter; }

std::string json_summary(const std::vector<health::SeriesSummary>& summaries, health::TimeRange range) {
  std::string out = "{";
  health::append_json_key(out, "range");
  out += '{';
  health::append_json_member(out, "since", health::format_time(range.since));
  health::append_json_member(out, "until", health::format_time(range.until));
  out += "},\"series\":[";
  bool first = true;
  for (const auto& s : summaries) {
    out += first ? "\n{" : ",\n{";
    first = false;
    health::append_json_member(out, "component", s.series.component);
    health::append_json_member(out, "name", s.series.name);
    health::append_json_member(out, "node", s.series.node);
    health::append_json_key(out, "labels");
    health::append_labels_json(out, s.series.labels);
    health::append_json_member(out, "type", health::to_string(s.series.type));
    health::append_json_member(out, "unit", s.series.unit);
    const auto& stats = s.stats;
    health::append_json_member(out, "count", static_cast<double>(stats.count));
    health::append_json_member(out, "sum", stats.sum);
    health::append_json_member(out, "rate_per_s", is_counter(s) ? std::optional(stats.rate_per_s) : std::nullopt);
    for (const auto& [name, value] : {std::pair{"min", stats.min}, std::pair{"max", stats.max},
                                      std::pair{"avg", stats.avg}, std::pair{"p50", stats.p50},
                                      std::pair{"p95", stats.p95}, std::pair{"p99", stats.p99}})
      health::append_json_member(out, name, value);
    health::append_json_member(out, "first", health::format_time(stats.first_ts));
    health::append_json_member(out, "last", health::format_time(stats.last_ts));
    health::append_json_member(out, "last_value", stats.last);
    health::append_json_key(out, "trend");
    out += '{';
    health::append_json_member(out, "direction", health::to_string(s.trend.direction));
    health::append_json_member(out, "slope_per_hour", health::round_significant(s.trend.slope_per_hour, 6));
    health::append_json_member(out, "strength", health::round_decimals(s.trend.strength, 3));
    health::append_json_member(out, "change_pct", health::round_decimals(s.trend.change_pct, 1));
    out += "}}";
  }
  out += first ? "]}\n" : "\n]}\n";
  return out;
}

std::string csv_summary(const std::vector<health::SeriesSummary>& summaries) {
  std::string out = "component,name,labels,node,type,unit,count,sum,rate_per_s,min,max,avg,p50,p95,p99,"
                    "first,last,last_value,trend,slope_per_hour,strength\n";
  for (const auto& s : summaries) {
    for (const std::string_view field : {std::string_view(s.series.component), std::string_view(s.series.name),
                                         std::string_view(s.series.labels_text),
                                         std::string_view(s.series.node), health::to_string(s.series.type),
                                         std::string_view(s.series.unit)}) {
      health::append_csv_field(out, field, ',');
      out += ',';
    }
    const auto& stats = s.stats;
    out += std::to_string(stats.count);
    out += ',';
    health::append_statistic(out, stats.sum);
    out += ',';
    if (is_counter(s)) health::append_statistic(out, stats.rate_per_s);
    for (const double value : {stats.min, stats.max, stats.avg, stats.p50, stats.p95, stats.p99}) {
      out += ',';
      health::append_statistic(out, value);
    }
    out += ',' + health::format_time(stats.first_ts) + ',' + health::format_time(stats.last_ts) + ',';
    health::append_number(out, stats.last);
    out += ',';
    out += health::to_string(s.trend.direction);
    out += ',';
    health::append_number(out, health::round_significant(s.trend.slope_per_hour, 6));
    out += ',';
    health::append_number(out, health::round_decimals(s.trend.strength, 3));
    out += '\n';
  }
  return out;
}

// The columns people read, shared by the table and the markdown.
std::vector<std::string> people_header() {
  return {"COMPONENT", "SERIES", "TYPE", "UNIT", "COUNT", "RATE/S", "MIN",
          "AVG",       "P50",    "P95",  "P99",  "MAX",   "LAST",   "TREND"};
}

std::vector<std::string> people_row(const health::SeriesSummary& s, bool many_nodes) {
  std::string series = s.series.name;
  if (!s.series.labels_text.empty()) series += "{" + s.series.labels_text + "}";
  if (many_nodes) series += "@" + s.series.node;
  const auto& stats = s.stats;
  using health::display_number;
  return {s.series.component,
          series,
          std::string(health::to_string(s.series.type)),
          s.series.unit.empty() ? "-" : s.series.unit,
          std::to_string(stats.count),
          is_counter(s) ? display_number(stats.rate_per_s) : "-",
          display_number(stats.min),
          display_number(stats.avg),
          display_number(stats.p50),
          display_number(stats.p95),
          display_number(stats.p99),
          display_number(stats.max),
          display_number(stats.last),
          std::string(health::to_string(s.trend.direction))};
}

bool has_many_nodes(const std::vector<health::SeriesSummary>& summaries) {
  for (const auto& s : summaries)
    if (s.series.node != summaries.front().series.node) return true;
  return false;
}

std::string markdown_summary(const std::vector<health::SeriesSummary>& summaries, health::TimeRange range) {
  std::string out = "Summary from " + health::format_time(range.since) + " to " +
                    health::format_time(range.until) + " (" + std::to_string(summaries.size()) +
                    " series)\n\n";
  auto header = people_header();
  for (auto& cell : header)
    for (auto& c : cell) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool many_nodes = !summaries.empty() && has_many_nodes(summaries);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : summaries) rows.push_back(people_row(s, many_nodes));
  return out + health::format_markdown_table(header, rows);
}

std::string table_summary(const std::vector<health::SeriesSummary>& summaries, bool spark, bool ascii) {
  auto header = people_header();
  if (spark) header.emplace_back("SPARK");
  std::vector<std::vector<std::string>> rows;
  const bool many_nodes = !summaries.empty() && has_many_nodes(summaries);
  for (const auto& s : summaries) {
    auto row = people_row(s, many_nodes);
    if (spark) {
      auto line = health::sparkline(s.buckets, ascii);
      line.erase(line.find_last_not_of(' ') + 1);
      row.push_back(std::move(line));
    }
    rows.push_back(std::move(row));
  }
  return health::format_table(header, rows);
}

void run_summary(const Globals& globals, const SummaryArgs& args) {
  const auto format = choose_format(globals, "summary", {"table", "json", "csv", "markdown"}, "table");
  const health::Millis now = health::now_ms();
  const health::TimeRange range = parse_range(args, now, false);
  const health::SeriesFilter filter = series_filter(globals, args);

  auto store = open_store(globals, health::OpenMode::read_only);
  const auto summaries = health::summarize(store, filter, range);
  if (format == "json") {
    write_out(json_summary(summaries, range));
  } else if (format == "csv") {
    write_out(csv_summary(summaries));
  } else if (format == "markdown") {
    write_out(markdown_summary(summaries, range));
  } else {
    // Sparklines are for people at a terminal (or asked for with --ascii);
    // NO_COLOR or --ascii keeps them to plain ASCII.
    const bool spark = ::isatty(STDOUT_FILENO) == 1 || args.ascii;
    const bool ascii = args.ascii || no_color();
    write_out(table_summary(summaries, spark, ascii));
  }
}

} // namespace

void setup_summary(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<SummaryArgs>();
  auto* command = app.add_subcommand(
      "summary", "Per series over a range: count, rate, min, avg, percentiles, max, last, trend");
  add_range_options(command, *args);
  command->add_flag("--ascii", args->ascii, "Draw the sparkline column in ASCII (also when not on a terminal)");
  command->callback([&globals, args] { run_summary(globals, *args); });
}

} // namespace healthctl
