// Help and command-line mistakes: `help COMMAND`, usage lines in the man
// pages' words, the global options and formats each command's help lists,
// and parse errors in healthctl's own form with "did you mean".

#include "checks.hpp"
#include "help_text.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using test::check_error;
using test::listed_commands;
using test::listed_formats;

TEST_CASE("help: healthctl help COMMAND prints the command's --help", "[cli][help]") {
  test::Sandbox box;
  const auto top = box.healthctl({"--help"});
  REQUIRE(top.exit_code == 0);
  CHECK(box.healthctl({"help"}).out == top.out);
  const auto commands = listed_commands(top.out);
  REQUIRE(commands.size() > 15);
  CHECK(std::find(commands.begin(), commands.end(), "help") != commands.end());
  for (const auto& command : commands) {
    INFO(command);
    const auto help = box.healthctl({"help", command});
    CHECK(help.exit_code == 0);
    CHECK(help.out == box.healthctl({command, "--help"}).out);
    for (const auto& sub : listed_commands(help.out)) {
      INFO(sub);
      const auto sub_help = box.healthctl({"help", command, sub});
      CHECK(sub_help.exit_code == 0);
      CHECK(sub_help.out == box.healthctl({command, sub, "--help"}).out);
      CHECK_THAT(sub_help.out, Catch::Contains("Usage: healthctl " + command + " " + sub));
    }
  }
  CHECK(box.healthctl({"--db", "x.db", "help", "record"}).out == box.healthctl({"record", "--help"}).out);
}

TEST_CASE("help: every command's help lists its global options and formats, no parser internals",
          "[cli][help]") {
  test::Sandbox box;
  for (const auto& command : listed_commands(box.healthctl({"--help"}).out)) {
    if (command == "help") continue;
    const auto help = box.healthctl({command, "--help"}).out;
    auto subs = listed_commands(help);
    std::vector<std::vector<std::string>> leaves;
    if (subs.empty() || command == "analyze") leaves.push_back({command});
    for (const auto& sub : subs) leaves.push_back({command, sub});
    for (auto leaf : leaves) {
      leaf.push_back("--help");
      const auto text = box.healthctl(leaf).out;
      INFO(text);
      CHECK_THAT(text, Catch::Contains("Global options (before or after the command):"));
      CHECK_THAT(text, Catch::Contains("  --db FILE"));
      CHECK_THAT(text, Catch::Contains(" (default"));
      CHECK_THAT(text, Catch::Contains("See healthctl-" + command + "(1)"));
      for (const char* internal : {"(1x)", "(2x)", "Excludes", "Needs:", "UINT", "POSITIVE", "REQUIRED",
                                   "Positionals", "SUBCOMMAND"})
        CHECK_THAT(text, !Catch::Contains(internal));
    }
  }
  const auto exported = box.healthctl({"export", "--help"}).out;
  CHECK_THAT(exported, Catch::Contains("--format FORMAT             ndjson (default), json, csv, tsv"));
  CHECK_THAT(exported, Catch::Contains("--node NAME                 Only this node's series"));
  CHECK_THAT(box.healthctl({"record", "--help"}).out, Catch::Contains("--node NAME                 Record as"));
  CHECK_THAT(box.healthctl({"status", "--help"}).out, !Catch::Contains("--node"));
  CHECK_THAT(box.healthctl({"threshold", "set", "--help"}).out,
             Catch::Contains("Usage: healthctl threshold set [OPTIONS] COMPONENT METRIC\n"));
  CHECK_THAT(box.healthctl({"ingest", "--help"}).out,
             Catch::Contains("ndjson (default; unless the first FILE ends in .csv, .tsv, .json, .prom or .om, or --url "
                             "is given), csv, tsv, json, prometheus, openmetrics"));
  // analyze's views take analyze's own options too, and say so.
  CHECK_THAT(box.healthctl({"analyze", "diagnose", "--help"}).out,
             Catch::Contains("Options of 'healthctl analyze' (given before or after diagnose):"));
}

