#include <health/process.hpp>

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

using health::ProcessOutcome;
using health::ProcessSpec;
using Kind = ProcessOutcome::Kind;
using namespace std::chrono_literals;

namespace {

// Long enough for a loaded two-core machine, short enough that a runner
// which hangs fails the test instead of hanging it.
constexpr auto k_bound = 20s;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string quoted(const std::string& path) { return "'" + path + "'"; }

// Every byte value, NUL included, in a pattern that does not repeat every 256.
std::string binary_input(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return out;
}

ProcessSpec spec_for(std::string command, std::string input = {}, health::Millis timeout = 10'000) {
  ProcessSpec spec;
  spec.command = std::move(command);
  spec.input = std::move(input);
  spec.timeout = timeout;
  return spec;
}

// Starts run_process(`spec`) on a thread of its own.
std::future<ProcessOutcome> start(ProcessSpec spec) {
  auto promise = std::make_shared<std::promise<ProcessOutcome>>();
  auto future = promise->get_future();
  std::thread([promise, spec = std::move(spec)] { promise->set_value(health::run_process(spec)); }).detach();
  return future;
}

// The outcome of `future`, or nullopt when it is not there within `bound`
// (its thread is then left behind, stuck).
std::optional<ProcessOutcome> within(std::future<ProcessOutcome>& future, std::chrono::milliseconds bound) {
  if (future.wait_for(bound) != std::future_status::ready) return std::nullopt;
  return future.get();
}

std::optional<ProcessOutcome> run_within(ProcessSpec spec, std::chrono::milliseconds bound = k_bound) {
  auto future = start(std::move(spec));
  return within(future, bound);
}

// Whether a process of group `pgid` still runs. A member that is already a
// zombie does not count: the system's init reaps orphans when it will.
bool group_runs(pid_t pgid) {
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue; // not a process
    const std::string stat = slurp(entry.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    int group = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &group) != 3) continue;
    if (group == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

bool group_ends_within(pid_t pgid, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (group_runs(pgid)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

} // namespace

TEST_CASE("process: the exit status comes back and stdin arrives intact", "[process]") {
  const test::TempDir dir;
  const std::string input = binary_input(1 << 20);
  const auto copied = run_within(spec_for("cat > " + quoted(dir.file("copy")) + "; exit 3", input));
  REQUIRE(copied);
  CHECK(copied->kind == Kind::exited);
  CHECK(copied->exit_status == 3);
  CHECK(copied->elapsed >= 0);
  CHECK(slurp(dir.file("copy")) == input);

  const auto empty = run_within(spec_for("cat > " + quoted(dir.file("empty"))));
  REQUIRE(empty);
  CHECK(empty->kind == Kind::exited);
  CHECK(empty->exit_status == 0);
  CHECK(std::filesystem::file_size(dir.file("empty")) == 0);
}

TEST_CASE("process: a timeout beyond the clock's range means no deadline, never an overflow", "[process]") {
  const auto outcome = run_within(spec_for("exit 4", "", std::numeric_limits<health::Millis>::max()));
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::exited);
  CHECK(outcome->exit_status == 4);
}

TEST_CASE("process: a command can open /dev/stdin, as in a shell pipeline", "[process]") {
  const test::TempDir dir;
  const auto copied = run_within(spec_for("cat /dev/stdin > " + quoted(dir.file("copy")), "event\n"));
  REQUIRE(copied);
  CHECK(copied->kind == Kind::exited);
  CHECK(copied->exit_status == 0);
  CHECK(slurp(dir.file("copy")) == "event\n");
}

TEST_CASE("process: a command that never reads its stdin is timed out at the deadline", "[process]") {
  const test::TempDir dir;
  // 4 MiB is far more than a socket buffer: feeding it blocks until the
  // deadline, which must cover the feeding too.
  const auto outcome = run_within(spec_for("sleep 30", std::string(4 << 20, 'x'), 300), 5s);
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::timed_out);
  CHECK(outcome->elapsed >= 300);
  CHECK(outcome->elapsed < 5000);
}

TEST_CASE("process: a command that closes its stdin at once exits without SIGPIPE here", "[process]") {
  const test::TempDir dir;
  // SIGPIPE at its default would end this test process, were the runner to
  // raise it.
  struct sigaction before {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &before) == 0);
  const auto outcome = run_within(spec_for("exec 0<&-; sleep 0.1", std::string(4 << 20, 'x')));
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::exited);
  CHECK(outcome->exit_status == 0);
  struct sigaction after {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &after) == 0);
  CHECK(after.sa_handler == before.sa_handler);
}

