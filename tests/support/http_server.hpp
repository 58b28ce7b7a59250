#pragma once
// A one-thread HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for the
// end-to-end tests of the commands that speak HTTP: it answers every request
// with one status and body, which a test may change between requests, and
// keeps the head (request line and headers) of each request it read.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test {

class HttpServer {
public:
  HttpServer(int status, std::string body);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // http://127.0.0.1:PORT followed by `path`.
  std::string url(const std::string& path) const;
  void set_body(std::string body);
  void set_status(int status);
  // Waits this long before each answer (a slow server; a long wait is one
  // that hangs): the destructor still stops it at once.
  void set_delay(int milliseconds);
  // Sends each answer a byte at a time, this long apart (a server that
  // trickles its headers); 0 sends it at once.
  void set_trickle(int milliseconds);
  std::vector<std::string> heads() const;

private:
  void serve();
  void answer(int client);

  std::atomic<int> m_status;
  std::atomic<int> m_delay{0};
  std::atomic<int> m_trickle{0};
  std::string m_body;
  int m_socket = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::vector<std::string> m_heads;
  std::thread m_thread;
};

// A loopback port nothing listens on.
int closed_port();

// Whether healthctl-net, which the network commands hand over to, was built
// beside the healthctl under test.
bool has_net();
// True, with a warning in the test's report, when it was not: the test
// then skips itself (if (without_net()) return;).
bool without_net();

} // namespace test
