// healthctl threshold: set, list, remove, import and export thresholds.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/names.hpp>
#include <health/render.hpp>
#include <health/thresholds.hpp>

#include <cstdio>


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

void run_import(const Globals& globals, const ThresholdArgs& args) {
  choose_format(globals, k_import_formats);
  std::string source;
  const std::string text = read_document(args.file, source, "threshold file",
                                         "give the JSON file 'healthctl threshold export' writes");
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
