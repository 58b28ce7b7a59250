#include "process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <pty.h>
#include <unistd.h>

namespace test {

namespace fs = std::filesystem;

const char* healthctl_path() { return HEALTHCTL_BIN; }

Sandbox::Sandbox() {
  std::string pattern = (fs::temp_directory_path() / "healthctl-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_dir = pattern;
  env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
         {"HOME", m_dir.string()},
         {"LANG", "C.UTF-8"},
         {"HEALTH_DB_PATH", db()},
         {"HEALTH_NODE_NAME", "test-node"}};
  // Sanitizer builds of the binary must not fail on the test's own leaks.
  if (const char* asan = std::getenv("ASAN_OPTIONS")) env["ASAN_OPTIONS"] = asan;
  if (const char* ubsan = std::getenv("UBSAN_OPTIONS")) env["UBSAN_OPTIONS"] = ubsan;
}

Sandbox::~Sandbox() {
  std::error_code ec;
  fs::remove_all(m_dir, ec);
}

std::string Sandbox::write_file(const std::string& name, const std::string& text) const {
  const auto path = m_dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string Sandbox::read_file(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

// The files of one run: stdin, stdout and stderr, named after the pid slot.
struct RunFiles {
  std::string in, out, err;
};

RunFiles files_for(const fs::path& dir, unsigned long id) {
  const std::string base = (dir / ("run-" + std::to_string(id))).string();
  return {base + ".in", base + ".out", base + ".err"};
}

unsigned long next_id() {
  static unsigned long id = 0;
  return ++id;
}

std::map<pid_t, RunFiles>& running() {
  static std::map<pid_t, RunFiles> map;
  return map;
}

} // namespace

pid_t Sandbox::start(const std::vector<std::string>& argv, const std::string& input) const {
  return start_with(argv, input, -1);
}

pid_t Sandbox::start_with(const std::vector<std::string>& argv, const std::string& input, int stderr_fd) const {
  const RunFiles files = files_for(m_dir, next_id());
  std::ofstream(files.in, std::ios::binary) << input;
  std::vector<std::string> environment;
  for (const auto& [key, value] : env) environment.push_back(key + "=" + value);

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in = ::open(files.in.c_str(), O_RDONLY);
    const int out = ::open(files.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(files.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(stderr_fd >= 0 ? stderr_fd : err, 2);
    if (::chdir(m_dir.c_str()) != 0) ::_exit(127);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    // Look argv[0] up in the sandbox PATH, as a shell would.
    std::string program = argv[0];
    if (program.find('/') == std::string::npos) {
      std::istringstream path(env.at("PATH"));
      for (std::string dir; std::getline(path, dir, ':');) {
        const std::string candidate = dir + "/" + argv[0];
        if (::access(candidate.c_str(), X_OK) == 0) {
          program = candidate;
          break;
        }
      }
    }
    ::execve(program.c_str(), args.data(), envp.data());
    ::_exit(127);
  }
  running()[pid] = files;
  return pid;
}

RunResult Sandbox::finish(pid_t pid) const {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const RunFiles files = running().at(pid);
  running().erase(pid);
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(files.out);
  result.err = read_file(files.err);
  fs::remove(files.in);
  fs::remove(files.out);
  fs::remove(files.err);
  return result;
}

RunResult Sandbox::run(const std::vector<std::string>& argv, const std::string& input) const {
  return finish(start(argv, input));
}

RunResult Sandbox::healthctl(const std::vector<std::string>& args, const std::string& input) const {
  std::vector<std::string> argv{healthctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

RunResult Sandbox::healthctl_on_terminal(const std::vector<std::string>& args) const {
  int terminal = -1;
  int device = -1;
  if (::openpty(&terminal, &device, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
  std::vector<std::string> argv{healthctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  ::fcntl(terminal, F_SETFD, FD_CLOEXEC);
  ::fcntl(device, F_SETFD, FD_CLOEXEC); // the child's stderr is a dup, without the flag
  const pid_t pid = start_with(argv, {}, device);
  ::close(device);
  std::string received;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(terminal, buffer, sizeof buffer);
    if (got > 0) received.append(buffer, static_cast<std::size_t>(got));
    else if (got < 0 && errno == EINTR) continue;
    else break; // EIO once the child and its descendants closed the terminal
  }
  ::close(terminal);
  RunResult result = finish(pid);
  result.err = received + result.err;
  return result;
}

bool installed(const char* program) {
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"})
    if (::access((std::string(dir) + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

} // namespace test
