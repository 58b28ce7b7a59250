// The README's examples, run as printed: every indented `$ ` command in the
// order it appears, in one bash session started in a fresh folder whose
// `scripts/` is the project's, as a reader of a fresh clone would run them.
// Each command's output (stderr included) is compared with the lines printed
// under it by shape: times, numbers and runs of blanks are set aside, a line
// `...` stands for any number of lines, and a command printed without output
// only has to run without an error.

#include "process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Example {
  std::size_t line = 0;            // where the command starts in README.md
  std::string command;             // with its continuation lines
  std::vector<std::string> output; // the lines printed under it
};

bool is_code(const std::string& line) { return line.rfind("    ", 0) == 0; }
bool is_command(const std::string& line) { return line.rfind("    $ ", 0) == 0; }

// Whether `text` ends inside a quoted string or with a line continuation.
bool unfinished(const std::string& text) {
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == 0 && c == '\\') ++i;
    else if (quote == 0 && (c == '"' || c == '\'')) quote = c;
    else if (quote == '"' && c == '\\') ++i;
    else if (c == quote) quote = 0;
  }
  const auto end = text.find_last_not_of(' ');
  return quote != 0 || (end != std::string::npos && (text[end] == '\\' || text[end] == '|'));
}

std::vector<Example> examples_of(std::istream& readme) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(readme, line);) lines.push_back(line);
  std::vector<Example> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!is_command(lines[i])) continue;
    Example example{i + 1, lines[i].substr(6), {}};
    while (unfinished(example.command) && i + 1 < lines.size()) example.command += "\n" + lines[++i];
    while (i + 1 < lines.size() && !is_command(lines[i + 1]) && (is_code(lines[i + 1]) || lines[i + 1].empty()))
      example.output.push_back(lines[++i].empty() ? "" : lines[i].substr(4));
    while (!example.output.empty() && example.output.back().empty()) example.output.pop_back();
    out.push_back(std::move(example));
  }
  return out;
}

// Commands for programs outside Debian or for other shells are not run here.
bool runs_here(const std::string& command) {
  return command.find("claude") == std::string::npos && command.find("completion zsh") == std::string::npos &&
         command.find("completion fish") == std::string::npos;
}

std::string shape(std::string line) {
  static const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  static const std::regex number(R"(-?\d+(\.\d+)?(e[-+]\d+)?)");
  static const std::regex blanks(R"(\s+)");
  line = std::regex_replace(line, time, "T");
  line = std::regex_replace(line, number, "N");
  line = std::regex_replace(line, blanks, " ");
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

bool elided(const std::string& line) { return line.rfind("...", 0) == 0; }

// Whether `actual` (from `a`) has the shape of `expected` (from `e`).
bool matches(const std::vector<std::string>& expected, std::size_t e, const std::vector<std::string>& actual,
             std::size_t a) {
  if (e == expected.size()) return a == actual.size();
  if (elided(expected[e])) {
    for (std::size_t skip = a; skip <= actual.size(); ++skip)
      if (matches(expected, e + 1, actual, skip)) return true;
    return false;
  }
  return a < actual.size() && shape(expected[e]) == shape(actual[a]) && matches(expected, e + 1, actual, a + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

const std::string k_marker = "\x1e-readme-example-\x1e";

} // namespace

TEST_CASE("readme: every example runs as printed and prints what the README shows", "[readme]") {
  std::ifstream readme(std::string(SOURCE_DIR) + "/README.md");
  REQUIRE(readme);
  const auto examples = examples_of(readme);
  REQUIRE(examples.size() >= 30);

  test::Sandbox sandbox;
  std::filesystem::create_directory_symlink(std::string(SOURCE_DIR) + "/scripts", sandbox.dir() / "scripts");
  sandbox.env.erase("HEALTH_DB_PATH"); // the README says where its database goes
  sandbox.env["PATH"] = std::filesystem::path(test::healthctl_path()).parent_path().string() + ":/usr/bin:/bin";
  sandbox.env["TMPDIR"] = sandbox.dir().string();
  sandbox.env["HEALTH_NODE_NAME"] = "web-1";
  sandbox.env["USER"] = "ops";

  std::string script = "exec 2>&1\n";
  std::vector<const Example*> run;
  for (const auto& example : examples) {
    if (!runs_here(example.command)) continue;
    script += "printf '\\n%s\\n' '" + k_marker + "'\n" + example.command + "\n";
    run.push_back(&example);
  }
  const auto result = sandbox.run({"bash", "--norc", "-c", script});

  std::vector<std::string> outputs;
  for (std::size_t at = result.out.find(k_marker); at != std::string::npos;) {
    const auto start = at + k_marker.size() + 1;
    const auto next = result.out.find(k_marker, start);
    outputs.push_back(result.out.substr(start, next == std::string::npos ? next : next - start - 1));
    at = next;
  }
  REQUIRE(outputs.size() == run.size());
  for (std::size_t i = 0; i < run.size(); ++i) {
    const auto& example = *run[i];
    const auto actual = lines_of(outputs[i]);
    INFO("README.md:" << example.line << ": $ " << example.command << "\nprinted:\n" << joined(actual));
    if (example.output.empty())
      CHECK(outputs[i].find("healthctl: error") == std::string::npos);
    else
      CHECK(matches(example.output, 0, actual, 0));
  }
}

TEST_CASE("readme: the shape of a line sets times, numbers and blanks aside", "[readme]") {
  CHECK(shape("backup     1       1        2026-11-23T04:56:30.936Z  healthy") == "backup N N T healthy");
  CHECK(shape("p95 query_ms 2950 ms outside 0..1000") == "pN query_ms N ms outside N..N");
  CHECK(shape("rate 2.315e-04/s") == "rate N/s");
  CHECK(shape("ingested 18 samples") != shape("ingested 18 series"));
  const std::vector<std::string> expected = {"header", "...", "last"};
  CHECK(matches(expected, 0, {"header", "last"}, 0));
  CHECK(matches(expected, 0, {"header", "a", "b", "last"}, 0));
  CHECK_FALSE(matches(expected, 0, {"header", "a"}, 0));
  CHECK_FALSE(matches({"one"}, 0, {"one", "two"}, 0));
}

TEST_CASE("readme: a command continues over quotes, backslashes and pipes", "[readme]") {
  std::istringstream readme("text\n"
                            "    $ healthctl sql \"SELECT 1\n"
                            "                     FROM x\"\n"
                            "    1\n"
                            "\n"
                            "    $ healthctl export |\n"
                            "        claude -p \"why?\"\n"
                            "    $ a \\\n"
                            "        b\n"
                            "    out\n"
                            "\n"
                            "    more out\n"
                            "text\n");
  const auto examples = examples_of(readme);
  REQUIRE(examples.size() == 3);
  CHECK(examples[0].command == "healthctl sql \"SELECT 1\n                     FROM x\"");
  CHECK(examples[0].output == std::vector<std::string>{"1"});
  CHECK(examples[0].line == 2);
  CHECK_FALSE(runs_here(examples[1].command));
  CHECK(examples[2].output == std::vector<std::string>{"out", "", "more out"});
}