TEST_CASE("help: the formats a help lists are the ones --format accepts", "[cli][help]") {
  test::Sandbox box;
  const std::vector<std::vector<std::string>> commands = {
      {"export"}, {"summary"}, {"components"}, {"metrics"}, {"status"}, {"check"}, {"cleanup"},
      {"maintain"}, {"init"}, {"analyze"}, {"sql", "SELECT 1"}, {"record", "web", "hits"},
      {"threshold", "list"}, {"threshold", "set", "web", "hits", "--warn", "5"}, {"issue", "list"},
      {"backup", "list"}, {"backup", "status"}, {"ingest", "-"}};
  for (const auto& command : commands) {
    INFO(command.front());
    auto help_args = command;
    help_args.push_back("--help");
    const auto formats = listed_formats(box.healthctl(help_args).out);
    REQUIRE_FALSE(formats.empty());
    auto bad = command;
    bad.insert(bad.end(), {"--format", "bogus"});
    const auto result = box.healthctl(bad);
    CHECK(result.exit_code == (command.front() == "status" || command.front() == "check" ? 3 : 2));
    CHECK_THAT(result.err, Catch::EndsWith("(use --format with one of: " + formats + ")\n"));
  }
}

TEST_CASE("help: a mistyped command or option is named, with the closest one", "[cli][help]") {
  test::Sandbox box;
  check_error(box.healthctl({"recrod", "web", "hits"}), 2, "unknown command 'recrod' (did you mean 'record'?)");
  check_error(box.healthctl({"xyzzy"}), 2, "unknown command 'xyzzy' (see 'healthctl --help')");
  check_error(box.healthctl({"help", "exprot"}), 2, "unknown command 'exprot' (did you mean 'export'?)");
  check_error(box.healthctl({"threshold", "sett", "web", "hits"}), 2,
              "unknown command 'threshold sett' (did you mean 'set'?)");
  check_error(box.healthctl({"export", "--untill", "now"}), 2, "unknown option '--untill' (did you mean '--until'?)");
  check_error(box.healthctl({"export", "--untill=now"}), 2, "unknown option '--untill' (did you mean '--until'?)");
  check_error(box.healthctl({"--dbb", "x.db", "components"}), 2, "unknown option '--dbb' (did you mean '--db'?)");
  check_error(box.healthctl({"components", "--fromat", "json"}), 2,
              "unknown option '--fromat' (did you mean '--format'?)");
  check_error(box.healthctl({"record", "--bogus", "web", "hits"}), 2,
              "unknown option '--bogus' (see 'healthctl record --help')");
  // status speaks the monitoring-plugin convention: every failure is 3.
  check_error(box.healthctl({"status", "--formt", "json"}), 3, "unknown option '--formt' (did you mean '--format'?)");
}

TEST_CASE("help: missing and extra arguments are told in healthctl's words", "[cli][help]") {
  test::Sandbox box;
  check_error(box.healthctl({}), 2, "no command given (see 'healthctl help')");
  check_error(box.healthctl({"threshold"}), 2,
              "'healthctl threshold' needs a command: set, list, rm, import, export "
              "(see 'healthctl threshold --help')");
  check_error(box.healthctl({"record", "web"}), 2,
              "missing NAME (usage: healthctl record [OPTIONS] COMPONENT NAME [VALUE...])");
  check_error(box.healthctl({"record", "web", "hits", "1", "extra"}), 2,
              "unexpected argument 'extra' (usage: healthctl record [OPTIONS] COMPONENT NAME [VALUE...])");
  check_error(box.healthctl({"threshold", "set", "web"}), 2,
              "expected COMPONENT METRIC (usage: healthctl threshold set [OPTIONS] COMPONENT METRIC)");
  check_error(box.healthctl({"export", "--step"}), 2, "--step needs a value (see 'healthctl export --help')");
  check_error(box.healthctl({"export", "--step", "5m", "--max-points", "10"}), 2,
              "--step and --max-points cannot be used together");
  check_error(box.healthctl({"export", "--max-points", "x"}), 2, "--max-points: 'x' is not a whole number of 1 or more");
  check_error(box.healthctl({"ingest", "--batch-size", "0"}), 2, "--batch-size: '0' is not a whole number of 1 or more");
  check_error(box.healthctl({"backup", "prune", "--keep-last", "-1"}), 2, "--keep-last: '-1' is not a whole number");
  check_error(box.healthctl({"record", "web", "hits", "-t", "gauges"}), 2,
              "--type: 'gauges' is not one of counter, gauge, timer, rolling");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"record", "web", "hits", "1", "extra"}, {"threshold", "set", "web"}, {"export", "--step"},
           {"nosuch"}, {"record", "--x"}}) {
    const auto result = box.healthctl(args);
    for (const char* words : {"was not expected", "is required", "required TEXT", "Subcommand"})
      CHECK_THAT(result.err, !Catch::Contains(words));
  }
}
