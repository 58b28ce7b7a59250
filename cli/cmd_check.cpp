// healthctl check: evaluate every threshold now, apply the issue
// transitions, run the notify hook per event, exit with the overall status.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/notify.hpp>
#include <health/status.hpp>
#include <health/thresholds.hpp>

#include <cstdio>
#include <cstdlib>

namespace healthctl {

namespace {

struct CheckArgs {
  std::string notify;
  std::string notify_timeout = "10s";
};

std::string change_line(const health::IssueChange& change) {
  const auto& issue = change.issue;
  const auto& event = *change.event;
  std::string out = event.kind + " issue " + std::to_string(issue.id) + ": " + issue.key.component + " " +
                    issue.key.metric;
  if (!issue.key.labels.empty()) out += " {" + health::format_labels(issue.key.labels) + "}";
  out += " ";
  if (event.previous_severity && event.previous_severity != event.severity)
    out += std::string(health::to_string(*event.previous_severity)) + " -> ";
  out += std::string(health::to_string(issue.severity)) + ": ";
  out += event.kind == "resolved" ? event.note : issue.reason;
  return out + "\n";
}

std::string check_json(const health::CheckResult& result, health::HealthStatus status,
                       const std::vector<health::Delivery>& deliveries) {
  std::string out = "{\"checked_at\":\"" + health::format_time(result.checked_at) + "\",\"status\":";
  health::append_json_string(out, health::to_string(status));
  out += ",\"changes\":[";
  for (std::size_t i = 0; i < result.changes.size(); ++i) {
    const auto& change = result.changes[i];
    if (i > 0) out += ',';
    out += "{\"issue_id\":" + std::to_string(change.issue.id) + ",\"event\":";
    health::append_event_json(out, *change.event);
    out += ",\"component\":";
    health::append_json_string(out, change.issue.key.component);
    out += ",\"metric\":";
    health::append_json_string(out, change.issue.key.metric);
    out += ",\"labels\":";
    health::append_labels_json(out, change.issue.key.labels);
    out += ",\"reason\":";
    health::append_json_string(out, change.issue.reason);
    out += '}';
  }
  out += "],\"evaluations\":[";
  for (std::size_t i = 0; i < result.evaluations.size(); ++i) {
    const auto& evaluation = result.evaluations[i];
    if (i > 0) out += ',';
    out += "{\"component\":";
    health::append_json_string(out, evaluation.threshold.key.component);
    out += ",\"metric\":";
    health::append_json_string(out, evaluation.threshold.key.metric);
    out += ",\"labels\":";
    health::append_labels_json(out, evaluation.threshold.key.labels);
    out += ",\"agg\":";
    health::append_json_string(out, health::to_string(evaluation.threshold.agg));
    out += ",\"value\":";
    if (evaluation.value)
      health::append_statistic(out, *evaluation.value);
    else
      out += "null";
    out += ",\"state\":";
    health::append_json_string(out, health::to_string(evaluation.state));
    out += std::string(",\"pending\":") + (evaluation.pending ? "true" : "false") + ",\"reason\":";
    health::append_json_string(out, evaluation.reason);
    out += '}';
  }
  out += "],\"notifications\":[";
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"issue_id\":" + std::to_string(deliveries[i].change.issue.id) +
           ",\"event_id\":" + std::to_string(deliveries[i].change.event->id) + ",\"outcome\":";
    health::append_json_string(out, health::to_string(deliveries[i].outcome.kind));
    out += ",\"detail\":";
    health::append_json_string(out, deliveries[i].outcome.detail);
    out += '}';
  }
  return out + "]}\n";
}

void run_check(const Globals& globals, const CheckArgs& args) {
  const auto format = choose_format(globals, "check", {"text", "json"}, "text");
  std::string notify = args.notify;
  if (notify.empty())
    if (const char* value = std::getenv("HEALTH_NOTIFY_CMD")) notify = value;
  const health::Millis timeout = health::parse_duration(args.notify_timeout);
  auto store = open_store(globals, health::OpenMode::create);
  const health::Millis now = health::now_ms();
  const auto result = health::run_check(store, now, "check");
  std::vector<health::Delivery> deliveries;
  if (!notify.empty()) {
    deliveries = health::deliver_events(store, notify, result.changes, timeout, now);
    for (const auto& delivery : deliveries)
      if (delivery.outcome.kind != health::HookOutcome::Kind::delivered)
        std::fprintf(stderr,
                     "healthctl: warning: notify hook for issue %lld (%s) %s: %s (recorded; the next check "
                     "tries again)\n",
                     static_cast<long long>(delivery.change.issue.id), delivery.change.event->kind.c_str(),
                     delivery.outcome.kind == health::HookOutcome::Kind::timeout ? "hung" : "failed",
                     delivery.outcome.detail.c_str());
  }
  const auto report = health::health_report(store, std::nullopt, now);
  if (format == "json") {
    write_out(check_json(result, report.status, deliveries));
  } else if (!globals.quiet) {
    std::string out;
    for (const auto& change : result.changes) out += change_line(change);
    write_out(out);
  }
  set_exit_status(health::plugin_exit_code(report.status));
}

} // namespace

void setup_check(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<CheckArgs>();
  auto* command = app.add_subcommand(
      "check", "Evaluate every threshold now, open/update/resolve issues; exit 0/1/2/3 as the status");
  command->add_option("--notify", args->notify, "Run CMD once per issue event, the event as JSON on stdin "
                                                "(env HEALTH_NOTIFY_CMD)");
  command->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)");
  command->callback([&globals, args] { run_check(globals, *args); });
}

} // namespace healthctl
