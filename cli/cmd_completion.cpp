// healthctl completion: the completion script of a shell, written from
// every command healthctl declares. This file reads the declared commands
// into the tree of completion.hpp; the script writers (completion*.cpp) do
// without CLI11.

#include "commands.hpp"
#include "completion.hpp"

#include <health/error.hpp>

#include <algorithm>
#include <cctype>

#ifndef HEALTHCTL_VERSION
#define HEALTHCTL_VERSION "0.0.0"
#endif

namespace healthctl {

namespace {

constexpr Formats k_formats{"completion", {"text"}};

bool has_upper(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isupper(c) != 0; });
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto end = text.find(separator, start);
    const auto part = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!part.empty()) parts.emplace_back(part);
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// What a word of a usage line stands for: COMPONENT, METRIC (NAME, as record
// calls it), FILE, DIR, COMMAND, SUBCOMMAND; of alternatives ("ID|COMPONENT",
// "FILE|TIME") the first that completion can offer; words in lower case
// ("bash|zsh|fish") are the choices themselves.
WordSpec usage_word(std::string_view text) {
  const auto alternatives = split(text, '|');
  if (!alternatives.empty() && !has_upper(text)) return {WordKind::choice, alternatives};
  for (const auto& word : alternatives) {
    if (word == "COMPONENT") return {WordKind::component, {}};
    if (word == "METRIC" || word == "NAME") return {WordKind::metric, {}};
    if (word == "FILE") return {WordKind::file, {}};
    if (word == "DIR") return {WordKind::directory, {}};
    if (word == "COMMAND") return {WordKind::command, {}};
    if (word == "SUBCOMMAND") return {WordKind::subcommand, {}};
  }
  return {};
}

// The words a positional stands for, as its usage line names them: its
// option text ("COMPONENT METRIC") or its name in capitals.
void add_arguments(CommandSpec& spec, const CLI::Option* option) {
  std::string text = option->get_option_text();
  if (text.empty()) {
    text = option->get_name(true, false);
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  }
  for (auto word : split(text, ' ')) {
    std::erase_if(word, [](char c) { return c == '[' || c == ']'; });
    if (word.ends_with("...")) word.resize(word.size() - 3);
    spec.arguments.push_back(usage_word(word));
  }
  spec.last_repeats = option->get_items_expected_max() >= CLI::detail::expected_max_vector_size;
}

// The value an option takes, by what its name says it is.
WordSpec option_value(CLI::Option* option) {
  if (auto names = one_of_names(option); !names.empty()) return {WordKind::choice, std::move(names)};
  const auto& long_names = option->get_lnames();
  const auto named = [&long_names](std::string_view name) {
    return std::find(long_names.begin(), long_names.end(), name) != long_names.end();
  };
  std::string type = option->get_type_name();
  type = type.substr(0, type.find(':'));
  if (named("format")) return {WordKind::format, {}};
  if (named("component")) return {WordKind::component, {}};
  if (named("metric")) return {WordKind::metric, {}};
  if (named("dir")) return {WordKind::directory, {}};
  if (named("db") || named("output") || type == "FILE") return {WordKind::file, {}};
  return {};
}

OptionSpec option_spec(CLI::Option* option) {
  OptionSpec spec;
  for (const auto& name : option->get_snames()) spec.names.push_back("-" + name);
  for (const auto& name : option->get_lnames()) spec.names.push_back("--" + name);
  spec.description = option->get_description();
  spec.takes_value = option->get_expected_max() != 0;
  if (spec.takes_value) spec.value = option_value(option);
  return spec;
}

void add_unique(std::vector<std::string>& list, const std::vector<std::string>& more) {
  for (const auto& item : more)
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

CommandSpec command_spec(CLI::App* app, const std::vector<std::string>& path,
                         const std::vector<DeclaredFormats>& declared) {
  CommandSpec spec;
  spec.path = path;
  spec.description = app->get_description();
  for (CLI::Option* option : app->get_options()) {
    if (option->get_positional()) {
      add_arguments(spec, option);
    } else {
      spec.options.push_back(option_spec(option));
    }
  }
  for (const auto& entry : declared) {
    if (entry.command != app) continue;
    for (const auto name : entry.formats.names)
      if (!name.empty()) spec.formats.emplace_back(name);
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App* sub) { return !sub->get_name().empty(); })) {
    auto sub_path = path;
    sub_path.push_back(sub->get_name());
    spec.subcommands.push_back(command_spec(sub, sub_path, declared));
  }
  // A command of commands (backup) takes any format of those below it.
  if (spec.formats.empty())
    for (const auto& sub : spec.subcommands) add_unique(spec.formats, sub.formats);
  return spec;
}

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
  return command_spec(&root, {}, formats);
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
