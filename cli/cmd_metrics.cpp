// healthctl metrics: every series with its type, unit and extent.

#include "commands.hpp"

#include <health/format.hpp>
#include <health/query.hpp>

#include <nlohmann/json.hpp>

namespace healthctl {

namespace {

struct MetricsArgs {
  std::vector<std::string> components;
};

void run_metrics(const Globals& globals, const MetricsArgs& args) {
  const auto format = choose_format(globals, "metrics", {"table", "json", "csv"}, "table");
  health::SeriesFilter filter;
  filter.components = split_commas(args.components);
  auto store = open_store(globals, health::OpenMode::read_only);
  const auto series = health::list_series(store, filter, health::WithStats::yes);

  if (format == "json") {
    auto out = nlohmann::json::array();
    for (const auto& s : series) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [key, value] : s.labels) labels[key] = value;
      out.push_back({{"node", s.node}, {"component", s.component}, {"name", s.name},
                     {"labels", labels}, {"type", health::to_string(s.type)}, {"unit", s.unit},
                     {"count", s.count},
                     {"first", s.first ? nlohmann::json(health::format_time(*s.first)) : nullptr},
                     {"last", s.last ? nlohmann::json(health::format_time(*s.last)) : nullptr},
                     {"last_value", s.last_value ? nlohmann::json(*s.last_value) : nullptr}});
    }
    write_out(out.dump() + "\n");
    return;
  }
  const auto cells = [](const health::SeriesInfo& s) {
    return std::vector<std::string>{
        s.component, s.name, s.labels_text, s.node, std::string(health::to_string(s.type)), s.unit,
        std::to_string(s.count), s.first ? health::format_time(*s.first) : "",
        s.last ? health::format_time(*s.last) : "", s.last_value ? health::number_text(*s.last_value) : ""};
  };
  if (format == "csv") {
    std::string out = "component,name,labels,node,type,unit,count,first,last,last_value\n";
    for (const auto& s : series) {
      bool first = true;
      for (const auto& cell : cells(s)) {
        if (!first) out += ',';
        first = false;
        health::append_csv_field(out, cell, ',');
      }
      out += '\n';
    }
    write_out(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : series) {
    auto row = cells(s);
    for (auto& cell : row)
      if (cell.empty()) cell = "-";
    rows.push_back(std::move(row));
  }
  write_out(health::format_table(
      {"COMPONENT", "NAME", "LABELS", "NODE", "TYPE", "UNIT", "COUNT", "FIRST", "LAST", "LAST_VALUE"},
      rows));
}

} // namespace

void setup_metrics(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<MetricsArgs>();
  auto* command = app.add_subcommand("metrics", "List every series: type, unit, count, first, last, last value");
  command->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  command->callback([&globals, args] { run_metrics(globals, *args); });
}

} // namespace healthctl
