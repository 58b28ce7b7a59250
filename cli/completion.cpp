// The command tree as the completion scripts read it: its words, entries
// and quoting, shared by the three script writers. No CLI11 here: these
// files are compiled without it, so they add nothing to start-up.

#include "completion.hpp"

namespace healthctl {

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

} // namespace healthctl
