// The network of healthctl-net: health::http itself, and serve's signals
// and log file.

#include "network.hpp"

#include <health/error.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
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

health::ProbeCheck http_probe_check() { return health::http::check_http; }

namespace {

void reopen(Log& log, health::http::LogFormat format) {
  try {
    log.reopen();
  } catch (const health::Error& error) {
    log.write(health::http::log_event(health::now_ms(), "error", "error", error.what(), format));
  }
}

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

// Ends the process at once, without destroying the server whose threads
// still run requests.
[[noreturn]] void cut(Log& log, const std::string& why, health::http::LogFormat format) {
  log.write(health::http::log_event(health::now_ms(), "cut", "reason", why, format));
  std::fflush(nullptr);
  std::_Exit(0);
}

// Stops the server within the grace period, on a thread of its own, while
// this one still takes signals: SIGHUP reopens the log, a second SIGTERM or
// SIGINT ends the wait at once.
void stop_within_grace(health::http::Server& server, const sigset_t& signals, Log& log, const ServeRun& run) {
  std::promise<bool> stopped;
  auto clean = stopped.get_future();
  std::thread stopper([&] { stopped.set_value(server.stop(run.grace)); });
  const timespec tick{0, 50'000'000};
  while (clean.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    const int signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal == SIGHUP) reopen(log, run.log_format);
    if (signal == SIGTERM || signal == SIGINT) {
      stopper.detach();
      cut(log, std::string("a second ") + signal_name(signal), run.log_format);
    }
  }
  stopper.join();
  if (!clean.get()) cut(log, "requests still running after the grace period", run.log_format);
}

} // namespace

void serve_http(const ServeRun& run) {
  // Blocked before any thread starts, so every worker inherits the mask and
  // only this thread takes them.
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
    reopen(log, run.log_format);
  }
  log.write(health::http::log_event(health::now_ms(), "stopping", "signal", signal_name(signal), run.log_format));
  stop_within_grace(server, signals, log, run);
  log.write(health::http::log_event(health::now_ms(), "stopped", "", "", run.log_format));
}

} // namespace healthctl
