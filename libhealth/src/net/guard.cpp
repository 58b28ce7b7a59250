// What stands in front of serve's endpoints: the API key, the rate limit
// per client, and the response cache that also shares requests in flight.

#include <health/server.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace health::http {

bool same_key(std::string_view given, std::string_view key) {
  // Every byte of both is read whatever they hold: the time says nothing of
  // how much of the key a guess got right.
  unsigned char differ = given.size() == key.size() ? 0 : 1;
  const std::size_t length = std::max(given.size(), key.size());
  for (std::size_t i = 0; i < length; ++i) {
    const auto a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const auto b = i < key.size() ? static_cast<unsigned char>(key[i]) : 0;
    differ |= static_cast<unsigned char>(a ^ b);
  }
  return differ == 0;
}

// ---- RateLimiter: a log of each client's request times in the window ----

namespace {
constexpr std::size_t k_max_clients = 100'000;
}

struct RateLimiter::State {
  std::size_t limit;
  Millis window;
  std::mutex mutex;
  std::unordered_map<std::string, std::deque<Millis>> clients;
  Millis last_sweep = 0;
};

RateLimiter::RateLimiter(std::size_t limit, Millis window) : m_state(std::make_shared<State>()) {
  m_state->limit = limit;
  m_state->window = window;
}

std::optional<Millis> RateLimiter::admit(const std::string& client, Millis now) {
  auto& state = *m_state;
  if (state.limit == 0) return std::nullopt;
  const std::lock_guard lock(state.mutex);
  // Clients quiet for a whole window are forgotten, at most once a window.
  if (now - state.last_sweep >= state.window) {
    std::erase_if(state.clients, [&](const auto& entry) { return entry.second.back() <= now - state.window; });
    state.last_sweep = now;
  }
  // A bound on the clients remembered: past it, new ones wait for room.
  if (state.clients.size() >= k_max_clients && state.clients.count(client) == 0) return state.window;
  auto& times = state.clients[client];
  while (!times.empty() && times.front() <= now - state.window) times.pop_front();
  if (times.size() >= state.limit) return times.front() + state.window - now;
  times.push_back(now);
  return std::nullopt;
}

// ---- ResponseCache ----

struct ResponseCache::State {
  struct Entry {
    Response response;
    Millis expires = 0;
    bool ready = false;
    std::size_t waiting = 0;
  };
  Millis ttl;
  std::uint64_t generation = 0; // clear() counts up: work begun before it is not kept
  std::mutex mutex;
  std::condition_variable done;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries;
  Millis last_sweep = 0;
};

ResponseCache::ResponseCache(Millis ttl) : m_state(std::make_shared<State>()) { m_state->ttl = ttl; }

std::pair<Response, bool> ResponseCache::get(const std::string& key, Millis now, const std::function<Response()>& make) {
  auto& state = *m_state;
  std::unique_lock lock(state.mutex);
  if (now - state.last_sweep >= state.ttl) {
    std::erase_if(state.entries, [&](const auto& entry) { return entry.second->ready && entry.second->expires <= now; });
    state.last_sweep = now;
  }
  auto& slot = state.entries[key];
  if (slot && slot->ready && slot->expires > now) return {slot->response, true};
  if (slot && !slot->ready) {
    // Another request is making this answer: wait for it and share it.
    const auto entry = slot;
    ++entry->waiting;
    state.done.wait(lock, [&] { return entry->ready; });
    --entry->waiting;
    return {entry->response, true};
  }
  const auto entry = std::make_shared<State::Entry>();
  slot = entry;
  const auto generation = state.generation;
  lock.unlock();
  Response response;
  try {
    response = make();
  } catch (...) {
    lock.lock();
    entry->response = error_response(500, "the request failed", {});
    entry->ready = true;
    state.entries.erase(key);
    state.done.notify_all();
    throw;
  }
  lock.lock();
  entry->response = response;
  entry->expires = now + state.ttl;
  entry->ready = true;
  if (response.error || state.ttl <= 0 || generation != state.generation) {
    const auto it = state.entries.find(key);
    if (it != state.entries.end() && it->second == entry) state.entries.erase(it);
  }
  state.done.notify_all();
  return {response, false};
}

void ResponseCache::clear() {
  const std::lock_guard lock(m_state->mutex);
  ++m_state->generation;
  std::erase_if(m_state->entries, [](const auto& entry) { return entry.second->ready; });
}

std::string cache_key(const Request& request, const Route& route) {
  // Query parameters in name order, and values in the order given for each
  // name (a repeated name's order can matter: the last value wins).
  // Each part behind its length, so no value can pass for two parts.
  std::string key;
  const auto add = [&](const std::string& part) { key += std::to_string(part.size()) + ":" + part; };
  add(request.method == "HEAD" ? "GET" : request.method);
  add(route.endpoint);
  add(route.view);
  add(route.target);
  for (const auto& [name, value] : request.query) {
    add(name);
    add(value);
  }
  return key;
}

} // namespace health::http
