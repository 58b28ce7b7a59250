// healthctl record: one sample, the cron case, or several of one component
// (NAME=VALUE[:TYPE[:UNIT]] each). Fast path: one transaction, nothing
// printed.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/recorder.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace healthctl {

namespace {

constexpr Formats k_formats{"record", {"text"}};

struct RecordArgs {
  std::string component;
  std::string name;
  std::vector<std::string> more; // VALUE, or more samples
  std::string type = "counter";
  std::string at;
  std::string unit;
  std::vector<std::string> labels;
  std::string context;
  bool allow_future = false;
};

constexpr const char* k_usage = "usage: healthctl record [OPTIONS] COMPONENT NAME [VALUE...]";

// One sample as written on the command line: NAME, NAME VALUE (the classic
// form), or NAME=VALUE[:TYPE[:UNIT]].
struct SampleArg {
  std::string name;
  std::string value; // empty: none given
  std::string type;  // empty: --type
  std::string unit;  // empty: --unit
};

SampleArg sample_arg(const std::string& text, bool first) {
  const auto equals = text.find('=');
  if (equals == std::string::npos && first) return {text, {}, {}, {}};
  if (equals == std::string::npos)
    throw health::Error(health::ErrorKind::usage, "'" + text + "' is not NAME=VALUE[:TYPE[:UNIT]]", k_usage);
  SampleArg arg{text.substr(0, equals), text.substr(equals + 1), {}, {}};
  if (const auto colon = arg.value.find(':'); colon != std::string::npos) {
    arg.type = arg.value.substr(colon + 1);
    arg.value.erase(colon);
    if (const auto unit = arg.type.find(':'); unit != std::string::npos) {
      arg.unit = arg.type.substr(unit + 1);
      arg.type.erase(unit);
    }
    if (arg.type.empty() || !health::parse_metric_type(arg.type))
      throw health::Error(health::ErrorKind::usage, "'" + text + "': unknown type '" + arg.type + "'",
                          "use NAME=VALUE[:TYPE[:UNIT]] with counter, gauge, timer or rolling");
  }
  if (arg.value.empty())
    throw health::Error(health::ErrorKind::usage, "'" + text + "' has no value", "use NAME=VALUE[:TYPE[:UNIT]]");
  return arg;
}

// The samples the positional arguments name: NAME [VALUE] (the classic
// form), or NAME followed by NAME=VALUE[:TYPE[:UNIT]]..., where only the
// first may be a bare NAME (a counter's +1), so that a mistyped value is
// never taken for another metric.
std::vector<SampleArg> sample_args(const RecordArgs& args) {
  const bool classic = !args.more.empty() && args.more[0].find('=') == std::string::npos;
  if (classic) {
    if (args.name.find('=') != std::string::npos)
      throw health::Error(health::ErrorKind::usage, "'" + args.more[0] + "' is not NAME=VALUE[:TYPE[:UNIT]]", k_usage);
    if (args.more.size() > 1)
      throw health::Error(health::ErrorKind::usage, "unexpected argument '" + args.more[1] + "'", k_usage);
    return {{args.name, args.more[0], {}, {}}};
  }
  std::vector<SampleArg> out{sample_arg(args.name, true)};
  for (const auto& text : args.more) out.push_back(sample_arg(text, false));
  return out;
}

health::Recording recording(const RecordArgs& args, const SampleArg& arg, const health::SeriesSpec& common,
                            const health::Sample& when) {
  health::Recording out{common, when};
  const std::string& type = arg.type.empty() ? args.type : arg.type;
  out.spec.type = *health::parse_metric_type(type); // checked by CLI11 or sample_arg
  out.spec.key.name = arg.name;
  if (!arg.unit.empty()) out.spec.unit = arg.unit;
  if (arg.value.empty()) {
    if (out.spec.type != health::MetricType::counter)
      throw health::Error(health::ErrorKind::usage, "a " + type + " needs a VALUE",
                          "only a counter defaults to 1: healthctl record COMPONENT " + arg.name + " VALUE -t " + type +
                              ", or " + arg.name + "=VALUE:" + type);
    out.sample.value = 1;
    return out;
  }
  const auto value = health::parse_value(arg.value);
  if (!value)
    throw health::Error(health::ErrorKind::usage, "invalid value '" + arg.value + "'",
                        "give a finite number such as 42 or 0.25");
  out.sample.value = *value;
  return out;
}

void run_record(const Globals& globals, const RecordArgs& args) {
  choose_format(globals, k_formats); // it prints no results
  health::SeriesSpec common;
  common.key.component = args.component;
  common.key.node = node_name(globals);
  common.key.labels = health::parse_label_args(args.labels);
  common.unit = args.unit;
  health::Sample when;
  const health::Millis now = health::now_ms();
  when.ts = args.at.empty() ? now : health::parse_time(args.at, now);
  when.context = args.context;

  const auto samples = sample_args(args);
  std::vector<health::Recording> recordings;
  for (const auto& arg : samples) {
    try {
      recordings.push_back(recording(args, arg, common, when));
    } catch (const health::Error& error) {
      if (samples.size() == 1) throw;
      throw health::sample_error(recordings.size() + 1, arg.name, error);
    }
  }
  auto store = open_store(globals, health::OpenMode::create);
  health::record(store, recordings, args.allow_future ? health::AllowFuture::yes : health::AllowFuture::no);
  if (globals.verbose)
    for (const auto& r : recordings)
      std::fprintf(stderr, "healthctl: recorded %s/%s at %s\n", args.component.c_str(), r.spec.key.name.c_str(),
                   health::format_time(when.ts).c_str());
}

} // namespace

void setup_record(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<RecordArgs>();
  auto* command = app.add_subcommand("record", "Record one sample, or several in one transaction");
  command->add_option("COMPONENT", args->component, "Component, such as database or global")->required();
  command->add_option("NAME", args->name, "Metric name, or NAME=VALUE[:TYPE[:UNIT]]")->required();
  command->add_option("VALUE", args->more,
                      "Sample value (a counter's increment defaults to 1; required for other types), "
                      "or more samples as NAME=VALUE[:TYPE[:UNIT]]");
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
