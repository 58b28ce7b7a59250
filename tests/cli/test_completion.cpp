// healthctl completion: the bash, zsh and fish scripts hold every command,
// subcommand and flag --help names; bash's completes them for real (the
// script sourced in `bash --norc`, its function driven as bash drives it),
// with formats per command, files, and component and metric names read from
// the database; zsh's and fish's parse in their shells where installed.

#include "checks.hpp"
#include "help_text.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <unistd.h>

using test::check_error;
using test::listed_commands;
using test::listed_flags;

namespace {

using Words = std::set<std::string>;

// Drives the completion function the script registers for healthctl, as
// bash would with the cursor at the end of each line: COMP_WORDS split at
// blanks and at = and : (bash's COMP_WORDBREAKS). Prints each line's
// candidates on one line, a tab between two.
constexpr const char* k_bash_driver = R"BASH(
source "$1" || exit 3
shift
spec=$(complete -p healthctl) || exit 4
function=${spec#*-F }
function=${function%% *}
for line; do
  COMP_WORDS=() word=
  for ((i = 0; i < ${#line}; i++)); do
    c=${line:i:1}
    if [[ $c == ' ' ]]; then
      [[ -n $word ]] && COMP_WORDS+=("$word")
      word=
    elif [[ $c == [=:] ]]; then
      [[ -n $word ]] && COMP_WORDS+=("$word")
      COMP_WORDS+=("$c")
      word=
    else
      word+=$c
    fi
  done
  [[ -n $word || $line == *' ' ]] && COMP_WORDS+=("$word")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
  COMPREPLY=()
  "$function" healthctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  (IFS=$'\t'; printf '%s\n' "${COMPREPLY[*]}")
done
)BASH";

// A sandbox whose PATH finds the healthctl under test first, as a user's
// shell finds the installed one.
struct Shell {
  test::Sandbox box;
  std::string bash_script;

  Shell() {
    box.env["PATH"] = std::filesystem::path(test::healthctl_path()).parent_path().string() + ":" + box.env["PATH"];
    const auto script = box.healthctl({"completion", "bash"});
    REQUIRE(script.exit_code == 0);
    REQUIRE(script.err.empty());
    bash_script = box.write_file("healthctl.bash", script.out);
    box.write_file("driver.sh", k_bash_driver);
  }

  // What bash offers after each of `lines`.
  std::vector<Words> complete(const std::vector<std::string>& lines) const {
    std::vector<std::string> argv{"bash", "--norc", "--noprofile", (box.dir() / "driver.sh").string(), bash_script};
    argv.insert(argv.end(), lines.begin(), lines.end());
    const auto result = box.run(argv);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.empty());
    std::vector<Words> out;
    std::istringstream text(result.out);
    for (std::string line; std::getline(text, line);) {
      Words words;
      std::istringstream fields(line);
      for (std::string word; std::getline(fields, word, '\t');) words.insert(word);
      out.push_back(words);
    }
    REQUIRE(out.size() == lines.size());
    return out;
  }

  Words complete(const std::string& line) const { return complete(std::vector<std::string>{line}).front(); }
};

Words words_of(const std::vector<std::string>& list) { return {list.begin(), list.end()}; }

// "ndjson, json, csv" -> {ndjson, json, csv}
Words format_words(const std::string& listed) {
  Words words;
  std::istringstream names(listed);
  for (std::string name; std::getline(names, name, ',');) words.insert(name.substr(name.find_first_not_of(' ')));
  return words;
}

// Every command path of healthctl's --help: {"record"}, {"backup", "list"}, ...
std::vector<std::vector<std::string>> command_paths(const test::Sandbox& box) {
  std::vector<std::vector<std::string>> paths;
  for (const auto& command : listed_commands(box.healthctl({"--help"}).out)) {
    paths.push_back({command});
    for (const auto& sub : listed_commands(box.healthctl({command, "--help"}).out)) paths.push_back({command, sub});
  }
  return paths;
}

std::string joined(const std::vector<std::string>& path) {
  std::string text;
  for (const auto& word : path) text += word + " ";
  return text;
}

std::string help_of(const test::Sandbox& box, std::vector<std::string> path) {
  path.push_back("--help");
  return box.healthctl(path).out;
}

// Whether `script` lists option `flag` as a word of its own: after a quote
// or a blank, before a quote, a blank, = (its value's kind) or : (zsh's
// description).
bool names_option(const std::string& script, const std::string& flag) {
  for (auto at = script.find(flag); at != std::string::npos; at = script.find(flag, at + 1)) {
    const char before = at == 0 ? ' ' : script[at - 1];
    const char after = at + flag.size() < script.size() ? script[at + flag.size()] : ' ';
    if ((before == ' ' || before == '\'') && std::string_view(" '=:").find(after) != std::string_view::npos)
      return true;
  }
  return false;
}

// Whether `program` runs here.
} // namespace

TEST_CASE("completion: an unknown shell is a usage error that names the shells", "[cli][completion]") {
  test::Sandbox box;
  check_error(box.healthctl({"completion", "x"}), 2, "healthctl: error: unsupported shell 'x' (use bash, zsh or fish)");
  check_error(box.healthctl({"completion"}), 2, "missing bash|zsh|fish");
  check_error(box.healthctl({"completion", "bash", "--format", "json"}), 2, "unsupported format 'json'");
  CHECK_FALSE(std::filesystem::exists(box.db()));
}

TEST_CASE("completion: every script holds every command, subcommand and flag that --help names",
          "[cli][completion]") {
  test::Sandbox box;
  const auto bash = box.healthctl({"completion", "bash"}).out;
  const auto zsh = box.healthctl({"completion", "zsh"}).out;
  const auto fish = box.healthctl({"completion", "fish"}).out;
  REQUIRE_FALSE(bash.empty());
  for (const auto& path : command_paths(box)) {
    const std::string name = path.back();
    const std::string key = joined(path).substr(0, joined(path).size() - 1); // "backup list"
    INFO(key);
    CHECK_THAT(bash, Catch::Contains("  '" + key + "')\n"));
    CHECK_THAT(zsh, Catch::Contains("  ('" + key + "')\n"));
    CHECK_THAT(fish, Catch::Contains("case 'healthctl " + key + "'\n"));
    CHECK_THAT(zsh, Catch::Contains("'" + name + ":"));
    CHECK_THAT(fish, Catch::Contains("'" + name + " "));
    for (const auto& flag : listed_flags(help_of(box, path))) {
      INFO(flag);
      CHECK(names_option(bash, flag));
      CHECK(names_option(zsh, flag));
      CHECK(names_option(fish, flag));
    }
  }
}

TEST_CASE("completion: bash completes commands, subcommands, flags and each command's formats",
          "[cli][completion]") {
  Shell shell;
  const auto& box = shell.box;
  CHECK(box.run({"bash", "-n", shell.bash_script}).exit_code == 0);
  const auto registered = box.run({"bash", "--norc", "-c", "source " + shell.bash_script + " && complete -p healthctl"});
  CHECK(registered.out == "complete -F _healthctl healthctl\n");

  const auto top = listed_commands(help_of(box, {}));
  CHECK(shell.complete("healthctl ") == words_of(top));
  CHECK(shell.complete("healthctl ba") == Words{"backup"});
  CHECK(shell.complete("healthctl backup ") == words_of(listed_commands(help_of(box, {"backup"}))));
  CHECK(shell.complete("healthctl help ") == words_of(top));
  CHECK(shell.complete("healthctl help threshold ") == Words{"set", "list", "rm", "import", "export"});
  CHECK(shell.complete("healthctl completion ") == Words{"bash", "zsh", "fish"});
  CHECK(shell.complete("healthctl record --type ") == Words{"counter", "gauge", "timer", "rolling"});
  CHECK(shell.complete("healthctl export --format ") == Words{"ndjson", "json", "csv", "tsv", "prometheus", "openmetrics"});
  CHECK(shell.complete("healthctl export --format=c") == Words{"csv"});

  // For every command: the flags its --help lists after "-", the formats it
  // lists after "--format ".
  std::vector<std::vector<std::string>> paths = command_paths(box);
  std::vector<std::string> lines;
  for (const auto& path : paths) {
    lines.push_back("healthctl " + joined(path) + "-");
    lines.push_back("healthctl " + joined(path) + "--format ");
  }
  const auto offered = shell.complete(lines);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    INFO(joined(paths[i]));
    const auto help = help_of(box, paths[i]);
    for (const auto& flag : listed_flags(help)) {
      INFO(flag);
      CHECK(offered[2 * i].count(flag) == 1);
    }
    if (const auto formats = test::listed_formats(help); !formats.empty())
      CHECK(offered[2 * i + 1] == format_words(formats));
  }
}

TEST_CASE("completion: bash completes component and metric names from the database it is given",
          "[cli][completion]") {
  Shell shell;
  const auto& box = shell.box;
  for (const auto& args : std::vector<std::vector<std::string>>{{"record", "database", "query_ms", "5", "-t", "timer"},
                                                                {"record", "database", "conn:active", "3", "-t", "gauge"},
                                                                {"record", "web", "http.requests"},
                                                                {"record", "web", "errors", "-l", "code=500"},
                                                                {"--db", "other.db", "record", "queue", "depth"}})
    REQUIRE(box.healthctl(args).exit_code == 0);

  CHECK(shell.complete("healthctl record ") == Words{"database", "web"});
  CHECK(shell.complete("healthctl record w") == Words{"web"});
  CHECK(shell.complete("healthctl record database ") == Words{"conn:active", "query_ms"});
  CHECK(shell.complete("healthctl record database conn:") == Words{"active"}); // bash replaces after the ':'
  CHECK(shell.complete("healthctl threshold set web ") == Words{"errors", "http.requests"});
  CHECK(shell.complete("healthctl threshold rm web e") == Words{"errors"});
  CHECK(shell.complete("healthctl issue report database q") == Words{"query_ms"});
  CHECK(shell.complete("healthctl issue resolve ") == Words{"database", "web"});
  CHECK(shell.complete("healthctl analyze diagnose ") == Words{"database", "web"});
  CHECK(shell.complete("healthctl export -c ") == Words{"database", "web"});
  CHECK(shell.complete("healthctl export --component database,w") == Words{"database,web"});
  CHECK(shell.complete("healthctl summary -c web -m ") == Words{"errors", "http.requests"});
  CHECK(shell.complete("healthctl export --metric ") == Words{"conn:active", "errors", "http.requests", "query_ms"});
  CHECK(shell.complete("healthctl status --component d") == Words{"database"});
  // --db on the line, before or after the command, as --db FILE or --db=FILE.
  CHECK(shell.complete("healthctl --db other.db record ") == Words{"queue"});
  CHECK(shell.complete("healthctl record --db=other.db queue ") == Words{"depth"});
  // No database: nothing offered, nothing said, nothing created.
  CHECK(shell.complete("healthctl --db missing.db record ").empty());
  CHECK_FALSE(std::filesystem::exists(box.dir() / "missing.db"));
}

TEST_CASE("completion: bash completes files for --db, -o and file arguments, folders for --dir",
          "[cli][completion]") {
  Shell shell;
  const auto& box = shell.box;
  box.write_file("samples.ndjson", "");
  box.write_file("samples.csv", "");
  std::filesystem::create_directory(box.dir() / "saved");
  CHECK(shell.complete("healthctl ingest sam") == Words{"samples.ndjson", "samples.csv"});
  CHECK(shell.complete("healthctl ingest samples.csv sam") == Words{"samples.ndjson", "samples.csv"});
  CHECK(shell.complete("healthctl --db sam") == Words{"samples.ndjson", "samples.csv"});
  CHECK(shell.complete("healthctl --db=samples.c") == Words{"samples.csv"});
  CHECK(shell.complete("healthctl export -o samples.n") == Words{"samples.ndjson"});
  CHECK(shell.complete("healthctl backup verify samples.c") == Words{"samples.csv"});
  CHECK(shell.complete("healthctl threshold import samples.c") == Words{"samples.csv"});
  CHECK(shell.complete("healthctl backup create --dir sa") == Words{"saved"});
  // Values with nothing to offer offer nothing, not files.
  CHECK(shell.complete("healthctl record web hits ").empty());
  CHECK(shell.complete("healthctl export --since ").empty());
}

TEST_CASE("completion: the zsh and fish scripts parse in their shells, where installed", "[cli][completion]") {
  test::Sandbox box;
  for (const auto& [shell, check] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"zsh", {"zsh", "-n"}}, {"fish", {"fish", "--no-execute"}}}) {
    const auto script = box.healthctl({"completion", shell});
    REQUIRE(script.exit_code == 0);
    CHECK(script.err.empty());
    if (!test::installed(shell.c_str())) {
      WARN(shell << " is not installed: the syntax of its completion script is not checked");
      continue;
    }
    auto argv = check;
    argv.push_back(box.write_file("healthctl." + shell, script.out));
    const auto result = box.run(argv);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
}
