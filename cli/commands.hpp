#pragma once
// One setup function per subcommand: each declares its flags on `app` and
// binds the callback that runs it. main.cpp lists them.

#include "help.hpp"
#include "options.hpp"
#include "output.hpp"
#include "settings.hpp"

#include <CLI/CLI.hpp>

#include <span>
#include <string_view>

namespace health {
struct HookRun;
struct IssueChange;
} // namespace health

namespace healthctl {

// Declares healthctl itself on `app`: its name, the help layout, --version
// and the global options, bound to `globals`. The commands follow.
void setup_root(CLI::App& app, Globals& globals);

void setup_init(CLI::App& app, const Globals& globals);
void setup_record(CLI::App& app, const Globals& globals);
void setup_ingest(CLI::App& app, const Globals& globals);
void setup_components(CLI::App& app, const Globals& globals);
void setup_metrics(CLI::App& app, const Globals& globals);
void setup_export(CLI::App& app, const Globals& globals);
void setup_summary(CLI::App& app, const Globals& globals);
void setup_sql(CLI::App& app, const Globals& globals);
void setup_threshold(CLI::App& app, const Globals& globals);
void setup_check(CLI::App& app, const Globals& globals);
void setup_issue(CLI::App& app, const Globals& globals);
void setup_status(CLI::App& app, const Globals& globals);
void setup_cleanup(CLI::App& app, const Globals& globals);
void setup_backup(CLI::App& app, const Globals& globals);
void setup_maintain(CLI::App& app, const Globals& globals);
void setup_run(CLI::App& app, const Globals& globals);
void setup_analyze(CLI::App& app, const Globals& globals);
void setup_report(CLI::App& app, const Globals& globals);
void setup_probe(CLI::App& app, const Globals& globals);
void setup_push(CLI::App& app, const Globals& globals);
void setup_serve(CLI::App& app, const Globals& globals);
void setup_collect(CLI::App& app, const Globals& globals);
void setup_help(CLI::App& app, const Globals& globals);
void setup_completion(CLI::App& app, const Globals& globals);

// Runs the notify hook `command` for the earlier undelivered events and
// then `changes`, warning on stderr about each failed one (`who` names the
// command that tries again: "check"); returns every run for json output.
std::vector<health::HookRun> deliver_to_hook(health::Store& store, const std::string& command,
                                             const std::vector<health::IssueChange>& changes,
                                             health::Millis timeout, health::Millis now, std::string_view who);

// A subcommand: its name and the function that declares it.
struct Command {
  std::string_view name;
  void (*setup)(CLI::App&, const Globals&);
};

// Every subcommand, in the order --help lists them.
std::span<const Command> command_table();

} // namespace healthctl
