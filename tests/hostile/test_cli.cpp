// Hostile input through the built binary: seeded mutations of ingest files
// and of every argument that takes a time, duration, range, label, name,
// size, number or JSON, and of the environment variables. Each case runs
// in a sandbox of its own on a copy of one database and must exit with a
// documented code, without a signal, a sanitizer report or a hang, and on
// failure print exactly one clean error line and leave the database
// byte-identical.

#include "checks.hpp"
#include "hostile.hpp"
#include "mutate.hpp"
#include "seeds.hpp"
#include "temp_dir.hpp"

#include <health/format.hpp>
#include <health/time.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sys/stat.h>

namespace {

using hostile::Rng;
using hostile::Tally;

// Each case is a process, about 0.15 s of CPU in the sanitizer build
// (most of it the sanitizers' start-up): these counts keep the CLI parts
// near 40 s of CPU together; the thousands of cases run in-process
// (test_parsers.cpp, test_ingest.cpp).
constexpr std::size_t k_ingest_files = 50; // per format
constexpr std::size_t k_argument_cases = 90;

// A database with series of every type, a threshold and an issue, made
// once per process: each case starts from a copy of its bytes.
const std::string& template_database() {
  static const std::string bytes = [] {
    test::Sandbox box;
    const auto ingest = box.healthctl({"ingest", "--format", "ndjson"}, hostile::ndjson_seeds().front());
    REQUIRE(ingest.exit_code == 0);
    REQUIRE(box.healthctl({"threshold", "set", "database", "query_ms", "--agg", "p95", "--warn", "500", "--crit",
                           "1000"})
                .exit_code == 0);
    REQUIRE(box.healthctl({"issue", "report", "web", "requests", "--severity", "warning", "--reason", "slow"})
                .exit_code == 0);
    return test::slurp(box.db());
  }();
  return bytes;
}

void install_database(const test::Sandbox& box) {
  std::ofstream(box.db(), std::ios::binary) << template_database();
}

// One ingest case: a mutated file of `seeds`, ingested from a file or
// standard input, all or nothing, batched or dry.
void ingest_case(Tally& tally, const std::vector<std::string>& seeds, const char* format, std::size_t index) {
  Rng rng(hostile::case_seed(tally.part(), index));
  const std::string text = rng.percent(4) ? rng.pick(seeds) : hostile::mutate(rng.pick(seeds), rng, 4);
  test::Sandbox box;
  install_database(box);
  std::vector<std::string> args{"ingest"};
  hostile::Contract contract;
  const auto mode = rng.below(10);
  if (mode == 0) {
    args.insert(args.end(), {"--batch-size", std::to_string(rng.between(1, 3))});
    contract.unchanged_on_error = false; // committed batches stay, as documented
  } else if (mode == 1) {
    args.push_back("--dry-run");
  } else if (mode == 2) {
    args.push_back("--allow-future");
  }
  std::string input;
  if (rng.percent(25)) {
    args.insert(args.end(), {"--format", format, "-"});
    input = text;
  } else {
    args.push_back(box.write_file(std::string("in.") + format, text));
  }
  tally.run_case(box, args, input, contract);
  // Whatever happened, the file is a sound database.
  const auto check = hostile::integrity_check(box.db());
  if (check != "ok") tally.fail("after " + hostile::reproduction(box, args, input) + ": integrity_check says " + check);
}

} // namespace

TEST_CASE("cli: mutated NDJSON ingest files never crash, hang or half-write", "[hostile][cli]") {
  Tally tally("cli: ndjson ingest");
  for (std::size_t i = 0; i < k_ingest_files; ++i) ingest_case(tally, hostile::ndjson_seeds(), "ndjson", i);
  tally.finish();
}

TEST_CASE("cli: mutated CSV ingest files never crash, hang or half-write", "[hostile][cli]") {
  Tally tally("cli: csv ingest");
  for (std::size_t i = 0; i < k_ingest_files; ++i) ingest_case(tally, hostile::csv_seeds(), "csv", i);
  tally.finish();
}

