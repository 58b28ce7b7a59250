// healthctl threshold: set, list, remove, import and export thresholds.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/names.hpp>
#include <health/render.hpp>
#include <health/thresholds.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sys/stat.h>

namespace healthctl {

namespace {

constexpr Formats k_set_formats{"threshold set", {"text"}};
constexpr Formats k_list_formats{"threshold list", {"table", "json"}};
constexpr Formats k_remove_formats{"threshold rm", {"text"}};
constexpr Formats k_import_formats{"threshold import", {"text"}};
constexpr Formats k_exported_formats{"threshold export", {"json"}};

struct ThresholdArgs {
  std::vector<std::string> positionals;
  std::string warn;
  std::string crit;
  std::string agg = "avg";
  std::string window = "5m";
  std::string for_duration = "0s";
  std::string description;
  std::vector<std::string> labels;
  bool disabled = false;
  std::string file;
};

health::IssueKey key_of(const ThresholdArgs& args) {
  return {args.positionals.at(0), args.positionals.at(1), health::parse_label_args(args.labels)};
}

void run_set(const Globals& globals, const ThresholdArgs& args) {
  choose_format(globals, k_set_formats);
  health::Threshold threshold;
  threshold.key = key_of(args);
  if (!args.warn.empty()) threshold.warn = health::AlertRange::parse(args.warn);
  if (!args.crit.empty()) threshold.crit = health::AlertRange::parse(args.crit);
  threshold.agg = health::parse_agg_list({args.agg}).front();
  threshold.window_ms = health::parse_duration(args.window);
  threshold.for_ms = args.for_duration == "0" ? 0 : health::parse_duration(args.for_duration);
  threshold.enabled = !args.disabled;
  threshold.description = args.description;
  auto store = open_store(globals, health::OpenMode::create);
  health::set_threshold(store, threshold);
}

void run_list(const Globals& globals) {
  const auto format =
      health::parse_format(choose_format(globals, k_list_formats));
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_thresholds(health::list_thresholds(store), format));
}

void run_remove(const Globals& globals, const ThresholdArgs& args) {
  choose_format(globals, k_remove_formats);
  auto store = open_store(globals, health::OpenMode::read_write);
  health::remove_threshold(store, key_of(args));
}

// A threshold file is a few KB; this bounds what an endless input
// (/dev/zero, a wrong pipe) can make us hold.
constexpr std::size_t k_max_threshold_file = 16 << 20;

// All of `in`, or Error(bad_data) past k_max_threshold_file.
std::string read_threshold_file(std::istream& in, const std::string& source) {
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_max_threshold_file)
      throw health::Error(health::ErrorKind::bad_data, source + " is over 16 MB, no threshold file is",
                          "give the JSON file 'healthctl threshold export' writes");
  }
  return text;
}

void run_import(const Globals& globals, const ThresholdArgs& args) {
  choose_format(globals, k_import_formats);
  std::string text;
  std::string source = args.file;
  if (args.file == "-") {
    source = "stdin";
    text = read_threshold_file(std::cin, source);
  } else {
    struct stat info {};
    if (::stat(args.file.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
      throw health::Error(health::ErrorKind::not_found, "'" + args.file + "' is a folder", "give a JSON file");
    std::ifstream in(args.file, std::ios::binary);
    if (!in)
      throw health::Error(health::ErrorKind::not_found, "cannot read '" + args.file + "'", "check the path");
    text = read_threshold_file(in, source);
  }
  // Every entry is checked before anything is written.
  const auto thresholds = health::parse_thresholds_json(text, source);
  auto store = open_store(globals, health::OpenMode::create);
  health::import_thresholds(store, thresholds);
  if (!globals.quiet)
    std::fprintf(stderr, "imported %zu threshold%s from %s\n", thresholds.size(),
                 thresholds.size() == 1 ? "" : "s", source.c_str());
}

void run_export(const Globals& globals) {
  choose_format(globals, k_exported_formats);
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_thresholds(health::list_thresholds(store), health::Format::json));
}

} // namespace

void setup_threshold(CLI::App& app, const Globals& globals) {
  auto* threshold = app.add_subcommand("threshold", "Set, list, remove, import and export thresholds");
  threshold->require_subcommand(1);
  auto args = std::make_shared<ThresholdArgs>();

  auto* set = threshold->add_subcommand("set", "Set the threshold of a metric (replaces the one it had)");
  set->add_option("series", args->positionals, "The component and metric of the series")
      ->option_text("COMPONENT METRIC")
      ->required()
      ->expected(2);
  set->add_option("--warn", args->warn, "Warning range: 10, 10:, ~:10, 10:20 or @10:20");
  set->add_option("--crit", args->crit, "Critical range, the same syntax");
  set->add_option("--agg", args->agg, "avg (default), min, max, sum, count, rate, last, p50, p95 or p99");
  set->add_option("--window", args->window, "The window ending now that is aggregated (default 5m)");
  set->add_option("--for", args->for_duration, "How long a breach must hold before an issue opens (default 0s)");
  set->add_option("--description", args->description, "What the threshold guards, in words");
  set->add_option("-l,--label", args->labels, "Only series with label key=value (repeatable)");
  set->add_flag("--disable", args->disabled, "Keep the threshold but do not evaluate it");
  describe_globals(set, k_set_formats, NodeUse::none);
  set->callback([&globals, args] { run_set(globals, *args); });

  auto* list = threshold->add_subcommand("list", "List thresholds with what the last check saw");
  describe_globals(list, k_list_formats, NodeUse::none);
  list->callback([&globals] { run_list(globals); });

  auto* remove = threshold->add_subcommand("rm", "Remove the threshold of a metric");
  remove->add_option("series", args->positionals, "The component and metric of the series")
      ->option_text("COMPONENT METRIC")
      ->required()
      ->expected(2);
  remove->add_option("-l,--label", args->labels, "Label key=value of the threshold (repeatable)");
  describe_globals(remove, k_remove_formats, NodeUse::none);
  remove->callback([&globals, args] { run_remove(globals, *args); });

  auto* import = threshold->add_subcommand("import", "Set every threshold of a JSON file, all or nothing");
  import->add_option("file", args->file, "The JSON file, or - for standard input")->required();
  describe_globals(import, k_import_formats, NodeUse::none);
  import->callback([&globals, args] { run_import(globals, *args); });

  auto* exported = threshold->add_subcommand("export", "Write every threshold as JSON (the import format)");
  describe_globals(exported, k_exported_formats, NodeUse::none);
  exported->callback([&globals] { run_export(globals); });
}

} // namespace healthctl
