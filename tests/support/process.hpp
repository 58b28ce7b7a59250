#pragma once
// Running the built healthctl binary in a sandbox: a temp folder of its own,
// a scrubbed environment (no HEALTH_* or XDG_* from the caller, HOME in the
// folder) and files for stdin, stdout and stderr.

#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace test {

struct RunResult {
  int exit_code = -1; // the exit status, or 128 + signal
  std::string out;
  std::string err;
};

class Sandbox {
public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::filesystem::path& dir() const { return m_dir; }
  // The database the sandbox points HEALTH_DB_PATH at.
  std::string db() const { return (m_dir / "health.db").string(); }

  // The environment every run gets: PATH, HOME, LANG=C.UTF-8, HEALTH_DB_PATH
  // and HEALTH_NODE_NAME=test-node. Change or erase entries to taste.
  std::map<std::string, std::string> env;

  // Runs `healthctl args...` with `input` on stdin and waits for it.
  RunResult healthctl(const std::vector<std::string>& args, const std::string& input = {}) const;
  // Runs `healthctl args...` with its stderr on a pseudo-terminal (stdin and
  // stdout stay files); `err` holds what the terminal received.
  RunResult healthctl_on_terminal(const std::vector<std::string>& args) const;
  // Runs any program (argv[0] looked up in PATH) the same way.
  RunResult run(const std::vector<std::string>& argv, const std::string& input = {}) const;

  // Starts `argv` without waiting; finish() waits and collects its output.
  pid_t start(const std::vector<std::string>& argv, const std::string& input = {}) const;
  RunResult finish(pid_t pid) const;

  // Writes `text` to a file in the sandbox and returns its path.
  std::string write_file(const std::string& name, const std::string& text) const;
  std::string read_file(const std::string& path) const;

private:
  // start() with stderr on `stderr_fd` instead of a file, when it is >= 0.
  pid_t start_with(const std::vector<std::string>& argv, const std::string& input, int stderr_fd) const;

  std::filesystem::path m_dir;
};

// Whether `program` is installed: an executable in /usr/local/bin, /usr/bin
// or /bin (the PATH a Sandbox gives).
bool installed(const char* program);

// The path of the healthctl binary under test.
const char* healthctl_path();

} // namespace test