TEST_CASE("process: the SIGPIPE disposition and the signal mask are left as they were", "[process]") {
  const test::TempDir dir;
  struct sigaction before {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &before) == 0);
  sigset_t mask_before;
  REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &mask_before) == 0);

  // On this thread: the runner blocks SIGPIPE in the calling thread while
  // it writes, and must leave its mask, and nothing pending, behind.
  CHECK(health::run_process(spec_for("exec 0<&-; exit 0", std::string(1 << 20, 'x'))).kind == Kind::exited);
  CHECK(health::run_process(spec_for("sleep 30", std::string(1 << 20, 'x'), 200)).kind == Kind::timed_out);
  CHECK(health::run_process(spec_for("cat > /dev/null", std::string(1 << 20, 'x'))).kind == Kind::exited);
  sigset_t pending;
  REQUIRE(::sigpending(&pending) == 0);
  CHECK(sigismember(&pending, SIGPIPE) == 0);

  struct sigaction after {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &after) == 0);
  CHECK(after.sa_handler == before.sa_handler);
  CHECK(after.sa_flags == before.sa_flags);
  sigset_t mask_after;
  REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &mask_after) == 0);
  for (int number = 1; number < SIGRTMIN; ++number) {
    INFO("signal " << number);
    CHECK(sigismember(&mask_after, number) == sigismember(&mask_before, number));
  }
}

TEST_CASE("process: at the deadline the whole process group is ended", "[process]") {
  const test::TempDir dir;
  const std::string pid_file = dir.file("pid");
  // $$ is the shell's pid, which is also the id of its process group.
  const auto outcome = run_within(spec_for("echo $$ > " + quoted(pid_file) + "; sleep 30 & sleep 30", {}, 1000));
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::timed_out);
  CHECK(outcome->elapsed < 5000);
  const std::string pid_text = slurp(pid_file);
  REQUIRE(!pid_text.empty());
  const pid_t pgid = std::stoi(pid_text);
  REQUIRE(pgid > 1);
  CHECK(group_ends_within(pgid, 10s));
}

TEST_CASE("process: a missing command exits with status 127, a killed one reports the signal", "[process]") {
  const test::TempDir dir;
  const auto missing = run_within(spec_for("healthctl-test-no-such-command 2>/dev/null"));
  REQUIRE(missing);
  CHECK(missing->kind == Kind::exited);
  CHECK(missing->exit_status == 127);

  const auto killed = run_within(spec_for("kill -9 $$"));
  REQUIRE(killed);
  CHECK(killed->kind == Kind::signaled);
  CHECK(killed->signal_number == SIGKILL);
}

TEST_CASE("process: the child's stdout goes where the spec says, and it gets no other descriptor of ours",
          "[process]") {
  const test::TempDir dir;
  const auto target = [](const std::string& pid, const std::string& fd) {
    return std::filesystem::read_symlink("/proc/" + pid + "/fd/" + fd).string();
  };
  // Descriptors this process lets every child inherit anyway (from whoever
  // started the tests): not ours to close.
  std::set<std::string> inheritable{"0", "1", "2"};
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const std::string name = entry.path().filename().string();
    const int flags = ::fcntl(std::stoi(name), F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) inheritable.insert(name);
  }

  for (const auto where : {health::ChildStdout::to_stderr, health::ChildStdout::inherit}) {
    // The child tells its pid and waits to be looked at, its stdin unread.
    const std::string pid_file = dir.file(where == health::ChildStdout::inherit ? "inherit" : "to_stderr");
    auto spec = spec_for("echo $$ > " + quoted(pid_file) + "; exec sleep 30", "unread input");
    spec.child_stdout = where;
    auto running = start(spec);
    std::string pid = slurp(pid_file);
    for (int tries = 0; tries < 1000 && (pid.empty() || pid.back() != '\n'); ++tries) {
      std::this_thread::sleep_for(10ms);
      pid = slurp(pid_file);
    }
    REQUIRE(!pid.empty());
    pid.pop_back();

    CHECK(target(pid, "1") == target("self", where == health::ChildStdout::inherit ? "1" : "2"));
    CHECK(target(pid, "0").rfind("pipe:", 0) == 0); // as a shell gives: /dev/stdin opens
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + pid + "/fd")) {
      INFO("descriptor " << entry.path().filename().string() << " of the child");
      CHECK(inheritable.count(entry.path().filename().string()) == 1);
    }
    ::kill(std::stoi(pid), SIGTERM);
    const auto outcome = within(running, k_bound);
    REQUIRE(outcome);
    CHECK(outcome->kind == Kind::signaled);
    CHECK(outcome->signal_number == SIGTERM);
  }
}

