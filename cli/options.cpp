#include "options.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <CLI/CLI.hpp>

namespace healthctl {

void add_range_options(CLI::App* command, RangeArgs& args) {
  command->add_option("--since", args.since, "Start of the range, inclusive (default 24h ago)")->type_name("TIME");
  command->add_option("--until", args.until, "End of the range, exclusive (default now)")->type_name("TIME");
  command->add_option("-c,--component", args.components, "Only these components (repeatable or a,b)")
      ->type_name("NAME");
  command->add_option("-m,--metric", args.metrics, "Only these metric names (repeatable or a,b)")
      ->type_name("NAME");
  command->add_option("-l,--label", args.labels, "Only series with label key=value (repeatable)")
      ->type_name("KEY=VALUE");
}

CLI::Validator whole_number(std::size_t least) {
  return CLI::Validator(
      [least](const std::string& text) -> std::string {
        const auto number = health::parse_whole_number(text);
        if (!number || *number < 0 || static_cast<std::size_t>(*number) < least)
          return "'" + text + "' is not a whole number" + (least > 0 ? " of " + std::to_string(least) + " or more" : "");
        return {};
      },
      "N");
}

CLI::Validator one_of(std::vector<std::string> names) {
  return CLI::Validator(
      [names](const std::string& text) -> std::string {
        for (const auto& name : names)
          if (name == text) return {};
        std::string list;
        for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
        return "'" + text + "' is not one of " + list;
      },
      "NAME");
}

health::TimeRange parse_range(const RangeArgs& args, health::Millis now, bool allow_empty) {
  const health::TimeRange range{health::parse_time(args.since, now), health::parse_time(args.until, now)};
  if (range.until < range.since || (!allow_empty && range.until == range.since))
    throw health::Error(health::ErrorKind::usage,
                        allow_empty ? "--until is before --since" : "--until is not after --since",
                        "give --since earlier than --until");
  return range;
}

health::SeriesFilter series_filter(const Globals& globals, const RangeArgs& args) {
  health::SeriesFilter filter;
  filter.components = split_commas(args.components);
  filter.metrics = split_commas(args.metrics);
  if (!globals.node.empty()) filter.nodes.push_back(globals.node);
  filter.labels = health::parse_label_args(args.labels);
  return filter;
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::size_t start = 0;
    for (;;) {
      const auto comma = value.find(',', start);
      const auto part = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

} // namespace healthctl