namespace {

const std::vector<std::string> k_times = {"2025-01-15T10:30:00Z", "2025-01-15T10:30:00.123+02:00", "2025-01-15 10:30",
                                          "2025-01-15", "@1736937000.5", "now", "today", "yesterday", "now-24h",
                                          "-24h", "24h", "now+5m", "now+500ms"};
const std::vector<std::string> k_durations = {"5m", "1h30m", "7d", "2w", "500ms", "90s", "30d"};
const std::vector<std::string> k_ranges = {"10", "10:", "~:10", "10:20", "@10:20", "0:1e3", "-5:-1"};
const std::vector<std::string> k_labels = {"route=/api", "method=GET", "k=v", "a.b:c-d_e=x y", "empty="};
const std::vector<std::string> k_names = {"webserver", "query_ms", "a.b:c-d_e", "database"};
const std::vector<std::string> k_numbers = {"12.5", "0", "1e3", "42", "0.001"};
const std::vector<std::string> k_sizes = {"100MB", "2GB", "512KB", "1", "10B"};
const std::vector<std::string> k_contexts = {R"({"query":"select_user"})", R"({"a":[1,{"b":null}],"c":true})"};
const std::vector<std::string> k_texts = {"disk almost full", "exited 3", "looking at it"};

// `seeds` mutated, or now and then left valid; never holding NUL, which no
// argument can carry.
std::string argument(Rng& rng, const std::vector<std::string>& seeds) {
  std::string text = rng.percent(15) ? rng.pick(seeds) : hostile::mutate(rng.pick(seeds), rng, 2);
  std::replace(text.begin(), text.end(), '\0', '\x01');
  return text;
}

// `--flag value` or `--flag=value`: the second form keeps a value that
// starts with '-' a value.
void add_option(std::vector<std::string>& args, Rng& rng, const std::string& flag, const std::string& value) {
  if (rng.percent(50)) args.push_back(flag + "=" + value);
  else args.insert(args.end(), {flag, value});
}

// The command line of one argument case, and the environment it runs in.
std::vector<std::string> argument_case(Rng& rng, std::map<std::string, std::string>& env) {
  switch (rng.below(10)) {
  case 0: {
    std::vector<std::string> args{"record", "web", "requests", argument(rng, k_numbers)};
    add_option(args, rng, "--at", argument(rng, k_times));
    return args;
  }
  case 1: {
    std::vector<std::string> args{"export", "--format", "csv"};
    add_option(args, rng, "--since", argument(rng, k_times));
    if (rng.percent(50)) add_option(args, rng, "--until", argument(rng, k_times));
    if (rng.percent(30)) add_option(args, rng, "--step", argument(rng, k_durations));
    return args;
  }
  case 2: {
    std::vector<std::string> args{"threshold", "set", "database", "query_ms"};
    add_option(args, rng, "--warn", argument(rng, k_ranges));
    if (rng.percent(60)) add_option(args, rng, "--crit", argument(rng, k_ranges));
    if (rng.percent(40)) add_option(args, rng, "--window", argument(rng, k_durations));
    if (rng.percent(30)) add_option(args, rng, "--for", argument(rng, k_durations));
    return args;
  }
  case 3: {
    std::vector<std::string> args{"record", "web", "requests"};
    for (std::size_t n = rng.between(1, 3); n > 0; --n) add_option(args, rng, "-l", argument(rng, k_labels));
    return args;
  }
  case 4: {
    std::vector<std::string> args{"record", argument(rng, k_names), argument(rng, k_names), argument(rng, k_numbers)};
    if (rng.percent(50)) add_option(args, rng, "-t", rng.percent(50) ? "gauge" : argument(rng, {"timer", "rolling"}));
    if (rng.percent(50)) add_option(args, rng, "--unit", argument(rng, {"ms", "percent", "s", "%"}));
    return args;
  }
  case 5: {
    std::vector<std::string> args{"record", "database", "query_ms", "5", "-t", "timer"};
    add_option(args, rng, "--context", argument(rng, k_contexts));
    return args;
  }
  case 6: {
    std::vector<std::string> args{"cleanup"};
    if (rng.percent(70)) args.push_back("--dry-run");
    if (rng.percent(60)) add_option(args, rng, "--retention", argument(rng, k_durations));
    if (rng.percent(60)) add_option(args, rng, "--max-size", argument(rng, k_sizes));
    if (rng.percent(30)) add_option(args, rng, "--issues-retention", argument(rng, k_durations));
    return args;
  }
  case 7: {
    std::vector<std::string> args{"issue", "report", "web", "requests"};
    add_option(args, rng, "--severity", argument(rng, {"warning", "critical"}));
    add_option(args, rng, "--reason", argument(rng, k_texts));
    if (rng.percent(40)) add_option(args, rng, "--value", argument(rng, k_numbers));
    return args;
  }
  case 8: {
    std::vector<std::string> args{rng.percent(50) ? "summary" : "metrics", "--format", "json"};
    if (args.front() == "summary") add_option(args, rng, "--since", argument(rng, k_times));
    else add_option(args, rng, "-c", argument(rng, k_names));
    return args;
  }
  default: {
    // The environment variables healthctl reads, with a command that uses each.
    static const std::vector<std::pair<std::string, std::vector<std::string>>> k_variables = {
        {"HEALTH_BUSY_TIMEOUT", {"record", "web", "requests"}},
        {"HEALTH_RETENTION_DAYS", {"cleanup", "--dry-run"}},
        {"HEALTH_MAX_DB_SIZE_MB", {"cleanup", "--dry-run"}},
        {"HEALTH_BACKUP_RETENTION_DAYS", {"backup", "prune", "--dry-run"}},
        {"HEALTH_NODE_NAME", {"record", "web", "requests"}},
        {"HEALTH_SYNCHRONOUS", {"record", "web", "requests"}}};
    const auto& [name, args] = rng.pick(k_variables);
    // Numbers past every limit half the time: these variables are numbers.
    env[name] = rng.percent(50) ? rng.pick(hostile::huge_numbers())
                                : argument(rng, {"5000", "30", "100", "7", "test-node", "full", "5s"});
    return args;
  }
  }
}

} // namespace

