// healthctl check: evaluate every threshold now, apply the issue
// transitions, run the notify hook per event, exit with the overall status.

#include "commands.hpp"

#include <health/notify.hpp>
#include <health/render.hpp>
#include <health/status.hpp>
#include <health/thresholds.hpp>

#include <cstdlib>

namespace healthctl {

namespace {

constexpr Formats k_formats{"check", {"text", "json"}};

struct CheckArgs {
  std::string notify;
  std::string notify_timeout = "10s";
};

void run_check(const Globals& globals, const CheckArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  const std::string notify = notify_command(args.notify);
  const health::Millis timeout = health::parse_duration(args.notify_timeout);
  auto store = open_store(globals, health::OpenMode::create);
  const health::Millis now = health::now_ms();
  const auto result = health::run_check(store, now, "check");
  const auto hooks = notify.empty() ? std::vector<health::HookRun>{}
                                    : deliver_to_hook(store, notify, result.changes, timeout, now, "check");
  const auto report = health::health_report(store, {}, now);
  if (format == health::Format::json || !globals.quiet)
    write_out(health::render_check(result, report.status, hooks, format));
  set_exit_status(health::plugin_exit_code(report.status));
}

} // namespace

std::vector<health::HookRun> deliver_to_hook(health::Store& store, const std::string& command,
                                             const std::vector<health::IssueChange>& changes,
                                             health::Millis timeout, health::Millis now, std::string_view who) {
  std::vector<health::HookRun> out;
  for (const auto& delivery : health::deliver_events(store, command, changes, timeout, now)) {
    const auto& event = *delivery.change.event;
    if (delivery.outcome.kind != health::HookOutcome::Kind::delivered)
      warn("notify hook for issue " + std::to_string(delivery.change.issue.id) + " (" + event.kind + ") " +
           (delivery.outcome.kind == health::HookOutcome::Kind::timeout ? "hung" : "failed") + ": " +
           delivery.outcome.detail + " (recorded; the next " + std::string(who) + " tries again)");
    out.push_back({delivery.change.issue.id, event.id, std::string(health::to_string(delivery.outcome.kind)),
                   delivery.outcome.detail});
  }
  return out;
}

void setup_check(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<CheckArgs>();
  auto* command = app.add_subcommand(
      "check", "Evaluate every threshold now, open/update/resolve issues; exit 0/1/2/3 as the status");
  command->add_option("--notify", args->notify, "Run CMD once per issue event, the event as JSON on stdin "
                                                "(env HEALTH_NOTIFY_CMD)");
  command->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_check(globals, *args); });
}

} // namespace healthctl
