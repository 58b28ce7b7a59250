#include "completion.hpp"

#include "options.hpp"

#include <algorithm>
#include <cctype>

namespace healthctl {

namespace {

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

} // namespace

std::string WordSpec::script_name() const {
  switch (kind) {
  case WordKind::text: return "text";
  case WordKind::file: return "file";
  case WordKind::directory: return "directory";
  case WordKind::format: return "format";
  case WordKind::component: return "component";
  case WordKind::metric: return "metric";
  case WordKind::command: return "command";
  case WordKind::subcommand: return "subcommand";
  case WordKind::choice: break;
  }
  std::string name = "{";
  for (std::size_t i = 0; i < choices.size(); ++i) name.append(i == 0 ? "" : ",").append(choices[i]);
  return name + "}";
}

std::string CommandSpec::path_text() const {
  std::string text;
  for (const auto& word : path) text.append(text.empty() ? "" : " ").append(word);
  return text;
}

namespace {

void add_commands(const CommandSpec& command, std::vector<const CommandSpec*>& out) {
  out.push_back(&command);
  for (const auto& sub : command.subcommands) add_commands(sub, out);
}

std::string option_entry(const OptionSpec& option, const std::string& name) {
  return option.takes_value ? name + "=" + option.value.script_name() : name;
}

} // namespace

std::vector<const CommandSpec*> every_command(const CommandSpec& tree) {
  std::vector<const CommandSpec*> out;
  add_commands(tree, out);
  return out;
}

std::vector<std::string> option_entries(const CommandSpec& command) {
  std::vector<std::string> out;
  for (const auto& option : command.options)
    for (const auto& name : option.names) out.push_back(option_entry(option, name));
  return out;
}

std::vector<std::string> described_option_entries(const CommandSpec& command, char separator) {
  std::vector<std::string> out;
  for (const auto& option : command.options)
    for (const auto& name : option.names) out.push_back(option_entry(option, name) + separator + option.description);
  return out;
}

std::vector<std::string> described_subcommands(const CommandSpec& command, char separator) {
  std::vector<std::string> out;
  for (const auto& sub : command.subcommands) out.push_back(sub.path.back() + separator + sub.description);
  return out;
}

std::vector<std::string> argument_entries(const CommandSpec& command) {
  std::vector<std::string> out;
  for (const auto& argument : command.arguments) out.push_back(argument.script_name());
  if (command.last_repeats && !out.empty()) out.back() += "...";
  return out;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out.append(out.empty() ? "" : " ").append(word);
  return out;
}

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string fish_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

CommandSpec completion_tree(CLI::App& root, const std::vector<DeclaredFormats>& formats) {
  return command_spec(&root, {}, formats);
}

} // namespace healthctl