TEST_CASE("cli: mutated times, ranges, labels, names, sizes and variables on the command line",
          "[hostile][cli]") {
  Tally tally("cli: arguments");
  for (std::size_t i = 0; i < k_argument_cases; ++i) {
    Rng rng(hostile::case_seed(tally.part(), i));
    test::Sandbox box;
    install_database(box);
    const auto args = argument_case(rng, box.env);
    const auto outcome = tally.run_case(box, args, {}, {});
    // A threshold that was set is evaluated: its window and --for in arithmetic.
    if (args.front() == "threshold" && outcome.result.exit_code == 0)
      tally.run_case(box, {"check"}, {}, hostile::k_plugin_contract);
  }
  tally.finish();
}

namespace {

// Things a careless user names where healthctl wants a file, all made
// inside the sandbox (never the system's own devices: an atomic write
// renames over its target, which as root would replace /dev/null).
std::string make_odd_path(const test::Sandbox& box, const std::string& kind) {
  const auto path = box.dir() / kind;
  if (kind == "folder") std::filesystem::create_directory(path);
  else if (kind == "fifo") ::mkfifo(path.c_str(), 0600);
  else if (kind == "dangling-link") std::filesystem::create_symlink("nowhere", path);
  else if (kind == "link-loop") std::filesystem::create_symlink(kind, path);
  else if (kind == "empty") box.write_file(kind, "");
  else if (kind == "nul-bytes") box.write_file(kind, std::string(4096, '\0'));
  else if (kind == "half-database") box.write_file(kind, template_database().substr(0, template_database().size() / 2));
  else if (kind == "database-header") box.write_file(kind, template_database().substr(0, 100));
  else if (kind == "through-a-file") return box.write_file("plain", "text\n") + "/x";
  else if (kind == "name-too-long") return (box.dir() / std::string(300, 'x')).string();
  else if (kind == "control-name") return box.write_file("bad\x1b[31m\n\xc2\x9b.db", "{}\n");
  return path.string();
}

// Which command meets which odd path: `{}` stands for the path.
const std::vector<std::pair<std::string, std::vector<std::string>>> k_odd_cases = {
    {"folder", {"--db", "{}", "components"}},         {"folder", {"ingest", "{}"}},
    {"folder", {"threshold", "import", "{}"}},         {"folder", {"backup", "restore", "{}", "--yes"}},
    {"folder", {"export", "-o", "{}"}},                {"fifo", {"--db", "{}", "components"}},
    {"fifo", {"--db", "{}", "record", "c", "n"}},      {"fifo", {"backup", "verify", "{}"}},
    {"fifo", {"backup", "create", "--dir", "{}"}},     {"dangling-link", {"--db", "{}", "record", "c", "n"}},
    {"dangling-link", {"ingest", "{}"}},               {"link-loop", {"--db", "{}", "components"}},
    {"link-loop", {"threshold", "import", "{}"}},      {"link-loop", {"backup", "create", "--dir", "{}"}},
    {"empty", {"--db", "{}", "components"}},           {"empty", {"backup", "restore", "{}", "--yes"}},
    {"nul-bytes", {"--db", "{}", "record", "c", "n"}}, {"nul-bytes", {"ingest", "--format", "csv", "{}"}},
    {"nul-bytes", {"threshold", "import", "{}"}},      {"half-database", {"--db", "{}", "export"}},
    {"half-database", {"backup", "verify", "{}"}},     {"half-database", {"backup", "restore", "{}", "--yes"}},
    {"database-header", {"--db", "{}", "record", "c", "n"}}, {"through-a-file", {"--db", "{}", "record", "c", "n"}},
    {"through-a-file", {"export", "-o", "{}"}},        {"name-too-long", {"--db", "{}", "record", "c", "n"}},
    {"name-too-long", {"ingest", "{}"}},               {"control-name", {"threshold", "import", "{}"}},
    {"control-name", {"--db", "{}", "components"}},    {"control-name", {"backup", "verify", "{}"}}};

// A copy of the template database with seeded damage: flipped bits, a cut,
// or a page overwritten with noise or zeros.
std::string damaged_database(Rng& rng) {
  std::string bytes = template_database();
  switch (rng.below(4)) {
  case 0:
    for (std::size_t i = rng.between(1, 40); i > 0; --i)
      bytes[rng.between(100, bytes.size() - 1)] ^= static_cast<char>(1U << rng.below(8));
    break;
  case 1: bytes.resize(rng.between(100, bytes.size() - 1)); break;
  default: {
    const auto page = rng.between(1, bytes.size() / 4096 - 1) * 4096;
    for (std::size_t i = 0; i < 4096; ++i) bytes[page + i] = rng.percent(50) ? '\0' : static_cast<char>(rng.below(256));
    break;
  }
  }
  return bytes;
}

// backup create and verify log every attempt, failed ones too, in the
// database (healthctl-backup(1)), and cleanup commits batch by batch so
// that writers never wait long (healthctl-cleanup(1)): a damaged page met
// after the first batches fails the command with those batches done. For
// them a failure may change the file.
hostile::Contract contract_for(const std::vector<std::string>& args) {
  hostile::Contract contract;
  if (args.front() == "cleanup") contract.unchanged_on_error = false;
  const auto backup = std::find(args.begin(), args.end(), "backup");
  if (backup != args.end() && backup + 1 != args.end() && (backup[1] == "create" || backup[1] == "verify"))
    contract.unchanged_on_error = false;
  return contract;
}

} // namespace

