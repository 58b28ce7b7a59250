// healthctl issue: report, list, show, acknowledge, resolve and escalate
// health issues.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/issues.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include <cmath>
#include <cstdlib>

namespace healthctl {

namespace {

struct IssueArgs {
  std::vector<std::string> positionals; // ID, or COMPONENT METRIC
  std::string severity;
  std::string reason;
  std::optional<double> value;
  std::optional<double> threshold;
  std::vector<std::string> labels;
  std::string status = "active";
  std::vector<std::string> components;
  std::string since;
  std::string note;
  std::string by;
};

std::string actor(const IssueArgs& args) { return healthctl::actor(args.by); }

std::int64_t parse_id(const std::string& text) {
  const auto id = health::parse_whole_number(text);
  if (!id || *id <= 0)
    throw health::Error(health::ErrorKind::usage, "invalid issue id '" + text + "'",
                        "use the number shown by 'healthctl issue list'");
  return *id;
}

health::IssueKey key_of(const std::string& component, const std::string& metric, const IssueArgs& args) {
  return {component, metric, health::parse_label_args(args.labels)};
}

// What a command changed: one line, or the issue as JSON.
void print_change(const Globals& globals, health::Format format, const health::IssueChange& change) {
  if (format == health::Format::json || !globals.quiet)
    write_out(health::render_issue_change(change, health::now_ms(), format));
}

constexpr Formats k_report_formats{"issue report", {"text", "json"}};
constexpr Formats k_show_formats{"issue show", {"text", "json"}};
constexpr Formats k_ack_formats{"issue ack", {"text", "json"}};
constexpr Formats k_resolve_formats{"issue resolve", {"text", "json"}};
constexpr Formats k_escalate_formats{"issue escalate", {"text", "json"}};
constexpr Formats k_list_formats{"issue list", {"table", "json"}};

health::Format format_of(const Globals& globals, const Formats& formats) {
  return health::parse_format(choose_format(globals, formats));
}

void run_report(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_report_formats);
  health::IssueReport report;
  report.key = key_of(args.positionals.at(0), args.positionals.at(1), args);
  report.severity = health::parse_severity(args.severity);
  report.reason = args.reason;
  if (report.reason.empty())
    throw health::Error(health::ErrorKind::usage, "--reason must not be empty", "say what is wrong");
  report.value = args.value;
  report.threshold = args.threshold;
  report.source = health::IssueSource::manual;
  report.actor = actor(args);
  report.at = health::now_ms();
  for (const auto& value : {args.value, args.threshold})
    if (value && !std::isfinite(*value))
      throw health::Error(health::ErrorKind::usage, "--value and --threshold must be finite numbers");
  auto store = open_store(globals, health::OpenMode::create);
  print_change(globals, format, health::report_issue(store, report));
}

void run_list(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_list_formats);
  health::IssueFilter filter;
  if (args.status == "active")
    filter.which = health::IssueFilter::Which::open;
  else if (args.status == "resolved")
    filter.which = health::IssueFilter::Which::resolved;
  else if (args.status == "all")
    filter.which = health::IssueFilter::Which::all;
  else
    throw health::Error(health::ErrorKind::usage, "invalid --status '" + args.status + "'",
                        "use active, resolved or all");
  filter.components = split_commas(args.components);
  if (!args.severity.empty()) filter.severity = health::parse_severity(args.severity);
  const health::Millis now = health::now_ms();
  if (!args.since.empty()) filter.since = health::parse_time(args.since, now);
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_issues(health::list_issues(store, filter), now, format));
}

void run_show(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_show_formats);
  const auto id = parse_id(args.positionals.at(0));
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_issue(health::get_issue(store, id), health::now_ms(), format));
}

void run_ack(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_ack_formats);
  const auto id = parse_id(args.positionals.at(0));
  auto store = open_store(globals, health::OpenMode::read_write);
  print_change(globals, format, health::acknowledge_issue(store, id, args.note, actor(args), health::now_ms()));
}

void run_resolve(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_resolve_formats);
  if (args.positionals.size() > 2)
    throw health::Error(health::ErrorKind::usage, "issue resolve takes ID or COMPONENT METRIC");
  auto store = open_store(globals, health::OpenMode::read_write);
  const health::Millis now = health::now_ms();
  if (args.positionals.size() == 1) {
    print_change(globals, format,
                 health::resolve_issue(store, parse_id(args.positionals[0]), args.note, actor(args), now));
    return;
  }
  const auto key = key_of(args.positionals[0], args.positionals[1], args);
  if (const auto change = health::resolve_issue(store, key, args.note, actor(args), now))
    print_change(globals, format, *change);
  else if (format == health::Format::json || !globals.quiet)
    write_out(health::render_nothing_to_resolve(key, format));
}

