#pragma once
// What --help and a command-line mistake say: healthctl's help layout (usage
// lines in the words of the man pages, the global options each command
// honours), `healthctl help COMMAND`, and CLI11's parse errors retold in
// healthctl's own form with a "did you mean" for a mistyped name.

#include "output.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace healthctl {

// What a command does with --node.
enum class NodeUse { none, records_as, filters };

// Ends `command`'s --help with the global options it honours: --db, --node
// (as `node` says), --format with `formats` (the default first), -q and -v,
// and the man page to read.
void describe_globals(CLI::App* command, const Formats& formats, NodeUse node);

// The --format values a command declared through describe_globals.
struct DeclaredFormats {
  const CLI::App* command;
  Formats formats;
};

// While `into` is set, describe_globals adds each command's formats to it
// (healthctl completion reads them so); nullptr stops, and nothing is kept
// otherwise.
void collect_formats(std::vector<DeclaredFormats>* into);

// healthctl's help layout. Set it on the root App before adding commands;
// they inherit it.
std::shared_ptr<CLI::FormatterBase> help_formatter();

// A parse error of `root`'s command line, in healthctl's words.
struct Problem {
  std::string what;
  std::string hint;
};
Problem explain(const CLI::App& root, const CLI::ParseError& error);

// "unknown command 'typed'" below `app` (the root for a top-level command),
// with the closest command's name as the hint.
Problem unknown_command(const CLI::App* app, const std::string& typed);

// The closest of `names` to `typed` when it is close enough to be a typo
// (at most 2 edits, and fewer than half of its letters); empty otherwise.
std::string closest_name(std::string_view typed, const std::vector<std::string>& names);

// The index in `args` of the command's name: the first word that is not an
// option or the value of a global option (args.size() when there is none).
std::size_t command_index(const std::vector<char*>& args);

// Keeps the command line as main parses it (after rewrite_help), for a
// command that must see what CLI11 does not tell: where `--` stood.
void keep_arguments(const std::vector<char*>& args);
// The words after the first `--` that follows the command's name, or
// nullopt when there is no `--`.
std::optional<std::vector<std::string>> words_after_separator();

// Rewrites `help [COMMAND...]` as `[COMMAND...] --help`; false when the
// command is not `help`.
bool rewrite_help(std::vector<char*>& args);

} // namespace healthctl
