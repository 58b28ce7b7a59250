// healthctl record: one sample, the cron case. Fast path: one transaction,
// nothing printed.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/recorder.hpp>

#include <cstdio>

namespace healthctl {

namespace {

constexpr Formats k_formats{"record", {"text"}};

struct RecordArgs {
  std::string component;
  std::string name;
  std::string value;
  std::string type = "counter";
  std::string at;
  std::string unit;
  std::vector<std::string> labels;
  std::string context;
  bool allow_future = false;
};

void run_record(const Globals& globals, const RecordArgs& args) {
  choose_format(globals, k_formats); // it prints no results
  health::SeriesSpec spec;
  spec.type = *health::parse_metric_type(args.type); // CLI11 checked membership
  spec.key.component = args.component;
  spec.key.name = args.name;
  spec.key.node = node_name(globals);
  spec.key.labels = health::parse_label_args(args.labels);
  spec.unit = args.unit;

  health::Sample sample;
  if (args.value.empty()) {
    if (spec.type != health::MetricType::counter)
      throw health::Error(health::ErrorKind::usage,
                          "a " + args.type + " needs a VALUE",
                          "only a counter defaults to 1: healthctl record COMPONENT NAME VALUE -t " + args.type);
    sample.value = 1;
  } else {
    const auto value = health::parse_value(args.value);
    if (!value)
      throw health::Error(health::ErrorKind::usage, "invalid value '" + args.value + "'",
                          "give a finite number such as 42 or 0.25");
    sample.value = *value;
  }
  const health::Millis now = health::now_ms();
  sample.ts = args.at.empty() ? now : health::parse_time(args.at, now);
  sample.context = args.context;

  auto store = open_store(globals, health::OpenMode::create);
  health::record(store, spec, sample, args.allow_future ? health::AllowFuture::yes : health::AllowFuture::no);
  if (globals.verbose)
    std::fprintf(stderr, "healthctl: recorded %s/%s at %s\n", args.component.c_str(),
                 args.name.c_str(), health::format_time(sample.ts).c_str());
}

} // namespace

void setup_record(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<RecordArgs>();
  auto* command = app.add_subcommand("record", "Record one sample");
  command->add_option("COMPONENT", args->component, "Component, such as database or global")->required();
  command->add_option("NAME", args->name, "Metric name")->required();
  command->add_option("VALUE", args->value,
                      "Sample value (a counter's increment defaults to 1; required for other types)");
  command->add_option("-t,--type", args->type, "counter, gauge, timer or rolling (default counter)")
      ->check(one_of({"counter", "gauge", "timer", "rolling"}))
      ->type_name("TYPE");
  command->add_option("--at", args->at, "When it happened (default now); see TIME SYNTAX");
  command->add_option("--unit", args->unit, "Unit, fixed at the series' first use (timers default to ms)");
  command->add_option("-l,--label", args->labels, "Label key=value (repeatable)");
  command->add_option("--context", args->context, "JSON object of context, at most 4 KiB");
  command->add_flag("--allow-future", args->allow_future, "Accept --at more than 10 minutes after now");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_record(globals, *args); });
}

} // namespace healthctl