void run_escalate(const Globals& globals, const IssueArgs& args) {
  const auto format = format_of(globals, k_escalate_formats);
  const auto id = parse_id(args.positionals.at(0));
  const auto severity = health::parse_severity(args.severity.empty() ? "critical" : args.severity);
  auto store = open_store(globals, health::OpenMode::read_write);
  print_change(globals, format, health::escalate_issue(store, id, severity, args.note, actor(args), health::now_ms()));
}

} // namespace

void setup_issue(CLI::App& app, const Globals& globals) {
  auto* issue = app.add_subcommand("issue", "Report, list, show, acknowledge, resolve and escalate health issues");
  issue->require_subcommand(1);

  auto args = std::make_shared<IssueArgs>();
  auto* report = issue->add_subcommand("report", "Open an issue, or update the open one for the metric");
  report->add_option("series", args->positionals, "The component and metric of the series")
      ->option_text("COMPONENT METRIC")
      ->required()
      ->expected(2);
  report->add_option("--severity", args->severity, "warning or critical")->required();
  report->add_option("--reason", args->reason, "What is wrong, in words")->required();
  report->add_option("--value", args->value, "The value seen");
  report->add_option("--threshold", args->threshold, "The bound it crossed");
  report->add_option("-l,--label", args->labels, "Label key=value of the series (repeatable)");
  report->add_option("--by", args->by, "Who reports it (default $USER)");
  describe_globals(report, k_report_formats, NodeUse::none);
  report->callback([&globals, args] { run_report(globals, *args); });

  auto* list = issue->add_subcommand("list", "List issues, newest first");
  list->add_option("--status", args->status, "active (default, includes acknowledged), resolved or all");
  list->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  list->add_option("--severity", args->severity, "Only warning or critical issues");
  list->add_option("--since", args->since, "Only issues updated since TIME");
  describe_globals(list, k_list_formats, NodeUse::none);
  list->callback([&globals, args] { run_list(globals, *args); });

  auto* show = issue->add_subcommand("show", "Show one issue with its event timeline");
  show->add_option("id", args->positionals, "The issue's number")->required()->expected(1);
  describe_globals(show, k_show_formats, NodeUse::none);
  show->callback([&globals, args] { run_show(globals, *args); });

  auto* ack = issue->add_subcommand("ack", "Acknowledge an issue: someone is on it");
  ack->add_option("id", args->positionals, "The issue's number")->required()->expected(1);
  ack->add_option("--note", args->note, "A note for the timeline");
  ack->add_option("--by", args->by, "Who acknowledges (default $USER)");
  describe_globals(ack, k_ack_formats, NodeUse::none);
  ack->callback([&globals, args] { run_ack(globals, *args); });

  auto* resolve = issue->add_subcommand("resolve", "Resolve an issue by ID, or the open one of COMPONENT METRIC");
  resolve->add_option("target", args->positionals, "The issue's number, or the component and metric of its series")
      ->option_text("ID|COMPONENT METRIC")
      ->required()
      ->expected(1, 2);
  resolve->add_option("-l,--label", args->labels, "Label key=value of the series (with COMPONENT METRIC)");
  resolve->add_option("--note", args->note, "A note for the timeline");
  resolve->add_option("--by", args->by, "Who resolves (default $USER)");
  describe_globals(resolve, k_resolve_formats, NodeUse::none);
  resolve->callback([&globals, args] { run_resolve(globals, *args); });

  auto* escalate = issue->add_subcommand("escalate", "Change an issue's severity (default critical)");
  escalate->add_option("id", args->positionals, "The issue's number")->required()->expected(1);
  escalate->add_option("--severity", args->severity, "critical (default) or warning");
  escalate->add_option("--note", args->note, "A note for the timeline");
  escalate->add_option("--by", args->by, "Who escalates (default $USER)");
  describe_globals(escalate, k_escalate_formats, NodeUse::none);
  escalate->callback([&globals, args] { run_escalate(globals, *args); });
}

} // namespace healthctl