TEST_CASE("process: four threads running processes at once each get their own outcome", "[process][threads]") {
  // Plain joined threads (run_process keeps its own deadline), so that
  // ThreadSanitizer sees every hand-over.
  const test::TempDir dir;
  std::vector<ProcessSpec> specs;
  for (int i = 0; i < 3; ++i)
    specs.push_back(spec_for("cat > " + quoted(dir.file("copy" + std::to_string(i))) + "; exit " +
                                 std::to_string(10 + i),
                             binary_input((256 << 10) + static_cast<std::size_t>(i))));
  specs.push_back(spec_for("sleep 30", std::string(1 << 20, 'x'), 500));
  std::vector<ProcessOutcome> outcomes(specs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < specs.size(); ++i)
    threads.emplace_back([&, i] { outcomes[i] = health::run_process(specs[i]); });
  for (auto& thread : threads) thread.join();

  for (int i = 0; i < 3; ++i) {
    INFO("process " << i);
    const auto& outcome = outcomes[static_cast<std::size_t>(i)];
    CHECK(outcome.kind == Kind::exited);
    CHECK(outcome.exit_status == 10 + i);
    CHECK(slurp(dir.file("copy" + std::to_string(i))) == binary_input((256 << 10) + static_cast<std::size_t>(i)));
  }
  CHECK(outcomes[3].kind == Kind::timed_out);
}

namespace {

// While it lives, our descriptors 1 and 2 go to files in `dir`, so that
// passed-through output can be read back (and stays out of the test log).
class Redirected {
public:
  explicit Redirected(const test::TempDir& dir)
      : m_out(dir.file("passed.out")), m_err(dir.file("passed.err")) {
    std::fflush(stdout);
    std::fflush(stderr);
    m_saved_out = ::dup(STDOUT_FILENO);
    m_saved_err = ::dup(STDERR_FILENO);
    const int out = ::open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = ::open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::close(out);
    ::close(err);
  }
  ~Redirected() { restore(); }
  Redirected(const Redirected&) = delete;
  Redirected& operator=(const Redirected&) = delete;

  void restore() {
    if (m_saved_out < 0) return;
    ::dup2(m_saved_out, STDOUT_FILENO);
    ::dup2(m_saved_err, STDERR_FILENO);
    ::close(m_saved_out);
    ::close(m_saved_err);
    m_saved_out = m_saved_err = -1;
  }
  std::string out() const { return slurp(m_out); }
  std::string err() const { return slurp(m_err); }

private:
  std::string m_out;
  std::string m_err;
  int m_saved_out = -1;
  int m_saved_err = -1;
};

ProcessSpec argv_spec(std::vector<std::string> argv, health::ChildStdout output, std::size_t limit = 4096) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.child_stdout = output;
  spec.output_limit = limit;
  return spec;
}

} // namespace

