// serve's listeners over cpp-httplib: a bounded pool of workers per
// listener, the guards in front of the endpoints, the common headers and
// the access log.

#include <health/server.hpp>

#include <health/error.hpp>
#include <health/format.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <algorithm>
#include <limits>
#include <list>
#include <mutex>
#include <thread>

namespace health::http {

namespace {

Millis steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A connection that finds every worker busy and the queue full is answered
// 503 at once on the accepting thread (this flag says so), not queued.
thread_local bool t_overloaded = false;
thread_local std::chrono::steady_clock::time_point t_started;

// Workers for one listener: `threads` of them, and at most `max_waiting`
// connections queued for them beyond the idle ones. A connection beyond
// that goes to a thread of its own that answers 503 (this flag tells the
// handler so), never to the accepting thread, which a slow client would
// hold; only when that thread's queue is full too is it answered inline.
class Pool final : public httplib::TaskQueue {
public:
  Pool(std::size_t threads, std::size_t max_waiting) : m_max_waiting(max_waiting) {
    for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { work(false); });
    m_threads.emplace_back([this] { work(true); });
  }
  ~Pool() override { shutdown(); }

  void enqueue(std::function<void()> job) override {
    std::unique_lock lock(m_mutex);
    if (m_jobs.size() + m_busy < m_threads.size() - 1 + m_max_waiting) {
      m_jobs.push_back(std::move(job));
      m_ready.notify_all();
      return;
    }
    if (m_refused.size() < k_max_refused) {
      m_refused.push_back(std::move(job));
      m_ready.notify_all();
      return;
    }
    lock.unlock();
    t_overloaded = true;
    job();
    t_overloaded = false;
  }

  void shutdown() override {
    {
      const std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_ready.notify_all();
    for (auto& thread : m_threads)
      if (thread.joinable()) thread.join();
  }

private:
  static constexpr std::size_t k_max_refused = 64;

  void work(bool refuser) {
    t_overloaded = refuser;
    auto& jobs = refuser ? m_refused : m_jobs;
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(m_mutex);
        m_ready.wait(lock, [&] { return m_stopping || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
        if (!refuser) ++m_busy;
      }
      job();
      if (refuser) continue;
      const std::lock_guard lock(m_mutex);
      --m_busy;
    }
  }

  std::size_t m_max_waiting;
  std::size_t m_busy = 0; // workers running a job
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::list<std::function<void()>> m_jobs;
  std::list<std::function<void()>> m_refused;
  std::vector<std::thread> m_threads; // the workers, then the refuser
  bool m_stopping = false;
};

struct Address {
  std::string host;
  int port = 0;
};

Address parse_address(const std::string& text) {
  const auto colon = text.rfind(':');
  const auto bad = [&] {
    return Error(ErrorKind::usage, "invalid --listen '" + text + "'", "use ADDR:PORT, such as 127.0.0.1:8080 or [::1]:8080");
  };
  if (colon == std::string::npos || colon == 0) throw bad();
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') throw bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    throw bad();
  }
  const auto port = parse_whole_number(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) throw bad();
  return {host, static_cast<int>(*port)};
}

void add_common_headers(httplib::Response& res, const Response& out, Millis cache_ttl) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", "default-src 'none'");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", out.no_store || cache_ttl <= 0
                                      ? std::string("no-store")
                                      : "max-age=" + std::to_string(cache_ttl / k_second_ms));
}

