#include "hostile.hpp"

#include "checks.hpp"
#include "mutate.hpp"

#include <health/time.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sys/wait.h>
#include <thread>

namespace hostile {

namespace fs = std::filesystem;

Figures& Figures::operator+=(const Figures& other) {
  cases += other.cases;
  signals += other.signals;
  hangs += other.hangs;
  files_changed += other.files_changed;
  breaks += other.breaks;
  kills += other.kills;
  kills_survived += other.kills_survived;
  known_bugs += other.known_bugs;
  temp_files += other.temp_files;
  return *this;
}

std::string figures_text(const Figures& f) {
  std::string text = std::to_string(f.cases) + " cases, " + std::to_string(f.signals) + " signals, " +
                     std::to_string(f.hangs) + " hangs, " + std::to_string(f.files_changed) +
                     " files changed on failure, " + std::to_string(f.breaks) + " contract breaks";
  if (f.kills > 0)
    text += ", " + std::to_string(f.kills_survived) + " of " + std::to_string(f.kills) + " kills survived";
  if (f.temp_files > 0) text += ", " + std::to_string(f.temp_files) + " temp files left (documented)";
  if (f.known_bugs > 0) text += ", " + std::to_string(f.known_bugs) + " cases on known bugs";
  return text;
}

void report(const std::string& part, const Figures& f) {
  std::printf("hostile: %s: %s (seed %llu)\n", part.c_str(), figures_text(f).c_str(),
              static_cast<unsigned long long>(suite_seed()));
  std::fflush(stdout);
  const char* out = std::getenv("HOSTILE_OUT_DIR");
  if (out == nullptr || *out == '\0') return;
  const fs::path dir = fs::path(out) / "figures";
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string name = part;
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '-');
  std::ofstream(dir / (name + ".txt"))
      << "cases=" << f.cases << " signals=" << f.signals << " hangs=" << f.hangs
      << " files_changed=" << f.files_changed << " breaks=" << f.breaks << " kills=" << f.kills
      << " kills_survived=" << f.kills_survived << " known_bugs=" << f.known_bugs
      << " temp_files=" << f.temp_files << "\n";
}

bool has_ended(pid_t pid) {
  siginfo_t info{};
  // WNOWAIT: look without reaping, so Sandbox::finish still collects it.
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno != EINTR;
  return info.si_pid == pid;
}

