// healthctl analyze: the context document for a model or an operator, and
// its views: diagnose, trends, compare, incident and recommendations.

#include "commands.hpp"

#include <health/analyze.hpp>
#include <health/error.hpp>
#include <health/format.hpp>
#include <health/render.hpp>

#include <memory>

namespace healthctl {

namespace {

constexpr Formats k_formats{"analyze", {"json", "markdown"}};

struct AnalyzeArgs {
  std::string since = "24h";
  std::string until;          // empty: now
  std::string baseline = "7d";
  std::vector<std::string> components;
  std::string max_bytes;
  std::string target;         // diagnose's component, incident's issue id
  std::string period = "24h"; // trends
  std::string current = "24h"; // compare
};

health::Format format_of(const Globals& globals) {
  return health::parse_format(choose_format(globals, k_formats));
}

std::optional<std::size_t> max_bytes_of(const AnalyzeArgs& args) {
  if (args.max_bytes.empty()) return std::nullopt;
  const auto bytes = health::parse_whole_number(args.max_bytes);
  if (!bytes || *bytes <= 0)
    throw health::Error(health::ErrorKind::usage, "invalid --max-bytes '" + args.max_bytes + "'",
                        "a whole number of bytes, such as 20000");
  return static_cast<std::size_t>(*bytes);
}

health::AnalyzeOptions options_of(const AnalyzeArgs& args, health::Millis now) {
  health::AnalyzeOptions options;
  options.now = now;
  options.window_ms = health::window_length(args.since, "--since", now, args.until, "--until");
  options.baseline_ms = health::parse_duration(args.baseline);
  options.components = split_commas(args.components);
  return options;
}

void run(const Globals& globals, const AnalyzeArgs& args, const std::string& view) {
  const auto format = format_of(globals);
  const auto max_bytes = max_bytes_of(args);
  if (view == "incident" && !args.until.empty())
    throw health::Error(health::ErrorKind::usage, "analyze incident takes no --until",
                        "it tells the issue's whole story; give --until to the other views");
  const auto now = health::window_end(args.until, health::now_ms(), "--until");
  auto store = open_store(globals, health::OpenMode::read_only);
  if (view == "incident") {
    const auto id = health::parse_whole_number(args.target);
    if (!id || *id <= 0)
      throw health::Error(health::ErrorKind::usage, "invalid issue id '" + args.target + "'",
                          "see 'healthctl issue list --status all'");
    write_out(health::incident_document(store, *id, now, format, max_bytes));
    return;
  }
  auto options = options_of(args, now);
  if (view == "diagnose") {
    options.components = {args.target};
    options.history = true;
    write_out(health::diagnose_document(health::analyze(store, options), args.target, format, max_bytes));
  } else if (view == "trends") {
    options.window_ms = health::window_length(args.period, "--period", now, args.until, "--until");
    options.baseline_ms = 0;
    write_out(health::trends_document(health::analyze(store, options), format, max_bytes));
  } else if (view == "compare") {
    options.window_ms = health::window_length(args.current, "--current", now, args.until, "--until");
    write_out(health::compare_document(health::analyze(store, options), format, max_bytes));
  } else if (view == "recommendations") {
    write_out(health::recommendations_document(health::analyze(store, options), format, max_bytes));
  } else {
    write_out(health::analysis_document(health::analyze(store, options), format, max_bytes));
  }
}

} // namespace

void setup_analyze(CLI::App& app, const Globals& globals) {
  auto* analyze = app.add_subcommand(
      "analyze", "What is wrong, since when, how bad, what changed: a document for a model or an operator");
  analyze->require_subcommand(0, 1);
  auto args = std::make_shared<AnalyzeArgs>();
  analyze->add_option("--since", args->since, "Start of the window: a time, or a duration before its end (default 24h)");
  analyze->add_option("--until", args->until,
                      "End of the window: a past time (default now); issues and status as they stood then")
      ->type_name("TIME");
  analyze->add_option("--baseline", args->baseline, "Length of the baseline just before the window (default 7d)");
  analyze->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  analyze->add_option("--max-bytes", args->max_bytes, "Leave out the lowest-signal detail until the output fits");
  describe_globals(analyze, k_formats, NodeUse::none);
  analyze->callback([&globals, args, analyze] {
    if (analyze->get_subcommands().empty()) run(globals, *args, "analyze");
  });

  auto* diagnose = analyze->add_subcommand("diagnose", "One component in detail: series history, issues and events");
  diagnose->add_option("component", args->target, "The component to diagnose")->required();
  describe_globals(diagnose, k_formats, NodeUse::none);
  diagnose->callback([&globals, args] { run(globals, *args, "diagnose"); });

  auto* trends = analyze->add_subcommand("trends", "The trend of every series over a period");
  trends->add_option("--period", args->period, "The period: a time, or a duration before its end (default 24h)");
  describe_globals(trends, k_formats, NodeUse::none);
  trends->callback([&globals, args] { run(globals, *args, "trends"); });

  auto* compare = analyze->add_subcommand("compare", "Every series now against its baseline, largest change first");
  compare->add_option("--current", args->current,
                      "The current period: a time, or a duration before its end (default 24h)");
  describe_globals(compare, k_formats, NodeUse::none);
  compare->callback([&globals, args] { run(globals, *args, "compare"); });

  auto* incident = analyze->add_subcommand("incident", "One issue, its events and its metric around it");
  incident->add_option("issue", args->target, "The issue's number")->option_text("ID")->required();
  describe_globals(incident, k_formats, NodeUse::none);
  incident->callback([&globals, args] { run(globals, *args, "incident"); });

  auto* recommendations = analyze->add_subcommand("recommendations", "The suggested actions alone, each with its evidence");
  describe_globals(recommendations, k_formats, NodeUse::none);
  recommendations->callback([&globals, args] { run(globals, *args, "recommendations"); });
}

} // namespace healthctl