TEST_CASE("process: argv runs without a shell, and a program not found or not executable is not started",
          "[process]") {
  const test::TempDir dir;
  // No shell: the $ and ; reach the program as they are.
  const auto echoed = run_within(argv_spec({"printf", "%s|", "$HOME;", "two words"}, health::ChildStdout::capture));
  REQUIRE(echoed);
  CHECK(echoed->kind == Kind::exited);
  CHECK(echoed->exit_status == 0);
  CHECK(echoed->output == "$HOME;|two words|");

  const auto missing = run_within(argv_spec({"healthctl-test-no-such-program"}, health::ChildStdout::capture));
  REQUIRE(missing);
  CHECK(missing->kind == Kind::not_started);
  CHECK(missing->error_number == ENOENT);
  CHECK(!missing->error.empty());

  const std::string plain = dir.file("plain");
  std::ofstream(plain) << "#!/bin/sh\nexit 0\n";
  const auto refused = run_within(argv_spec({plain}, health::ChildStdout::capture));
  REQUIRE(refused);
  CHECK(refused->kind == Kind::not_started);
  CHECK(refused->error_number == EACCES);
}

TEST_CASE("process: pass_through passes stdout and stderr on and keeps their tail in arrival order", "[process]") {
  const test::TempDir dir;
  std::optional<ProcessOutcome> outcome;
  std::optional<ProcessOutcome> long_one;
  Redirected redirected(dir);
  outcome = run_within(argv_spec({"sh", "-c", "echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three; exit 3"},
                                 health::ChildStdout::pass_through));
  // 200 KB through a small tail: the last 10 bytes stay.
  long_one = run_within(argv_spec({"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; printf 0123456789"},
                                  health::ChildStdout::pass_through, 10));
  redirected.restore();
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::exited);
  CHECK(outcome->exit_status == 3);
  CHECK(outcome->output == "one\ntwo\nthree\n");
  CHECK(redirected.err() == "two\n");
  REQUIRE(long_one);
  CHECK(long_one->output == "0123456789");
  CHECK(redirected.out() == "one\nthree\n" + std::string(200000, 'x') + "0123456789");
}

TEST_CASE("process: capture keeps the first bytes of stdout and reads the rest to the end", "[process]") {
  // Were the rest not read, the child would block on a full pipe and time out.
  auto spec = argv_spec({"sh", "-c", "printf 'OK - fine|'; head -c 1000000 /dev/zero; exit 2"},
                        health::ChildStdout::capture, 10);
  spec.timeout = 10'000;
  const auto outcome = run_within(spec);
  REQUIRE(outcome);
  CHECK(outcome->kind == Kind::exited);
  CHECK(outcome->exit_status == 2);
  CHECK(outcome->output == "OK - fine|");
}

TEST_CASE("process: a background process holding the output pipe does not hold the outcome", "[process]") {
  const test::TempDir dir;
  const std::string pid_file = dir.file("pid");
  for (const auto mode : {health::ChildStdout::capture, health::ChildStdout::pass_through}) {
    std::optional<ProcessOutcome> outcome;
    {
      Redirected redirected(dir);
      outcome = run_within(
          argv_spec({"sh", "-c", "sleep 30 & echo $! > " + quoted(pid_file) + "; echo done"}, mode), 5s);
    }
    REQUIRE(outcome);
    CHECK(outcome->kind == Kind::exited);
    CHECK(outcome->output == "done\n");
    CHECK(outcome->elapsed < 3000);
    const std::string pid = slurp(pid_file);
    if (!pid.empty()) ::kill(std::stoi(pid), SIGKILL);
  }
}

TEST_CASE("process: a signal handed over through forward_signal reaches the child and its group", "[process]") {
  const test::TempDir dir;
  std::atomic<int> forward{0};
  auto spec = argv_spec({"sh", "-c", "trap 'exit 7' TERM; echo $$ > " + quoted(dir.file("pid")) + "; sleep 30 & wait"},
                        health::ChildStdout::to_stderr);
  spec.forward_signal = &forward;
  auto running = start(spec);
  for (int tries = 0; tries < 500 && slurp(dir.file("pid")).empty(); ++tries) std::this_thread::sleep_for(10ms);
  forward = SIGTERM;
  const auto outcome = within(running, k_bound);
  REQUIRE(outcome);
  CHECK(outcome->forwarded_signal == SIGTERM);
  CHECK(outcome->kind == Kind::exited);
  CHECK(outcome->exit_status == 7);
  const std::string pid = slurp(dir.file("pid"));
  REQUIRE(!pid.empty());
  CHECK(group_ends_within(std::stoi(pid), 10s));
}
