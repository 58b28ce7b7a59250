// healthctl completion: the completion script of a shell, written from
// every command healthctl declares.

#include "commands.hpp"
#include "completion.hpp"

#include <health/error.hpp>

#ifndef HEALTHCTL_VERSION
#define HEALTHCTL_VERSION "0.0.0"
#endif

namespace healthctl {

namespace {

constexpr Formats k_formats{"completion", {"text"}};

// Every command declared on a root of its own, as main() declares them for
// --help, read into the tree the scripts are written from.
CommandSpec command_tree() {
  std::vector<DeclaredFormats> formats;
  struct Collecting {
    explicit Collecting(std::vector<DeclaredFormats>* into) { collect_formats(into); }
    ~Collecting() { collect_formats(nullptr); }
    Collecting(const Collecting&) = delete;
    Collecting& operator=(const Collecting&) = delete;
  } collecting(&formats);
  Globals globals;
  CLI::App root;
  setup_root(root, globals);
  for (const auto& command : command_table()) command.setup(root, globals);
  return completion_tree(root, formats);
}

void run_completion(const Globals& globals, const std::string& shell) {
  choose_format(globals, k_formats); // a script is all it prints
  if (shell == "bash") return write_out(bash_script(command_tree(), HEALTHCTL_VERSION));
  if (shell == "zsh") return write_out(zsh_script(command_tree(), HEALTHCTL_VERSION));
  if (shell == "fish") return write_out(fish_script(command_tree(), HEALTHCTL_VERSION));
  throw health::Error(health::ErrorKind::usage, "unsupported shell '" + shell + "'", "use bash, zsh or fish");
}

} // namespace

void setup_completion(CLI::App& app, const Globals& globals) {
  auto shell = std::make_shared<std::string>();
  auto* command = app.add_subcommand("completion", "Print the completion script of a shell: bash, zsh or fish");
  command->add_option("shell", *shell, "The shell: bash, zsh or fish")->option_text("bash|zsh|fish")->required();
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, shell] { run_completion(globals, *shell); });
}

} // namespace healthctl
