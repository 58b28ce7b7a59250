// healthctl run end to end: the command's exit code and output passed
// through, the series it records, timeouts that end the whole process tree,
// --no-overlap, --retries, the job's issue and check's stale jobs, and the
// usage errors.

#include "checks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/stat.h>

using nlohmann::json;
using test::check_error;
using namespace std::chrono_literals;

namespace {

// Every sample of the sandbox's database, by series name.
std::multimap<std::string, json> samples(const test::Sandbox& box) {
  const auto result = box.healthctl({"export", "--format", "ndjson", "--since", "1h"});
  REQUIRE(result.exit_code == 0);
  std::multimap<std::string, json> out;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    auto sample = json::parse(line);
    out.emplace(sample["name"].get<std::string>(), std::move(sample));
  }
  return out;
}

std::vector<std::string> run_args(std::vector<std::string> options, std::vector<std::string> command) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

// Whether process `pid` still runs (a zombie waiting for init does not).
bool runs(const std::string& pid) {
  const std::string stat = test::slurp("/proc/" + pid + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool ends_within(const std::string& pid, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (runs(pid)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Waits until `path` exists (a command's sign that it started).
void await_file(const std::filesystem::path& path) {
  for (int tries = 0; tries < 500 && !std::filesystem::exists(path); ++tries) std::this_thread::sleep_for(10ms);
  REQUIRE(std::filesystem::exists(path));
}

json issues(const test::Sandbox& box, const char* status = "all") {
  const auto result = box.healthctl({"issue", "list", "--status", status, "--format", "json"});
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

} // namespace

TEST_CASE("run: the command's exit code comes back and its stdout and stderr pass through unchanged",
          "[cli][run]") {
  test::Sandbox box;
  auto result = box.healthctl(run_args({"job"}, {"sh", "-c", "printf 'out\\n\\001 $HOME'; printf 'err\\n' >&2; exit 3"}));
  CHECK(result.exit_code == 3);
  CHECK(result.out == "out\n\001 $HOME");
  CHECK(result.err == "err\n");
  result = box.healthctl(run_args({"job"}, {"true"}));
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());
}

TEST_CASE("run: a program not found exits 127 and one not executable 126", "[cli][run]") {
  test::Sandbox box;
  auto result = box.healthctl(run_args({"job"}, {"healthctl-test-no-such-program"}));
  CHECK(result.exit_code == 127);
  CHECK_THAT(result.err, Catch::Contains("healthctl: error: cannot run healthctl-test-no-such-program"));
  const std::string plain = box.write_file("plain.sh", "#!/bin/sh\nexit 0\n");
  result = box.healthctl(run_args({"job"}, {plain}));
  CHECK(result.exit_code == 126);
  const auto recorded = samples(box);
  REQUIRE(recorded.count("exit_code") == 2);
  CHECK(recorded.count("failures") == 2);
}

TEST_CASE("run: a run records duration_s, exit_code, runs and failures of the job's component, labelled job",
          "[cli][run]") {
  test::Sandbox box;
  REQUIRE(box.healthctl(run_args({"nightly", "-l", "team=ops"}, {"sh", "-c", "sleep 0.2; exit 4"})).exit_code == 4);
  REQUIRE(box.healthctl(run_args({"nightly", "--component", "backups", "-l", "team=ops"}, {"true"})).exit_code == 0);
  const auto recorded = samples(box);
  for (const char* name : {"duration_s", "exit_code", "runs", "failures"}) {
    INFO(name);
    REQUIRE(recorded.count(name) == 2);
  }
  std::vector<json> exits;
  for (auto [at, end] = recorded.equal_range("exit_code"); at != end; ++at) exits.push_back(at->second);
  CHECK(exits[0]["labels"] == json{{"job", "nightly"}, {"team", "ops"}});
  CHECK(exits[0]["type"] == "gauge");
  const std::set<std::string> components{exits[0]["component"].get<std::string>(),
                                         exits[1]["component"].get<std::string>()};
  CHECK(components == std::set<std::string>{"nightly", "backups"});
  for (auto [at, end] = recorded.equal_range("duration_s"); at != end; ++at) {
    CHECK(at->second["type"] == "timer");
    CHECK(at->second["unit"] == "s");
    if (at->second["component"] == "nightly") CHECK(at->second["value"].get<double>() >= 0.2);
  }
  for (auto [at, end] = recorded.equal_range("failures"); at != end; ++at)
    CHECK(at->second["value"] == (at->second["component"] == "nightly" ? 1 : 0));
  for (auto [at, end] = recorded.equal_range("runs"); at != end; ++at) CHECK(at->second["value"] == 1);
}

TEST_CASE("run: the output's tail is the exit_code sample's context, trimmed to 4 KiB on a UTF-8 boundary",
          "[cli][run]") {
  test::Sandbox box;
  // 3000 two-byte characters and quotes that JSON escapes, then an end mark.
  const std::string script = "i=0; while [ $i -lt 1500 ]; do printf '\\303\\251\"'; i=$((i+1)); done; echo END";
  const auto result = box.healthctl(run_args({"chatty"}, {"sh", "-c", script}));
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.size() == 1500 * 3 + 4); // all of it passed through
  const auto recorded = samples(box);
  const auto exit_code = recorded.find("exit_code");
  REQUIRE(exit_code != recorded.end());
  const json& context = exit_code->second["context"];
  REQUIRE(context.is_object());
  CHECK(context.dump().size() <= 4096);
  CHECK(context.dump().size() > 4000);
  const std::string tail = context["output_tail"];
  CHECK(tail.size() < result.out.size());
  CHECK(result.out.compare(result.out.size() - tail.size(), tail.size(), tail) == 0);
  const bool starts_on_a_character = tail.rfind("\xc3\xa9", 0) == 0 || tail.rfind("\"", 0) == 0;
  CHECK(starts_on_a_character);
}

TEST_CASE("run: a timeout kills the whole process tree and exits 124 about when it is due", "[cli][run]") {
  test::Sandbox box;
  const auto start = std::chrono::steady_clock::now();
  const auto result = box.healthctl(
      run_args({"slow", "--timeout", "1s", "--kill-after", "200ms"},
               {"sh", "-c", "echo $$ > shell.pid; sleep 100 & echo $! > child.pid; sleep 100"}));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(result.exit_code == 124);
  CHECK_THAT(result.err, Catch::Contains("timed out after 1s"));
  CHECK(took >= 1s);
  CHECK(took < 2500ms);
  for (const char* file : {"shell.pid", "child.pid"}) {
    std::string pid = box.read_file((box.dir() / file).string());
    REQUIRE(!pid.empty());
    pid.pop_back();
    INFO(file << " " << pid);
    CHECK(ends_within(pid, 2s));
  }
  CHECK(samples(box).find("exit_code")->second["value"] == 124);
}

TEST_CASE("run: --no-overlap skips a run while the previous one holds the lock, and records the skip",
          "[cli][run]") {
  test::Sandbox box;
  const pid_t first = box.start({test::healthctl_path(), "run", "locked", "--no-overlap", "--", "sh", "-c",
                                 "touch started; sleep 1"});
  await_file(box.dir() / "started");
  const auto second = box.healthctl(run_args({"locked", "--no-overlap"}, {"touch", "second-ran"}));
  CHECK(second.exit_code == 75);
  CHECK_THAT(second.err, Catch::Contains("job locked skipped"));
  CHECK(!std::filesystem::exists(box.dir() / "second-ran"));
  CHECK(box.finish(first).exit_code == 0);
  CHECK(std::filesystem::exists(box.db() + "-run-locked.lock"));
  const auto recorded = samples(box);
  REQUIRE(recorded.count("skips") == 1);
  CHECK(recorded.find("skips")->second["value"] == 1);
  CHECK(recorded.count("runs") == 1);
  // Once the first is done, the lock is free again.
  CHECK(box.healthctl(run_args({"locked", "--no-overlap"}, {"true"})).exit_code == 0);
}

TEST_CASE("run: --retries runs a failed command again, up to N times", "[cli][run]") {
  test::Sandbox box;
  const std::string third_time = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 3 ]";
  auto result = box.healthctl(run_args({"flaky", "--retries", "5", "--retry-delay", "10ms"}, {"sh", "-c", third_time}));
  CHECK(result.exit_code == 0);
  CHECK(box.read_file((box.dir() / "count").string()) == "3\n");
  std::filesystem::remove(box.dir() / "count");
  result = box.healthctl(run_args({"flaky", "--retries", "1", "--retry-delay", "10ms"}, {"sh", "-c", third_time}));
  CHECK(result.exit_code == 1);
  CHECK(box.read_file((box.dir() / "count").string()) == "2\n");
}

TEST_CASE("run: --fail-after opens an issue after N failures in a row and a success resolves it", "[cli][run]") {
  test::Sandbox box;
  const auto fail = run_args({"etl", "--fail-after", "2"}, {"false"});
  REQUIRE(box.healthctl(fail).exit_code == 1);
  CHECK(issues(box).empty());
  REQUIRE(box.healthctl(fail).exit_code == 1);
  auto open = issues(box, "active");
  REQUIRE(open.size() == 1);
  CHECK(open[0]["component"] == "etl");
  CHECK(open[0]["metric"] == "exit_code");
  CHECK(open[0]["source"] == "run");
  CHECK(open[0]["severity"] == "warning");
  CHECK(open[0]["labels"] == json{{"job", "etl"}});
  CHECK_THAT(open[0]["reason"].get<std::string>(), Catch::Contains("exit status 1 (2 runs in a row)"));
  CHECK(box.healthctl({"status"}).exit_code == 1);

  REQUIRE(box.healthctl(run_args({"etl", "--fail-after", "2"}, {"true"})).exit_code == 0);
  CHECK(issues(box, "active").empty());
  const auto all = issues(box);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["status"] == "resolved");
  CHECK(box.healthctl({"status"}).exit_code == 0);
}

TEST_CASE("run: --critical-after escalates the issue and each event goes to the notify hook", "[cli][run]") {
  test::Sandbox box;
  const std::string hook = "cat >> events.ndjson; echo >> events.ndjson";
  const auto with = [&](const char* command) {
    return run_args({"sync", "--critical-after", "2", "--notify", hook}, {command});
  };
  REQUIRE(box.healthctl(with("false")).exit_code == 1);
  REQUIRE(box.healthctl(with("false")).exit_code == 1);
  auto open = issues(box, "active");
  REQUIRE(open.size() == 1);
  CHECK(open[0]["severity"] == "critical");
  REQUIRE(box.healthctl(with("true")).exit_code == 0);
  std::vector<std::string> kinds;
  std::istringstream events(box.read_file((box.dir() / "events.ndjson").string()));
  for (std::string line; std::getline(events, line);)
    if (!line.empty()) kinds.push_back(json::parse(line)["event"]["kind"]);
  CHECK(kinds == std::vector<std::string>{"opened", "escalated", "resolved"});
}

TEST_CASE("run: a notify hook that fails or hangs is warned about as check warns, and run's exit code stands",
          "[cli][run]") {
  test::Sandbox box;
  auto result = box.healthctl(run_args({"sync", "--notify", "exit 4"}, {"false"}));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("healthctl: warning: notify hook for issue 1 (opened) failed: exit "
                                         "status 4 (recorded; the next check tries again)\n"));
  result = box.healthctl(run_args({"sync", "--notify", "sleep 30", "--notify-timeout", "300ms"}, {"true"}));
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("healthctl: warning: notify hook for issue 1 (opened) hung: timed out after "
                                         "300ms (recorded; the next check tries again)\n"));
  CHECK_THAT(result.err, Catch::Contains("notify hook for issue 1 (resolved) hung: timed out after 300ms"));
}

