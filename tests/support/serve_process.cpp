#include "serve_process.hpp"

#include <sqlite3.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace test {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int connect_loopback(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(s);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(error));
  }
  timeval timeout{15, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return s;
}

} // namespace

// ---- HTTP ----

std::string HttpAnswer::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool HttpAnswer::has(const std::string& name) const { return headers.count(lower(name)) > 0; }

HttpConnection::HttpConnection(int port) : m_socket(connect_loopback(port)) {}

HttpConnection::~HttpConnection() {
  if (m_socket >= 0) ::close(m_socket);
}

void HttpConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(m_socket, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
}

void HttpConnection::send_request(const std::string& method, const std::string& target, const Headers& headers,
                                  const std::string& body, bool keep_alive) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) request += "Connection: close\r\n";
  send(request + "\r\n" + body);
}

bool HttpConnection::fill() {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(m_socket, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("no answer: ") + std::strerror(errno));
    m_buffer.append(chunk, static_cast<std::size_t>(n));
    return n > 0;
  }
}

HttpAnswer HttpConnection::read_answer(bool head_only) {
  std::size_t end = 0;
  while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) throw std::runtime_error("the connection closed before an answer's head: '" + m_buffer + "'");
  const std::string head = m_buffer.substr(0, end);
  m_buffer.erase(0, end + 4);
  HttpAnswer answer;
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) throw std::runtime_error("not an HTTP answer: " + line);
  answer.status = std::stoi(line.substr(9, 3));
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    answer.headers[lower(line.substr(0, colon))] = value;
  }
  if (head_only) return answer;
  if (lower(answer.header("Transfer-Encoding")) == "chunked") {
    for (;;) {
      std::size_t eol = 0;
      while ((eol = m_buffer.find("\r\n")) == std::string::npos)
        if (!fill()) throw std::runtime_error("a chunked body ended early");
      const auto size = std::stoul(m_buffer.substr(0, eol), nullptr, 16);
      while (m_buffer.size() < eol + 2 + size + 2)
        if (!fill()) throw std::runtime_error("a chunked body ended early");
      answer.body += m_buffer.substr(eol + 2, size);
      m_buffer.erase(0, eol + 2 + size + 2);
      if (size == 0) break;
    }
  } else if (answer.has("Content-Length")) {
    const auto length = std::stoul(answer.header("Content-Length"));
    while (m_buffer.size() < length)
      if (!fill()) throw std::runtime_error("the body ended early");
    answer.body = m_buffer.substr(0, length);
    m_buffer.erase(0, length);
  } else {
    while (fill()) {
    }
    answer.body = std::move(m_buffer);
    m_buffer.clear();
  }
  return answer;
}

bool HttpConnection::closed_by_server(std::chrono::milliseconds wait) {
  pollfd fd{m_socket, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(wait.count())) <= 0) return false;
  char byte = 0;
  return ::recv(m_socket, &byte, 1, MSG_PEEK) == 0;
}

HttpAnswer http_request(int port, const std::string& method, const std::string& target, const Headers& headers,
                        const std::string& body) {
  HttpConnection connection(port);
  connection.send_request(method, target, headers, body);
  return connection.read_answer(method == "HEAD");
}

bool accepts(int port) {
  try {
    HttpConnection connection(port);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

std::vector<std::string> lines_with(const std::string& text, const std::string& part) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.find(part) != std::string::npos) out.push_back(line);
  return out;
}

// ---- ServeProcess ----

ServeProcess::ServeProcess(const Sandbox& box, std::vector<std::string> args, Wait wait) {
  static unsigned long serial = 0;
  const std::string base = (box.dir() / ("serve-" + std::to_string(++serial))).string();
  m_log_path = base + ".err";
  m_out_path = base + ".out";
  const std::string out_path = m_out_path;

  std::vector<std::string> argv{healthctl_path(), "serve"};
  bool listen = false;
  for (const auto& arg : args) listen = listen || arg == "--listen" || arg.rfind("--listen=", 0) == 0;
  if (!listen) argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> arg_pointers;
  for (auto& arg : argv) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  std::vector<std::string> environment;
  for (const auto& [key, value] : box.env) environment.push_back(key + "=" + value);
  std::vector<char*> env_pointers;
  for (auto& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  const std::string dir = box.dir().string();

  const pid_t parent = ::getpid();
  m_pid = ::fork();
  if (m_pid < 0) throw std::runtime_error("fork failed");
  if (m_pid == 0) {
    // Stopped with the test even when it dies without unwinding (an abort).
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(127);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(m_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    ::_exit(127);
  }
  if (wait == Wait::nothing) return;

  static const std::regex listening(R"(listening.*?127\.0\.0\.1:([0-9]+))");
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  for (;;) {
    const auto text = log();
    std::smatch match;
    if (std::regex_search(text, match, listening)) {
      m_port = std::stoi(match[1]);
      return;
    }
    if (this->wait(std::chrono::milliseconds(0)) || Clock::now() > deadline) {
      const bool ended = m_exit.has_value();
      stop(std::chrono::seconds(2));
      throw std::runtime_error(std::string("healthctl serve ") + (ended ? "ended" : "said nothing in 20 s") +
                               " before listening; its log: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ServeProcess::~ServeProcess() {
  try {
    stop();
  } catch (...) {
  }
}

std::string ServeProcess::log() const { return slurp_file(m_log_path); }
std::string ServeProcess::out() const { return slurp_file(m_out_path); }

bool ServeProcess::wait_for_log(const std::string& text, std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (lines_with(log(), text).size() >= count) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ServeProcess::signal(int signal) {
  if (m_pid > 0 && !m_exit) ::kill(m_pid, signal);
}

std::optional<int> ServeProcess::wait(std::chrono::milliseconds timeout) {
  if (m_exit || m_pid <= 0) return m_exit;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t got = ::waitpid(m_pid, &status, WNOHANG);
    if (got == m_pid) {
      m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return m_exit;
    }
    if (got < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> ServeProcess::stop(std::chrono::milliseconds timeout) {
  if (m_exit || m_pid <= 0) return m_exit;
  signal(SIGTERM);
  if (const auto code = wait(timeout)) return code;
  ::kill(m_pid, SIGKILL);
  wait(std::chrono::seconds(10));
  return std::nullopt;
}

// ---- DatabaseLock ----

DatabaseLock::DatabaseLock(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  // In WAL mode, EXCLUSIVE locking keeps the lock from the first write
  // until the connection closes; no other connection can then read.
  char* error = nullptr;
  if (sqlite3_exec(m_db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", nullptr, nullptr, &error) !=
      SQLITE_OK) {
    const std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    release();
    throw std::runtime_error("cannot lock " + path + ": " + message);
  }
}

void DatabaseLock::release() {
  if (m_db != nullptr) sqlite3_close(m_db);
  m_db = nullptr;
}

} // namespace test
