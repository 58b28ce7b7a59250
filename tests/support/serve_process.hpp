#pragma once
// `healthctl serve` in the background for the end-to-end tests: started in a
// Sandbox (its environment and database) on an ephemeral loopback port, read
// from its "listening on" log line, and always stopped when it goes out of
// scope (SIGTERM, then SIGKILL), a failed REQUIRE included, or when the test
// process dies without unwinding (PR_SET_PDEATHSIG). With it a small
// HTTP/1.1 client over plain sockets, and an exclusive lock on a database
// that holds a serve worker's first read back for as long as a test wants.

#include "process.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

struct sqlite3;

namespace test {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP answer.
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;
  // A header's value, "" when it is absent; `name` in any case.
  std::string header(const std::string& name) const;
  bool has(const std::string& name) const;
};

// A client connection to 127.0.0.1:port, with 15 s timeouts on every read
// and write (so a hung server fails the test instead of hanging it).
class HttpConnection {
public:
  explicit HttpConnection(int port); // throws std::runtime_error when refused
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends raw bytes (part of a request, say).
  void send(const std::string& bytes);
  // Sends a whole request. POST and PUT get a Content-Length even when empty.
  void send_request(const std::string& method, const std::string& target, const Headers& headers = {},
                    const std::string& body = {}, bool keep_alive = false);
  // Reads one answer; `head_only` for the answer to HEAD (no body follows).
  HttpAnswer read_answer(bool head_only = false);
  // Whether the server closed the connection (a read gives end of file
  // within `wait`).
  bool closed_by_server(std::chrono::milliseconds wait);

private:
  bool fill(); // reads more into m_buffer; false at end of file
  int m_socket = -1;
  std::string m_buffer;
};

// One request on a connection of its own (Connection: close).
HttpAnswer http_request(int port, const std::string& method, const std::string& target, const Headers& headers = {},
                        const std::string& body = {});
inline HttpAnswer http_get(int port, const std::string& target, const Headers& headers = {}) {
  return http_request(port, "GET", target, headers);
}

// Whether something accepts TCP connections on 127.0.0.1:port.
bool accepts(int port);

class ServeProcess {
public:
  enum class Wait { listening, nothing };

  // Starts `healthctl serve ARGS...` in `box` (with --listen 127.0.0.1:0
  // unless ARGS has --listen), its stderr in a file of the sandbox. With
  // Wait::listening, waits up to 20 s for the "listening on" line and
  // throws, with the log, when the process ends or says nothing.
  ServeProcess(const Sandbox& box, std::vector<std::string> args, Wait wait = Wait::listening);
  ~ServeProcess(); // stop(): SIGTERM, up to 10 s, then SIGKILL
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // The port of the first listening line.
  int port() const { return m_port; }
  pid_t pid() const { return m_pid; }
  // Its stderr so far (the log, unless --log-file), and its stdout.
  std::string log() const;
  std::string out() const;
  // Waits until the log holds `count` lines containing `text`.
  bool wait_for_log(const std::string& text, std::size_t count = 1,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Sends `signal` (if it still runs).
  void signal(int signal);
  // Waits up to `timeout` for the process to end: its exit code (128 +
  // signal when killed), nullopt while it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then waits up to `timeout`; SIGKILL past it (nullopt then).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
  pid_t m_pid = -1;
  std::optional<int> m_exit;
  std::string m_log_path;
  std::string m_out_path;
  int m_port = 0;
};

// Lines of `text` (without their newlines) that contain `part`.
std::vector<std::string> lines_with(const std::string& text, const std::string& part);

// An exclusive lock on a database in WAL mode, from a SQLite connection of
// the test's own: while it is held, a connection opened after it (a serve
// worker's first) waits in its busy handler. Taken in the constructor.
class DatabaseLock {
public:
  explicit DatabaseLock(const std::string& path);
  ~DatabaseLock() { release(); }
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  void release();

private:
  sqlite3* m_db = nullptr;
};

} // namespace test