TEST_CASE("run: --no-overlap makes the database's folder when it is missing", "[cli][run]") {
  test::Sandbox box;
  box.env["HEALTH_DB_PATH"] = (box.dir() / "new" / "health.db").string();
  CHECK(box.healthctl(run_args({"first", "--no-overlap"}, {"true"})).exit_code == 0);
  CHECK(std::filesystem::exists(box.dir() / "new" / "health.db-run-first.lock"));
  CHECK((std::filesystem::status(box.dir() / "new").permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
}

TEST_CASE("run: --stale-after has check open an issue for a job that has not succeeded, and a success resolves it",
          "[cli][run]") {
  test::Sandbox box;
  // 3 s: room for a loaded machine between a run and the check after it.
  REQUIRE(box.healthctl(run_args({"backup", "--stale-after", "3s"}, {"true"})).exit_code == 0);
  auto checked = box.healthctl({"check", "--format", "json"});
  CHECK(checked.exit_code == 0);
  auto document = json::parse(checked.out);
  REQUIRE(document["jobs"].size() == 1);
  CHECK(document["jobs"][0]["state"] == "ok");

  std::this_thread::sleep_for(3100ms);
  REQUIRE(box.healthctl(run_args({"backup"}, {"false"})).exit_code == 1); // a failure is no success
  checked = box.healthctl({"check", "--format", "json"});
  CHECK(checked.exit_code == 1);
  document = json::parse(checked.out);
  REQUIRE(document["jobs"].size() == 1);
  CHECK(document["jobs"][0]["job"] == "backup");
  CHECK(document["jobs"][0]["state"] == "stale");
  CHECK(document["jobs"][0]["stale_after"] == "3s");
  REQUIRE(document["changes"].size() == 1);
  CHECK(document["changes"][0]["metric"] == "last_success");
  CHECK(document["changes"][0]["event"]["kind"] == "opened");

  REQUIRE(box.healthctl(run_args({"backup"}, {"true"})).exit_code == 0);
  const auto active = issues(box, "active");
  for (const auto& issue : active) CHECK(issue["metric"] != "last_success");
  checked = box.healthctl({"check", "--format", "json"});
  document = json::parse(checked.out);
  CHECK(document["jobs"][0]["state"] == "ok");
  // --stale-after 0 stops watching the job.
  REQUIRE(box.healthctl(run_args({"backup", "--stale-after", "0"}, {"true"})).exit_code == 0);
  CHECK(json::parse(box.healthctl({"check", "--format", "json"}).out)["jobs"].empty());
}

TEST_CASE("run: check leaves a stale job's issue open, with no new event, until a success resolves it",
          "[cli][run]") {
  test::Sandbox box;
  REQUIRE(box.healthctl(run_args({"backup", "--stale-after", "3s"}, {"true"})).exit_code == 0);
  std::this_thread::sleep_for(3100ms);
  REQUIRE(box.healthctl(run_args({"backup"}, {"false"})).exit_code == 1);
  auto document = json::parse(box.healthctl({"check", "--format", "json"}).out);
  REQUIRE(document["changes"].size() == 1);
  CHECK(document["changes"][0]["event"]["kind"] == "opened");
  for (int again = 0; again < 3; ++again) {
    INFO("check " << again + 2);
    const auto checked = box.healthctl({"check", "--format", "json"});
    CHECK(checked.exit_code == 1);
    document = json::parse(checked.out);
    CHECK(document["jobs"][0]["state"] == "stale");
    CHECK(document["changes"].empty());
  }
  std::vector<json> stale;
  for (const auto& issue : issues(box))
    if (issue["metric"] == "last_success") stale.push_back(issue);
  REQUIRE(stale.size() == 1);
  CHECK(stale[0]["status"] == "active");
  CHECK(stale[0]["occurrences"] == 1); // never resolved and opened again

  REQUIRE(box.healthctl(run_args({"backup"}, {"true"})).exit_code == 0);
  document = json::parse(box.healthctl({"check", "--format", "json"}).out);
  CHECK(document["jobs"][0]["state"] == "ok");
  CHECK(document["changes"].empty());
  for (const auto& issue : issues(box, "active")) CHECK(issue["metric"] != "last_success");
}

TEST_CASE("run: usage errors name the problem, exit 2 and run nothing", "[cli][run]") {
  test::Sandbox box;
  check_error(box.healthctl({"run", "job", "touch", "ran"}), 2, "no '--' before the command");
  check_error(box.healthctl({"run", "job", "--"}), 2, "no command after '--'");
  check_error(box.healthctl({"run", "--", "touch", "ran"}), 2, "NAME must come before '--'");
  check_error(box.healthctl(run_args({"job", "--timeout", "5x"}, {"touch", "ran"})), 2, "--timeout");
  check_error(box.healthctl(run_args({"job", "--retries", "-1"}, {"touch", "ran"})), 2, "--retries");
  check_error(box.healthctl(run_args({"job", "--fail-after", "0"}, {"touch", "ran"})), 2, "--fail-after");
  check_error(box.healthctl(run_args({"bad/name"}, {"touch", "ran"})), 2, "bad/name");
  check_error(box.healthctl(run_args({"job", "-l", "novalue"}, {"touch", "ran"})), 2, "novalue");
  CHECK(!std::filesystem::exists(box.dir() / "ran"));
}

TEST_CASE("run: a database that cannot be written leaves the command's exit code as it is", "[cli][run]") {
  test::Sandbox box;
  box.env["HEALTH_DB_PATH"] = box.write_file("not-a-database", std::string(8192, 'x'));
  const auto result = box.healthctl(run_args({"job"}, {"sh", "-c", "echo done; exit 3"}));
  CHECK(result.exit_code == 3);
  CHECK(result.out == "done\n");
  CHECK_THAT(result.err, Catch::StartsWith("healthctl: error: cannot record the run of job job: "));
  CHECK_THAT(result.err, Catch::Contains("its exit code stands"));
}

TEST_CASE("run: SIGTERM to run reaches the command's process group, and the run counts as failed", "[cli][run]") {
  test::Sandbox box;
  const pid_t pid = box.start({test::healthctl_path(), "run", "stopped", "--", "sh", "-c",
                               "trap 'exit 9' TERM; echo $$ > shell.pid; sleep 100 & wait"});
  await_file(box.dir() / "shell.pid");
  std::this_thread::sleep_for(100ms); // the trap is set once the pid is written
  ::kill(pid, SIGTERM);
  const auto result = box.finish(pid);
  CHECK(result.exit_code == 9);
  const auto recorded = samples(box);
  REQUIRE(recorded.count("failures") == 1);
  CHECK(recorded.find("failures")->second["value"] == 1);
}
