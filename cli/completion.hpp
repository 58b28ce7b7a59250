#pragma once
// Shell completion: healthctl's command tree as the completion scripts need
// it, and the bash, zsh and fish scripts written from it. cmd_completion.cpp
// reads the tree from the declared CLI11 commands (so the scripts cannot
// drift from the flags); nothing here uses CLI11, whose header costs every
// file that includes it start-up time (its validators are constructed per
// file).

#include <string>
#include <string_view>
#include <vector>

namespace healthctl {

// What a word of the command line is, as completion offers it. In the
// scripts a kind is written as its name below, or as {a,b,c} for choices.
enum class WordKind {
  text,       // anything: nothing to offer
  file,       // a path
  directory,  // a folder
  format,     // a --format value of the command
  component,  // a component name from the database
  metric,     // a metric name from the database (of the component before it)
  command,    // a command of healthctl (help COMMAND)
  subcommand, // a subcommand of the command before it (help COMMAND SUBCOMMAND)
  choice,     // one of a fixed list
};

struct WordSpec {
  WordKind kind = WordKind::text;
  std::vector<std::string> choices; // WordKind::choice

  // "file", "component", "{bash,zsh,fish}".
  std::string script_name() const;
};

struct OptionSpec {
  std::vector<std::string> names; // "-c", "--component"
  std::string description;
  bool takes_value = false;
  WordSpec value; // when it takes one
};

struct CommandSpec {
  std::vector<std::string> path; // {} for healthctl itself, {"backup", "list"}
  std::string description;
  std::vector<OptionSpec> options; // its own; those of the commands above apply too
  std::vector<WordSpec> arguments; // in order
  bool last_repeats = false;       // the last argument takes any number of words
  std::vector<std::string> formats; // its --format values (else those of the commands below)
  std::vector<CommandSpec> subcommands;

  // "backup list"; "" for healthctl itself.
  std::string path_text() const;
};

// For the script writers: every command of `tree`, itself first, each
// before those below it.
std::vector<const CommandSpec*> every_command(const CommandSpec& tree);
// The options of `command` itself, each name as NAME (a flag) or NAME=KIND;
// then with `separator` and the option's description after it.
std::vector<std::string> option_entries(const CommandSpec& command);
std::vector<std::string> described_option_entries(const CommandSpec& command, char separator);
// The subcommands of `command`, each as NAME, `separator`, description.
std::vector<std::string> described_subcommands(const CommandSpec& command, char separator);
// The kind of each argument of `command`; the last ends in "..." when it repeats.
std::vector<std::string> argument_entries(const CommandSpec& command);
// `words` with a space between each two.
std::string join_words(const std::vector<std::string>& words);
// `text` in single quotes for bash and zsh; for fish.
std::string shell_quote(std::string_view text);
std::string fish_quote(std::string_view text);

// The completion scripts, each complete and self-contained: they complete
// commands, options, formats and files, and read component and metric names
// by running healthctl (the one being completed) on the database the command
// line names, saying nothing when it cannot be read.
std::string bash_script(const CommandSpec& tree, std::string_view version);
std::string zsh_script(const CommandSpec& tree, std::string_view version);
std::string fish_script(const CommandSpec& tree, std::string_view version);

} // namespace healthctl
