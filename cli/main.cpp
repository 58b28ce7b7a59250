// healthctl: the command-line face of libhealth. This file declares
// healthctl (setup_root: its global options) and the subcommands of the
// command table, and holds the one error handler that turns every failure
// into one line on stderr and an exit code.

#include "commands.hpp"
#include "help.hpp"
#include "network.hpp"

#include <health/error.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <string_view>

namespace {

using health::ErrorKind;

// The exit codes of healthctl(1), EXIT STATUS.
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_runtime = 1,
  k_exit_usage = 2,
  k_exit_data = 65,
  k_exit_missing = 66,
  k_exit_busy = 75,
  k_exit_unknown = 3, // check and status: the monitoring-plugin UNKNOWN
};

int exit_code(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::runtime: return k_exit_runtime;
  case ErrorKind::usage: return k_exit_usage;
  case ErrorKind::bad_data: return k_exit_data;
  case ErrorKind::not_found: return k_exit_missing;
  case ErrorKind::busy: return k_exit_busy;
  }
  return k_exit_runtime;
}

using healthctl::printable_line;

void print_error(const std::string& what, const std::string& hint) {
  std::string line = "healthctl: error: " + printable_line(what);
  if (!hint.empty()) line += " (" + printable_line(hint) + ")";
  std::fprintf(stderr, "%s\n", line.c_str());
}

void print_help(std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
}

} // namespace

int main(int argc, char** argv) {
  healthctl::keep_command_line(argc, argv);
  std::vector<char*> args(argv, argv + argc);
  const bool help_command = healthctl::rewrite_help(args);
  healthctl::keep_arguments(args);
  healthctl::Globals globals;
  CLI::App app;
  healthctl::setup_root(app, globals);

  // Declaring a command's flags costs start-up time, which a cron job
  // recording one sample pays on every call: when the command line names a
  // known command, only that one is declared. Otherwise (--help, a typo)
  // every command is, for the listing and the error.
  const std::size_t at = healthctl::command_index(args);
  const std::string_view named = at < args.size() ? std::string_view(args[at]) : std::string_view();
  const auto commands = healthctl::command_table();
  const bool known = std::any_of(commands.begin(), commands.end(),
                                 [&](const healthctl::Command& command) { return command.name == named; });
  for (const auto& command : commands)
    if (!known || command.name == named) command.setup(app, globals);
  if (help_command && !known && !named.empty()) {
    // `help nosuch`: CLI11 would print the top-level help for `nosuch --help`.
    const auto problem = healthctl::unknown_command(&app, std::string(named));
    print_error(problem.what, problem.hint);
    return k_exit_usage;
  }

  // check, status and maintain speak the monitoring-plugin convention: every
  // failure, usage errors included, is 3 (unknown).
  const bool plugin = named == "check" || named == "status";
  const auto failed = [plugin](int code) { return plugin ? k_exit_unknown : code; };
  try {
    app.parse(static_cast<int>(args.size()), args.data());
    healthctl::flush_out();
    return healthctl::exit_status();
  } catch (const CLI::CallForHelp&) {
    print_help(app.help()); // the help of the named subcommand
    return k_exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    print_help(app.help("", CLI::AppFormatMode::All));
    return k_exit_ok;
  } catch (const CLI::CallForVersion& version) {
    std::printf("%s\n", version.what());
    return k_exit_ok;
  } catch (const CLI::ParseError& error) {
    const auto problem = healthctl::explain(app, error);
    print_error(problem.what, problem.hint);
    return failed(k_exit_usage);
  } catch (const health::Error& error) {
    print_error(error.what(), error.hint());
    if (globals.verbose && !error.detail().empty())
      std::fprintf(stderr, "healthctl: detail: %s\n", printable_line(error.detail()).c_str());
    return failed(exit_code(error.kind()));
  } catch (const std::exception& error) {
    print_error(error.what(), "this is a bug in healthctl; please report it");
    return failed(k_exit_runtime);
  }
}