std::string header_of(const std::map<std::string, std::string>& headers, const std::string& name) {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

// The key a request carries: X-API-Key, else Authorization: Bearer.
std::string key_given(const std::map<std::string, std::string>& headers) {
  auto key = header_of(headers, "x-api-key");
  const auto authorization = header_of(headers, "authorization");
  if (key.empty() && authorization.rfind("Bearer ", 0) == 0) key = authorization.substr(7);
  return key;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX and '+' decoded; a malformed escape stays as it is.
std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The parameters of the request target's query string only: cpp-httplib
// also reads a form-encoded body into its params, which curl's --data sends
// by default, and a body is a body.
std::multimap<std::string, std::string> query_of(const std::string& target) {
  std::multimap<std::string, std::string> out;
  const auto question = target.find('?');
  if (question == std::string::npos) return out;
  std::string_view rest(target);
  rest.remove_prefix(question + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    const auto pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    out.emplace(decode(pair.substr(0, equals)), equals == std::string_view::npos ? "" : decode(pair.substr(equals + 1)));
  }
  return out;
}

} // namespace

std::string log_line(const AccessLog& entry, LogFormat format) {
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.1f", entry.duration_ms);
  if (format == LogFormat::json) {
    nlohmann::ordered_json line{{"ts", format_time(entry.ts)},         {"client", entry.client},
                                {"method", entry.method},              {"path", entry.path},
                                {"status", entry.status},              {"bytes", entry.bytes},
                                {"duration_ms", std::round(entry.duration_ms * 10) / 10}};
    if (!entry.cache.empty()) line["cache"] = entry.cache;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return format_time(entry.ts) + " " + entry.client + " " + entry.method + " " + entry.path + " " +
         std::to_string(entry.status) + " " + std::to_string(entry.bytes) + "B " + duration + "ms" +
         (entry.cache.empty() ? "" : " " + entry.cache);
}

std::string log_event(Millis ts, const std::string& event, const std::string& key, const std::string& value,
                      LogFormat format) {
  if (format == LogFormat::json) {
    nlohmann::ordered_json line{{"ts", format_time(ts)}, {"event", event}};
    if (!key.empty()) line[key] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const bool on = key == "address" || key == "signal";
  return format_time(ts) + " " + event + (value.empty() ? "" : (on ? " on " : ": ") + value);
}

struct Server::Impl {
  ServeOptions options;
  LogFormat log_format;
  bool access_log;
  LogSink log;
  RateLimiter limiter;
  ResponseCache cache;
  std::vector<std::unique_ptr<httplib::Server>> listeners;
  std::vector<std::string> addresses;
  std::vector<std::thread> threads;
  std::mutex running_mutex;
  std::condition_variable stopped;
  std::size_t running = 0; // listeners still serving
  std::mutex stores_mutex;
  std::map<std::thread::id, std::unique_ptr<Stores>> stores;

  Impl(ServeOptions serve, LogFormat format, bool access, LogSink sink)
      : options(std::move(serve)), log_format(format), access_log(access), log(std::move(sink)),
        limiter(options.rate_limit, options.rate_window), cache(options.cache_ttl) {}

  Stores& stores_of_this_thread() {
    const std::lock_guard lock(stores_mutex);
    auto& mine = stores[std::this_thread::get_id()];
    if (!mine) mine = std::make_unique<Stores>(options);
    return *mine;
  }

  void listen_on(const std::string& text);
  void route_requests(httplib::Server& listener);
  // A refusal before the work: rate limit, then the key.
  std::optional<Response> guard(const Route& route, const std::map<std::string, std::string>& headers,
                                const std::string& client);
  // The work, through the cache for reads.
  Response answer(const Request& request, const Route& route);
  void write_log(const httplib::Request& req, const httplib::Response& res);
};

void Server::Impl::listen_on(const std::string& text) {
  const auto address = parse_address(text);
  auto listener = std::make_unique<httplib::Server>();
  listener->new_task_queue = [this] {
    return new Pool(options.threads, options.max_connections > options.threads ? options.max_connections - options.threads : 0);
  };
  const auto seconds = std::chrono::milliseconds(options.timeout);
  listener->set_read_timeout(seconds);
  listener->set_write_timeout(seconds);
  // cpp-httplib 0.11 waits out an idle kept-alive connection before it can
  // stop: a second keeps SIGTERM prompt.
  listener->set_keep_alive_timeout(1);
  listener->set_keep_alive_max_count(1000);
  listener->set_tcp_nodelay(true);
  listener->set_payload_max_length(options.max_body);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which lets a
  // second server share the port instead of being told it is taken.
  auto socket = std::make_shared<socket_t>(-1);
  listener->set_socket_options([socket](socket_t made) {
    const int yes = 1;
    ::setsockopt(made, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *socket = made;
  });
  const int port = address.port == 0 ? listener->bind_to_any_port(address.host)
                                     : (listener->bind_to_port(address.host, address.port) ? address.port : -1);
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of more new
  // connections than that loses SYNs, and their clients wait a second to
  // try again. Listening again on the bound socket raises it.
  if (port >= 0 && *socket >= 0) ::listen(*socket, SOMAXCONN);
  if (port < 0)
    throw Error(ErrorKind::runtime, "cannot listen on " + text,
                "the port is in use, or the address is not one of this machine's");
  const bool v6 = address.host.find(':') != std::string::npos;
  addresses.push_back((v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(port));
  listeners.push_back(std::move(listener));
}

void Server::Impl::write_log(const httplib::Request& req, const httplib::Response& res) {
  const auto started = t_started;
  t_started = {};
  if (!access_log && res.status < 500) return;
  AccessLog entry;
  entry.ts = now_ms();
  entry.client = req.remote_addr;
  entry.method = req.method;
  // The path as sent, still escaped, so no line or field of the log can be forged.
  entry.path = req.target.substr(0, req.target.find('?'));
  entry.status = res.status;
  entry.bytes = res.body.size();
  // (0 for what cpp-httplib refused before the handlers saw it)
  if (started != std::chrono::steady_clock::time_point{})
    entry.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  entry.cache = res.get_header_value("X-Cache");
  log(log_line(entry, log_format));
}

namespace {

Request request_of(const httplib::Request& req) {
  return {req.method, req.path, query_of(req.target), {}, req.get_header_value("Content-Type")};
}

std::map<std::string, std::string> credentials_of(const httplib::Request& req) {
  std::map<std::string, std::string> headers;
  for (const char* name : {"x-api-key", "authorization"})
    if (req.has_header(name)) headers[name] = req.get_header_value(name);
  return headers;
}

void send(httplib::Response& res, const Response& out, Millis cache_ttl) {
  res.status = out.status;
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  add_common_headers(res, out, cache_ttl);
  res.set_content(out.body, out.content_type);
}

// Why a body cannot be read, before any byte of it is: only a length given
// up front (a chunked body has none to check), plain (a compressed one could
// unpack without bound), and not a form.
std::optional<Response> unreadable_body(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding"))
    return error_response(411, "a body needs a Content-Length", "send the body whole, with its length");
  const auto encoding = req.get_header_value("Content-Encoding");
  if (!encoding.empty() && encoding != "identity")
    return error_response(415, "compressed bodies are not accepted", "send the body uncompressed");
  if (req.is_multipart_form_data())
    return error_response(415, "forms are not accepted", "send NDJSON, CSV or TSV as the body itself");
  return std::nullopt;
}

} // namespace

// Every request is answered in the pre-routing handler, before cpp-httplib
// reads a body or matches a route, except a POST to ingest or record that
// passed every check: only that one's body is read, bounded by --max-body,
// by the content reader below.
void Server::Impl::route_requests(httplib::Server& listener) {
  listener.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_started = std::chrono::steady_clock::now();
    if (t_overloaded) {
      send(res, error_response(503, "the server is busy", "retry shortly"), 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    auto request = request_of(req);
    const auto route = route_of(request.path);
    auto refusal = guard(route, credentials_of(req), req.remote_addr);
    // (A request with neither Content-Length nor Transfer-Encoding has no
    // body, RFC 9112 6.3.)
    const bool body = req.has_header("Content-Length") || req.has_header("Transfer-Encoding");
    const bool reads_body = !refusal && body && request.method == "POST" && options.allow_write &&
                            (route.endpoint == "ingest" || route.endpoint == "record");
    if (reads_body) refusal = unreadable_body(req);
    if (reads_body && !refusal) return httplib::Server::HandlerResponse::Unhandled;
    send(res, refusal ? *refusal : answer(request, route), options.cache_ttl);
    return httplib::Server::HandlerResponse::Handled;
  });
  listener.Post(".*", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    auto request = request_of(req);
    bool too_large = false;
    const bool read = reader([&](const char* data, std::size_t length) {
      too_large = request.body.size() + length > options.max_body;
      if (!too_large) request.body.append(data, length);
      return !too_large;
    });
    // (cpp-httplib refuses a Content-Length over --max-body itself: 413 set)
    too_large = too_large || res.status == 413;
    if (!read || too_large) {
      send(res,
           too_large ? error_response(413, "the request body is too large", "send at most --max-body bytes")
                     : error_response(400, "the request body could not be read", "send it whole, with its length"),
           0);
      return;
    }
    send(res, answer(request, route_of(request.path)), options.cache_ttl);
  });
  // cpp-httplib's own refusals (413, 400 for a malformed request): JSON too.
  listener.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const bool large = res.status == 413;
    send(res,
         error_response(res.status, large ? "the request body is too large" : "the request was refused",
                        large ? "send at most --max-body bytes"
                              : "send an HTTP/1.1 request, its request line and each header at most 8 KiB"),
         0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  listener.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send(res, error_response(500, "the request failed", "see the server's log"), 0);
  });
  listener.set_logger([this](const httplib::Request& req, const httplib::Response& res) { write_log(req, res); });
}

Server::Server(ServeOptions options, LogFormat log_format, bool access_log, LogSink log)
    : m_impl(std::make_unique<Impl>(std::move(options), log_format, access_log, std::move(log))) {
  auto& impl = *m_impl;
  if (impl.options.listen.empty()) throw Error(ErrorKind::usage, "nothing to listen on", "give --listen ADDR:PORT");
  if (impl.options.allow_write && impl.options.default_node.empty())
    throw Error(ErrorKind::usage, "writes need a default node", "set ServeOptions::default_node");
  for (const auto& name : impl.options.public_endpoints)
    if (std::find(endpoint_names().begin(), endpoint_names().end(), name) == endpoint_names().end())
      throw Error(ErrorKind::usage, "invalid --public '" + name + "'", "use none, or some of " + [] {
        std::string all;
        for (const auto& known : endpoint_names()) all += (all.empty() ? "" : ",") + known;
        return all;
      }());
  Store::open({impl.options.database, OpenMode::read_only, impl.options.busy_timeout}); // says what is wrong now
  for (const auto& address : impl.options.listen) impl.listen_on(address);
  for (auto& listener : impl.listeners) impl.route_requests(*listener);
}

Server::~Server() {
  for (auto& listener : m_impl->listeners) listener->stop();
  for (auto& thread : m_impl->threads) thread.join();
}

std::vector<std::string> Server::addresses() const { return m_impl->addresses; }

void Server::start() {
  auto& impl = *m_impl;
  for (std::size_t i = 0; i < impl.listeners.size(); ++i) {
    impl.log(log_event(now_ms(), "listening", "address", impl.addresses[i], impl.log_format));
    {
      const std::lock_guard lock(impl.running_mutex);
      ++impl.running;
    }
    auto* listener = impl.listeners[i].get();
    impl.threads.emplace_back([&impl, listener] {
      listener->listen_after_bind();
      const std::lock_guard lock(impl.running_mutex);
      --impl.running;
      impl.stopped.notify_all();
    });
    // Until it runs, stop() would not reach it (a SIGTERM right at start).
    while (!listener->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool Server::stop(Millis grace) {
  auto& impl = *m_impl;
  for (auto& listener : impl.listeners) listener->stop();
  // A listener returns once its workers finished every connection.
  std::unique_lock lock(impl.running_mutex);
  const bool clean = impl.stopped.wait_for(lock, std::chrono::milliseconds(std::clamp<Millis>(grace, 0, k_day_ms)),
                                           [&] { return impl.running == 0; });
  lock.unlock();
  if (!clean) return false;
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  return true;
}

std::optional<Response> Server::Impl::guard(const Route& route, const std::map<std::string, std::string>& headers,
                                            const std::string& client) {
  const auto key = key_given(headers);
  const bool keyed = !options.api_key.empty() && !key.empty() && same_key(key, options.api_key);
  // Guesses at the key count against their address, like any request.
  if (const auto wait = limiter.admit(keyed ? std::string("key") : "ip " + client, steady_ms())) {
    auto out = error_response(429, "too many requests",
                              "at most " + std::to_string(options.rate_limit) + " a minute from one client");
    out.headers.emplace_back("Retry-After", std::to_string((*wait + k_second_ms - 1) / k_second_ms));
    return out;
  }
  if (!options.api_key.empty() && !keyed && options.public_endpoints.count(route.endpoint) == 0) {
    auto out = error_response(401, key.empty() ? "this endpoint needs the API key" : "the API key is wrong",
                              "send it as X-API-Key or Authorization: Bearer");
    out.headers.emplace_back("WWW-Authenticate", "Bearer");
    return out;
  }
  return std::nullopt;
}

Response Server::Impl::answer(const Request& request, const Route& route) {
  const auto work = [&] { return respond(request, route, stores_of_this_thread(), options, now_ms()); };
  const bool write = request.method != "GET" && request.method != "HEAD";
  if (write || options.cache_ttl <= 0 || route.endpoint.empty()) {
    auto out = work();
    if (write && out.status == 200) cache.clear();
    return out;
  }
  auto [out, shared] = cache.get(cache_key(request, route), steady_ms(), work);
  out.headers.emplace_back("X-Cache", shared ? "hit" : "miss");
  return out;
}

Response Server::handle(const Request& request, const std::map<std::string, std::string>& headers,
                        const std::string& client) {
  const auto route = route_of(request.path);
  if (auto refusal = m_impl->guard(route, headers, client)) return *refusal;
  return m_impl->answer(request, route);
}

} // namespace health::http