Outcome run_healthctl(const test::Sandbox& box, const std::vector<std::string>& args, const std::string& input,
                      std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{test::healthctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = box.start(argv, input);
  Outcome outcome;
  auto pause = std::chrono::microseconds(200);
  while (!has_ended(pid)) {
    if (std::chrono::steady_clock::now() - start > timeout) {
      ::kill(pid, SIGKILL);
      outcome.hung = true;
      break;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
  outcome.result = box.finish(pid);
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  outcome.signaled = !outcome.hung && outcome.result.exit_code > 128;
  const auto& err = outcome.result.err;
  for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                           "UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL"})
    if (err.find(mark) != std::string::npos) outcome.sanitizer = true;
  return outcome;
}

namespace {

// The first raw control character in `line` (C0, DEL, or C1 in UTF-8), if
// any: a message quoting what the user typed must not drive the terminal.
std::optional<std::size_t> raw_control(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7f) return i;
    if (c == 0xc2 && i + 1 < line.size()) {
      const auto next = static_cast<unsigned char>(line[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return i;
    }
  }
  return std::nullopt;
}

} // namespace

std::vector<std::string> contract_problems(const Outcome& outcome, const Contract& contract) {
  std::vector<std::string> problems;
  const auto& result = outcome.result;
  if (outcome.hung) problems.push_back("hang: still running after the timeout");
  if (outcome.signaled) problems.push_back("signal " + std::to_string(result.exit_code - 128));
  if (outcome.sanitizer) problems.push_back("sanitizer report on stderr");
  if (!outcome.hung && !outcome.signaled && contract.exits.count(result.exit_code) == 0)
    problems.push_back("exit code " + std::to_string(result.exit_code) + " is not documented here");
  if (contract.errors.count(result.exit_code) > 0 && !outcome.hung && !outcome.signaled && !outcome.sanitizer) {
    const auto& err = result.err;
    const auto lines = std::count(err.begin(), err.end(), '\n');
    if (lines != 1 || err.back() != '\n')
      problems.push_back("stderr is " + std::to_string(lines) + " lines, not one");
    if (err.rfind("healthctl: error: ", 0) != 0) problems.push_back("stderr does not start 'healthctl: error: '");
    if (const auto at = raw_control(std::string_view(err).substr(0, err.empty() ? 0 : err.size() - 1)))
      problems.push_back("raw control character at byte " + std::to_string(*at) + " of stderr");
    // main.cpp's last resort for an exception that is not a health::Error.
    if (err.find("this is a bug in healthctl") != std::string::npos)
      problems.push_back("an unexpected exception escaped (the error line calls it a bug)");
  }
  return problems;
}

std::string reproduction(const test::Sandbox& box, const std::vector<std::string>& args, const std::string& input) {
  std::string line;
  for (const auto& [name, value] : box.env)
    if (name.rfind("HEALTH_", 0) == 0) line += name + "=" + shell_quoted(value) + " ";
  line += "healthctl";
  for (const auto& arg : args) line += " " + shell_quoted(arg);
  if (!input.empty()) line = "printf '%s' " + shell_quoted(input) + " | " + line;
  return line;
}

std::string keep_failure(const test::Sandbox& box, const std::string& part, const std::string& db_before) {
  const char* out = std::getenv("HOSTILE_OUT_DIR");
  if (out == nullptr || *out == '\0') return {};
  const fs::path root = fs::path(out) / "failures";
  std::string name = part;
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '-');
  static int count = 0;
  const fs::path dir = root / (name + "-" + std::to_string(++count));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  fs::copy(box.dir(), dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (!db_before.empty()) std::ofstream(dir / "health.db.before", std::ios::binary) << db_before;
  return dir.string();
}

Outcome Tally::run_case(const test::Sandbox& box, const std::vector<std::string>& args, const std::string& input,
                        const Contract& contract, const std::optional<std::string>& known) {
  ++figures.cases;
  const std::string before = test::slurp(box.db());
  const Outcome outcome = run_healthctl(box, args, input);
  auto problems = contract_problems(outcome, contract);
  if (known && !problems.empty()) {
    known_bug(*known);
    return outcome;
  }
  if (outcome.hung) ++figures.hangs;
  if (outcome.signaled || outcome.sanitizer) ++figures.signals;
  if (!outcome.hung && !outcome.signaled && !outcome.sanitizer && !problems.empty()) ++figures.breaks;
  if (contract.unchanged_on_error && contract.errors.count(outcome.result.exit_code) > 0 &&
      test::slurp(box.db()) != before) {
    ++figures.files_changed;
    problems.push_back("the database changed although the command failed");
  }
  if (!problems.empty()) {
    std::string what;
    for (const auto& problem : problems) what += (what.empty() ? "" : "; ") + problem;
    const auto kept = keep_failure(box, m_part, before);
    fail(what + "\n  reproduce: " + reproduction(box, args, input) + (kept.empty() ? "" : "\n  files: " + kept) +
         "\n  exit " + std::to_string(outcome.result.exit_code) + ", stderr: " +
         shell_quoted(outcome.result.err, 600));
  }
  return outcome;
}

void Tally::fail(const std::string& what) { m_failures.push_back(what); }

void Tally::known_bug(const std::string& bug) {
  ++figures.known_bugs;
  m_known.insert(bug);
}

void Tally::finish() {
  report(m_part, figures);
  for (const auto& bug : m_known) std::printf("hostile: %s: known bug %s\n", m_part.c_str(), bug.c_str());
  std::fflush(stdout);
  std::size_t shown = 0;
  for (const auto& failure : m_failures) {
    if (++shown > 20) break; // the first twenty say enough
    UNSCOPED_INFO(failure);
  }
  CHECK(m_failures.empty());
}

std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    out = "cannot open: " + std::string(db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  } else {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK)
      while (sqlite3_step(statement) == SQLITE_ROW)
        out += (out.empty() ? "" : "; ") + std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
    else out = std::string("error: ") + sqlite3_errmsg(db);
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(db);
  return out;
}

} // namespace hostile
