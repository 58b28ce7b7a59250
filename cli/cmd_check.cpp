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

} // namespace

std::string describe_change(const health::IssueChange& change) {
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

namespace {

// Appends `{"component","metric","labels"` of a series, the object left open.
void open_series_object(std::string& out, const health::IssueKey& key) {
  out += '{';
  health::append_json_member(out, "component", key.component);
  health::append_json_member(out, "metric", key.metric);
  health::append_json_key(out, "labels");
  health::append_labels_json(out, key.labels);
}

std::string check_json(const health::CheckResult& result, health::HealthStatus status,
                       const std::vector<health::Delivery>& deliveries) {
  std::string out = "{";
  health::append_json_member(out, "checked_at", health::format_time(result.checked_at));
  health::append_json_member(out, "status", health::to_string(status));
  health::append_json_key(out, "changes");
  out += '[';
  for (std::size_t i = 0; i < result.changes.size(); ++i) {
    const auto& change = result.changes[i];
    if (i > 0) out += ',';
    open_series_object(out, change.issue.key);
    health::append_json_member(out, "issue_id", static_cast<double>(change.issue.id));
    health::append_json_key(out, "event");
    health::append_event_json(out, *change.event);
    health::append_json_member(out, "reason", change.issue.reason);
    out += '}';
  }
  out += ']';
  health::append_json_key(out, "evaluations");
  out += '[';
  for (std::size_t i = 0; i < result.evaluations.size(); ++i) {
    const auto& evaluation = result.evaluations[i];
    if (i > 0) out += ',';
    open_series_object(out, evaluation.threshold.key);
    health::append_json_member(out, "agg", health::to_string(evaluation.threshold.agg));
    health::append_json_member(out, "value", evaluation.value);
    health::append_json_member(out, "state", health::to_string(evaluation.state));
    health::append_json_key(out, "pending");
    out += evaluation.pending ? "true" : "false";
    health::append_json_member(out, "reason", evaluation.reason);
    out += '}';
  }
  out += ']';
  health::append_json_key(out, "notifications");
  out += '[';
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    if (i > 0) out += ',';
    out += '{';
    health::append_json_member(out, "issue_id", static_cast<double>(deliveries[i].change.issue.id));
    health::append_json_member(out, "event_id", static_cast<double>(deliveries[i].change.event->id));
    health::append_json_member(out, "outcome", health::to_string(deliveries[i].outcome.kind));
    health::append_json_member(out, "detail", deliveries[i].outcome.detail);
    out += '}';
  }
  return out + "]}\n";
}

void run_check(const Globals& globals, const CheckArgs& args) {
  const auto format = choose_format(globals, "check", {"text", "json"}, "text");
  const std::string notify = notify_command(args.notify);
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
  const auto report = health::health_report(store, {}, now);
  if (format == "json") {
    write_out(check_json(result, report.status, deliveries));
  } else if (!globals.quiet) {
    std::string out;
    for (const auto& change : result.changes) out += describe_change(change);
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
