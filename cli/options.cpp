#include "options.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sys/stat.h>

namespace healthctl {

void add_range_options(CLI::App* command, RangeArgs& args) {
  command->add_option("--since", args.since, "Start of the range, inclusive (default 24h ago)")->type_name("TIME");
  command->add_option("--until", args.until, "End of the range, exclusive (default now)")->type_name("TIME");
  add_filter_options(command, args);
}

void add_filter_options(CLI::App* command, RangeArgs& args) {
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

namespace {
// one_of's validator is named this, then its names with commas between.
constexpr std::string_view k_one_of = "one of:";
} // namespace

CLI::Validator one_of(std::vector<std::string> names) {
  std::string validator_name(k_one_of);
  for (std::size_t i = 0; i < names.size(); ++i) validator_name.append(i == 0 ? "" : ",").append(names[i]);
  return CLI::Validator(
      [names](const std::string& text) -> std::string {
        for (const auto& name : names)
          if (name == text) return {};
        std::string list;
        for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
        return "'" + text + "' is not one of " + list;
      },
      "NAME", std::move(validator_name));
}

std::vector<std::string> one_of_names(CLI::Option* option) {
  for (int i = 0;; ++i) {
    const CLI::Validator* validator = nullptr;
    try {
      validator = option->get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return {};
    }
    const std::string& name = validator->get_name();
    if (name.rfind(k_one_of, 0) == 0) return split_commas({name.substr(k_one_of.size())});
  }
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

std::string secret_from(const std::string& path, const char* flag) {
  std::ifstream in(path);
  if (!in)
    throw health::Error(health::ErrorKind::not_found, std::string(flag) + ": cannot read " + path,
                        "give a file that holds the secret on its first line");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty())
    throw health::Error(health::ErrorKind::bad_data, std::string(flag) + ": " + path + " is empty",
                        "its first line is the secret");
  return line;
}

namespace {

// A file to import is a few KB; this bounds what an endless input
// (/dev/zero, a wrong pipe) can make us hold.
constexpr std::size_t k_max_document = 16 << 20;

std::string read_bounded(std::istream& in, const std::string& source, std::string_view what, const std::string& hint) {
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_max_document)
      throw health::Error(health::ErrorKind::bad_data, source + " is over 16 MB, no " + std::string(what) + " is",
                          hint);
  }
  return text;
}

} // namespace

std::string read_document(const std::string& path, std::string& source, std::string_view what,
                          const std::string& hint) {
  if (path == "-") {
    source = "stdin";
    return read_bounded(std::cin, source, what, hint);
  }
  source = path;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    throw health::Error(health::ErrorKind::not_found, "'" + path + "' is a folder", "give a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw health::Error(health::ErrorKind::not_found, "cannot read '" + path + "'", "check the path");
  return read_bounded(in, source, what, hint);
}

} // namespace healthctl
