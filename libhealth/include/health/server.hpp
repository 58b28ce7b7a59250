#pragma once
// healthctl serve: health over HTTP for load balancers, monitoring,
// Prometheus and Claude. Part of health::http (net/): the listeners and
// their limits (server.cpp), the endpoints (router.cpp: a request in, a
// response out, over the same library calls and render/ functions as the
// CLI, so a body equals the CLI's output for the same question) and the
// guards in front of them (guard.cpp: API key, rate limit, response cache).
// The endpoints and their rules: healthctl-serve(1).

#include <health/store.hpp>
#include <health/time.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace health::http {

enum class LogFormat { text, json };

struct ServeOptions {
  std::string database;                           // the file's path
  std::vector<std::string> listen{"127.0.0.1:8080"}; // ADDR:PORT, [v6]:PORT; port 0 picks one
  std::string api_key;                            // empty: no key needed
  std::set<std::string> public_endpoints{"status"}; // open without the key
  std::size_t rate_limit = 100;                   // requests per client per window; 0: none
  Millis rate_window = 60 * k_second_ms;
  Millis cache_ttl = 5 * k_second_ms;             // 0: no cache
  int degraded_status = 200;                      // or 503
  bool allow_write = false;                       // POST ingest and record
  std::size_t max_body = std::size_t{16} << 20;
  std::size_t max_answer = std::size_t{64} << 20; // a larger answer is refused (400)
  Millis query_timeout = 10 * k_second_ms;
  std::size_t threads = 8;
  std::size_t max_connections = 256;              // beyond it: 503 at once
  Millis timeout = 10 * k_second_ms;              // idle client
  Millis busy_timeout = 5 * k_second_ms;          // of the Stores
  std::string default_node;                       // of ingested rows without one
};

// The endpoint names (for --public and the logs).
const std::vector<std::string>& endpoint_names();

// ---- the endpoints (router.cpp) ----

struct Request {
  std::string method; // GET, HEAD, POST, ...
  std::string path;   // decoded, without the query
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string content_type;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; // besides the common ones
  bool no_store = false;  // Cache-Control: no-store (status, errors, writes)
  bool error = false;     // an error answer: never kept in serve's cache
};

// Where a path goes: the endpoint's name, or empty when no endpoint has it.
struct Route {
  std::string endpoint; // one of endpoint_names()
  std::string view;     // the part after /health/, normalised ("status", "db/status", "claude/trends", ...)
  std::string target;   // the component or issue the path names
};
Route route_of(const std::string& path);

// The database as one worker thread sees it: a read-only Store opened when
// first needed and opened again when the file was replaced (backup restore
// renames a new file over it), and a read-write Store for writes.
class Stores {
public:
  using FileId = std::pair<unsigned long, unsigned long>; // device and inode

  explicit Stores(const ServeOptions& options);
  Store& reader();
  Store& writer();
  // Every Store given out until the next call is interrupted past
  // `deadline` (Store::set_deadline); nullopt lifts it.
  void bound(std::optional<std::chrono::steady_clock::time_point> deadline);

private:
  Store& open(std::optional<Store>& store, FileId& opened_on, OpenMode mode);

  const ServeOptions& m_options;
  std::optional<Store> m_reader;
  std::optional<Store> m_writer;
  FileId m_reader_file{};
  FileId m_writer_file{};
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
};

// The answer to `request` on `route` at `now`: errors become JSON
// {"error","hint"} with their status. Bounded by options.query_timeout.
Response respond(const Request& request, const Route& route, Stores& stores, const ServeOptions& options,
                 Millis now);

// An error answer: {"error":..,"hint":..} with `status`.
Response error_response(int status, const std::string& error, const std::string& hint);

// ---- the guards (guard.cpp) ----

// True when `given` equals `key`, in a time that depends on their lengths
// only.
bool same_key(std::string_view given, std::string_view key);

// A sliding-window rate limit per client: at most `limit` requests in any
// `window`. Thread-safe.
class RateLimiter {
public:
  RateLimiter(std::size_t limit, Millis window);
  // Counts a request of `client` at `now` (steady milliseconds); nullopt
  // when allowed, else the milliseconds until one is.
  std::optional<Millis> admit(const std::string& client, Millis now);

private:
  struct State;
  std::shared_ptr<State> m_state;
};

// Answers kept for a time, and requests in flight shared: concurrent
// identical requests (same key) run `make` once and all get its answer.
// Thread-safe.
class ResponseCache {
public:
  explicit ResponseCache(Millis ttl);
  // The answer for `key` at `now` (steady milliseconds) and whether it came
  // from the cache or another request's work. Error answers are not kept
  // (requests waiting for one get it).
  std::pair<Response, bool> get(const std::string& key, Millis now, const std::function<Response()>& make);
  // Forgets every answer (after a write).
  void clear();

private:
  struct State;
  std::shared_ptr<State> m_state;
};

// The key of a request for the cache: its method, view and query, sorted.
std::string cache_key(const Request& request, const Route& route);

// ---- the server (server.cpp) ----

struct AccessLog {
  Millis ts = 0;
  std::string client, method, path;
  int status = 0;
  std::size_t bytes = 0;
  double duration_ms = 0;
  std::string cache; // hit, miss, or empty
};

// A log line, without its newline.
std::string log_line(const AccessLog& entry, LogFormat format);
// A lifecycle line: {"ts","event",KEY:VALUE} in JSON ("listening" with its
// "address", "stopping" with its "signal"), "TS listening on ADDR" in text.
std::string log_event(Millis ts, const std::string& event, const std::string& key, const std::string& value,
                      LogFormat format);

using LogSink = std::function<void(const std::string& line)>;

// The listeners and their worker threads.
class Server {
public:
  // Binds every address of options.listen: throws Error(runtime) naming the
  // one that cannot be bound; Error(usage) for a malformed one. Opens the
  // database once, so a missing or foreign file is said at start.
  Server(ServeOptions options, LogFormat log_format, bool access_log, LogSink log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound addresses, ADDR:PORT, in the order of options.listen.
  std::vector<std::string> addresses() const;
  // Serves on threads of its own until stop().
  void start();
  // Stops accepting and waits up to `grace` for the requests in flight;
  // false when some were still running then: their threads still use the
  // Server, so the process must then end without destroying it (_Exit).
  bool stop(Millis grace);

  // Answers one request as the listeners do (guards, cache, headers), for
  // tests without sockets. `client` is the peer address.
  Response handle(const Request& request, const std::map<std::string, std::string>& headers,
                  const std::string& client);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace health::http
