// The network of healthctl-net: health::http itself, and serve's signals
// and log file.

#include "network.hpp"

#include <health/error.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>

namespace healthctl {

namespace {

// serve's log: stderr, or a file opened for appending and opened again on
// SIGHUP (after logrotate moved it). Lines from every thread, whole.
class Log {
public:
  explicit Log(std::string path) : m_path(std::move(path)) { reopen(); }
  ~Log() {
    if (m_file != nullptr && m_file != stderr) std::fclose(m_file);
  }
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  void reopen() {
    if (m_path.empty()) {
      const std::lock_guard lock(m_mutex);
      m_file = stderr;
      return;
    }
    std::FILE* file = std::fopen(m_path.c_str(), "ae");
    if (file == nullptr)
      throw health::Error(health::ErrorKind::runtime, "cannot open the log file " + m_path + ": " + std::strerror(errno),
                          "check its folder and permissions");
    const std::lock_guard lock(m_mutex);
    if (m_file != nullptr && m_file != stderr) std::fclose(m_file);
    m_file = file;
  }

  void write(const std::string& line) {
    const std::lock_guard lock(m_mutex);
    std::fputs((line + "\n").c_str(), m_file);
    std::fflush(m_file);
  }

private:
  std::string m_path;
  std::mutex m_mutex;
  std::FILE* m_file = nullptr;
};

} // namespace

void keep_command_line(int /*argc*/, char** /*argv*/) {}

health::RemoteWriteSend open_remote_write(const health::Url& url, const health::http::ClientOptions& options) {
  return health::http::remote_write_sender(url, options);
}

std::string fetch_url(const health::Url& url, const health::http::ClientOptions& options, std::size_t max_bytes,
                     std::string_view accept) {
  return health::http::get(url, options, max_bytes, accept);
}

void serve_http(const ServeRun& run) {
  // Blocked before any thread starts, so every worker inherits the mask and
  // only sigwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-answer is the socket's error, not the process's end

  Log log(run.log_file);
  health::http::Server server(run.options, run.log_format, run.access_log,
                              [&log](const std::string& line) { log.write(line); });
  server.start();
  int signal = 0;
  for (;;) {
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) break;
    try {
      log.reopen();
    } catch (const health::Error& error) {
      log.write(health::http::log_event(health::now_ms(), "error", "error", error.what(), run.log_format));
    }
  }
  log.write(health::http::log_event(health::now_ms(), "stopping", "signal", signal == SIGINT ? "SIGINT" : "SIGTERM",
                                    run.log_format));
  if (!server.stop(run.grace)) {
    // Requests still running use the server: end without destroying it.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  log.write(health::http::log_event(health::now_ms(), "stopped", "", "", run.log_format));
}

} // namespace healthctl