TEST_CASE("cli: odd paths and damaged database files never crash, hang or half-write", "[hostile][cli]") {
  Tally tally("cli: odd paths and damaged databases");
  for (const auto& [kind, pattern] : k_odd_cases) {
    test::Sandbox box;
    install_database(box);
    const auto path = make_odd_path(box, kind);
    std::vector<std::string> args;
    for (const auto& arg : pattern) args.push_back(arg == "{}" ? path : arg);
    tally.run_case(box, args, {}, contract_for(args));
  }
  static const std::vector<std::vector<std::string>> k_reads = {
      {"components"}, {"export", "--since", "@0", "--format", "csv"}, {"summary", "--since", "@0", "--format", "json"},
      {"metrics", "--format", "json"}, {"issue", "list", "--status", "all"}, {"backup", "create"}};
  static const std::vector<std::vector<std::string>> k_writes = {
      {"record", "database", "query_ms", "5", "-t", "timer"}, {"cleanup", "--retention", "1d"},
      {"threshold", "set", "web", "requests", "--warn", "10"}, {"ingest", "--format", "csv", "-"}};
  for (std::size_t i = 0; i < 12; ++i) {
    Rng rng(hostile::case_seed(tally.part(), i));
    const std::string bytes = damaged_database(rng);
    for (const auto* commands : {&k_reads, &k_writes}) {
      test::Sandbox box;
      std::ofstream(box.db(), std::ios::binary) << bytes;
      const auto& args = rng.pick(*commands);
      tally.run_case(box, args, args.back() == "-" ? "ts,component,name\nnow,web,requests\n" : "", contract_for(args));
    }
  }
  tally.finish();
}
