#pragma once
// The hostile-input suite's shared parts: running healthctl with a timeout,
// the error contract every failed run must keep, and the figures each part
// of the suite reports (cases, signals, hangs, files changed on failure,
// kills survived).

#include "process.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hostile {

struct Figures {
  std::uint64_t cases = 0;
  std::uint64_t signals = 0;        // died of a signal nobody sent, or a sanitizer report
  std::uint64_t hangs = 0;          // still running at the timeout (then killed)
  std::uint64_t files_changed = 0;  // failed, yet the database is not byte-identical
  std::uint64_t breaks = 0;         // an undocumented exit code or a malformed error line
  std::uint64_t kills = 0;          // SIGKILLs sent in the middle of a write
  std::uint64_t kills_survived = 0; // ... after which the files were sound and whole
  std::uint64_t known_bugs = 0;     // cases left out because they hit a documented bug
  std::uint64_t temp_files = 0;     // temporary files left behind (documented, counted)

  Figures& operator+=(const Figures& other);
};

// "N cases, S signals, H hangs, F files changed on failure, K kills survived"
// (with the kills sent, known bugs and temp files when there are any).
std::string figures_text(const Figures& figures);

// Prints `hostile: <part>: <figures>` on stdout and, when the environment
// names HOSTILE_OUT_DIR, writes them to its figures/ folder for the suite's
// total (tests/hostile/figures.sh).
void report(const std::string& part, const Figures& figures);

// A run of healthctl that may have hung.
struct Outcome {
  test::RunResult result;
  bool hung = false;     // killed at the timeout
  bool signaled = false; // ended by a signal (exit_code is 128 + signal)
  bool sanitizer = false; // AddressSanitizer, LeakSanitizer or UBSan spoke on stderr
  std::chrono::milliseconds elapsed{0};
};

inline constexpr std::chrono::milliseconds k_case_timeout{20000};

// Runs `healthctl args...` in `box` with `input` on stdin; kills it (and
// says so) when it runs past `timeout`.
Outcome run_healthctl(const test::Sandbox& box, const std::vector<std::string>& args,
                      const std::string& input = {}, std::chrono::milliseconds timeout = k_case_timeout);

// Whether `pid` (a child of ours) has ended, without reaping it.
bool has_ended(pid_t pid);

// What a command promises about how it ends.
struct Contract {
  std::set<int> exits{0, 1, 2, 65, 66, 75}; // healthctl(1) EXIT STATUS
  std::set<int> errors{1, 2, 65, 66, 75};   // those that mean it failed
  bool unchanged_on_error = true;           // a failure leaves the database byte-identical
};
// check and status: the monitoring-plugin codes, 3 for any error.
inline const Contract k_plugin_contract{{0, 1, 2, 3}, {3}, true};

// What is wrong with a run, or nothing: a signal, a sanitizer report, a
// hang, an exit code outside the contract, and after a failure anything
// but exactly one line `healthctl: error: ...` free of raw control
// characters (C0, DEL, or C1 written as UTF-8) that is not main.cpp's last
// resort for an unexpected exception ("this is a bug in healthctl").
std::vector<std::string> contract_problems(const Outcome& outcome, const Contract& contract = {});

// The figures and failures of one part of the suite.
class Tally {
public:
  explicit Tally(std::string part) : m_part(std::move(part)) {}

  // One CLI case: runs `healthctl args...` in `box` (whose database may or
  // may not exist) and checks `contract`, and on failure that the database
  // file is byte-identical to before. A case that `known` names a
  // documented product bug for counts as a known bug when it fails, not as
  // a failure. Returns the outcome for further checks.
  Outcome run_case(const test::Sandbox& box, const std::vector<std::string>& args,
                   const std::string& input = {}, const Contract& contract = {},
                   const std::optional<std::string>& known = std::nullopt);

  // A failure found by the caller's own checks, with how to reproduce it.
  void fail(const std::string& what);
  // A case left out because it would hit the documented product bug `bug`.
  void known_bug(const std::string& bug);

  Figures figures;
  const std::vector<std::string>& failures() const { return m_failures; }
  const std::string& part() const { return m_part; }

  // Reports the figures (see report()) and fails the test case, listing
  // every failure with its reproduction, when there was any.
  void finish();

private:
  std::string m_part;
  std::vector<std::string> m_failures;
  std::set<std::string> m_known;
};

// The command line that reproduces `args` in a shell, with the sandbox's
// HEALTH_* variables (its database in HEALTH_DB_PATH).
std::string reproduction(const test::Sandbox& box, const std::vector<std::string>& args,
                         const std::string& input);

// Keeps the files of a failed case (the sandbox folder, database before the
// run as health.db.before) under $HOSTILE_OUT_DIR/failures, when set; returns
// where, or "" when not kept.
std::string keep_failure(const test::Sandbox& box, const std::string& part, const std::string& db_before);

// PRAGMA integrity_check of the database at `path` through the SQLite
// library ("ok" when sound), opened read-write so that a hot WAL is
// recovered as the next healthctl would.
std::string integrity_check(const std::string& path);

} // namespace hostile
