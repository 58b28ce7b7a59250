#pragma once
// Reading healthctl's --help back: the commands it lists, the flags it
// names and the formats --format accepts.

#include <sstream>
#include <string>
#include <vector>

namespace test {

// The command names a help text lists under "Commands:".
inline std::vector<std::string> listed_commands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  std::string line;
  bool on = false;
  while (std::getline(lines, line)) {
    if (line == "Commands:") {
      on = true;
    } else if (on && line.empty()) {
      break;
    } else if (on && line.rfind("  ", 0) == 0) {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return names;
}

// The formats a help text lists for --format: "ndjson (default), json" -> ndjson, json.
inline std::string listed_formats(const std::string& help) {
  const auto at = help.find("  --format FORMAT");
  if (at == std::string::npos) return {};
  const auto line_end = help.find('\n', at);
  std::string text = help.substr(at + 2, line_end - at - 2);
  text = text.substr(text.find_first_not_of(' ', std::string("--format FORMAT").size()));
  const auto note = text.find(" (default");
  return text.substr(0, note) + text.substr(text.find(')', note) + 1);
}

// Every option name a help text lists, in any section: "  -c,--component
// NAME ..." -> -c, --component.
inline std::vector<std::string> listed_flags(const std::string& help) {
  std::vector<std::string> flags;
  std::istringstream lines(help);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("  -", 0) != 0) continue;
    std::istringstream names(line.substr(2, line.find(' ', 2) - 2));
    for (std::string name; std::getline(names, name, ',');) flags.push_back(name);
  }
  return flags;
}

} // namespace test
