#include "http_server.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace test {

namespace {

// Binds a TCP socket to 127.0.0.1 on an ephemeral port; returns its port.
int bind_loopback(int socket) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  REQUIRE(::bind(socket, reinterpret_cast<sockaddr*>(&address), size) == 0);
  REQUIRE(::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  return ntohs(address.sin_port);
}

} // namespace

HttpServer::HttpServer(int status, std::string body) : m_status(status), m_body(std::move(body)) {
  m_socket = ::socket(AF_INET, SOCK_STREAM, 0);
  m_port = bind_loopback(m_socket);
  REQUIRE(::listen(m_socket, 8) == 0);
  m_thread = std::thread([this] { serve(); });
}

HttpServer::~HttpServer() {
  m_stop = true;
  ::shutdown(m_socket, SHUT_RDWR);
  ::close(m_socket);
  m_thread.join();
}

std::string HttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(m_port) + path;
}

void HttpServer::set_body(std::string body) {
  std::lock_guard lock(m_mutex);
  m_body = std::move(body);
}

void HttpServer::set_status(int status) { m_status = status; }

void HttpServer::set_delay(int milliseconds) { m_delay = milliseconds; }

void HttpServer::set_trickle(int milliseconds) { m_trickle = milliseconds; }

std::vector<std::string> HttpServer::heads() const {
  std::lock_guard lock(m_mutex);
  return m_heads;
}

void HttpServer::serve() {
  while (!m_stop) {
    const int client = ::accept(m_socket, nullptr, nullptr);
    if (client < 0) return;
    answer(client);
    ::close(client);
  }
}

// Answers the requests of one kept-alive connection until it closes.
void HttpServer::answer(int client) {
  for (;;) {
    std::string request;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      const auto got = ::read(client, buffer, sizeof buffer);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
      head_end = request.find("\r\n\r\n");
    }
    const auto length_at = request.find("Content-Length: ");
    const auto length = length_at == std::string::npos ? 0 : std::stoul(request.substr(length_at + 16));
    while (request.size() < head_end + 4 + length) {
      const auto got = ::read(client, buffer, sizeof buffer);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    std::string body;
    {
      std::lock_guard lock(m_mutex);
      m_heads.push_back(request.substr(0, head_end));
      body = m_body;
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_delay.load());
    while (!m_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (m_stop) return;
    const std::string response = "HTTP/1.1 " + std::to_string(m_status.load()) +
                                 " X\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body;
    if (m_trickle.load() == 0) {
      if (::send(client, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
      continue;
    }
    for (char byte : response) {
      for (int waited = 0; waited < m_trickle.load() && !m_stop; waited += 5)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (m_stop || ::send(client, &byte, 1, MSG_NOSIGNAL) < 0) return;
    }
  }
}

int closed_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  const int port = bind_loopback(s);
  ::close(s);
  return port;
}

bool has_net() {
  return std::filesystem::exists(std::filesystem::path(HEALTHCTL_BIN).parent_path() / "healthctl-net");
}

bool without_net() {
  if (has_net()) return false;
  WARN("built without HTTP (no healthctl-net): skipped");
  return true;
}

} // namespace test
