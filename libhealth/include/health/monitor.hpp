#pragma once
// In-process recording for services: handles whose hot path is a few relaxed
// atomic operations on memory of their own, flushed into the database by a
// background thread. See libhealth(3).
//
//   health::Monitor monitor({.db = "/var/lib/app/health.db", .node = "web-1"});
//   const auto requests = monitor.counter("webserver", "requests", {{"route", "/api"}});
//   const auto latency = monitor.timer("webserver", "latency_ms");
//   requests.inc();                       // any thread, no lock, no allocation
//   { auto timing = latency.time(); ... } // observes the scope's duration in ms

#include <health/names.hpp>
#include <health/series.hpp>
#include <health/time.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace health {

struct MonitorOptions {
  std::string db;   // the database file, created (with its folder) if missing
  std::string node; // the node of every series; empty: the host name
  // How often the background thread writes what was recorded.
  std::chrono::milliseconds flush_every{60'000};
  // Samples kept while the database cannot be written (locked past the busy
  // timeout, disk full, ...). Beyond this the oldest are dropped and counted.
  std::size_t max_pending = 100'000;
  // The most samples one timer or rolling metric writes per flush (below).
  std::size_t timer_samples = 128;
  // How long a flush waits for another writer's lock.
  Millis busy_timeout = 5 * k_second_ms;
  // Threads spread over this many copies of each metric's cells, so that two
  // threads rarely share a cache line: rounded up to a power of two, at most
  // 256. 0: the number of hardware threads, so rounded, at most 8. A counter
  // or gauge takes 64 bytes per shard, a timer 16 KiB.
  unsigned shards = 0;
};

// What a Monitor has done since it was made.
struct MonitorStats {
  std::uint64_t flushes = 0;         // flushes that committed
  std::uint64_t failed_flushes = 0;  // flushes that could not write (data kept)
  std::uint64_t written_samples = 0; // samples committed, self-metrics included
  std::uint64_t dropped_samples = 0; // samples lost: over max_pending, refused by the file, or no memory
  std::uint64_t rejected_values = 0; // not-finite values given to set() or observe()
  std::size_t pending = 0;           // samples waiting for the next flush
};

namespace detail {

inline constexpr std::size_t k_cache_line = 64;

// The calling thread's number: the lowest not held by a live thread (up to
// 64, then in turn); a thread records into shard (number & mask) of every
// metric.
std::uint32_t thread_number() noexcept;

struct alignas(k_cache_line) CounterShard {
  std::atomic<std::uint64_t> value{0};
};

// Timers and rolling metrics keep a log-linear histogram: 16 buckets per
// power of two (each at most 1/16 of its lower bound wide) for magnitudes
// 2^-24 (about 6e-8) to 2^40 (about 1.1e12), both signs; smaller
// magnitudes, zero included, share the first bucket, larger ones the last.
// This layout is compiled into callers: changing it changes the ABI.
inline constexpr int k_timer_sub_bits = 4;
inline constexpr int k_timer_min_exponent = -24;
inline constexpr int k_timer_max_exponent = 40;
inline constexpr std::size_t k_timer_half =
    std::size_t(k_timer_max_exponent - k_timer_min_exponent) << k_timer_sub_bits;
inline constexpr std::size_t k_timer_buckets = 2 * k_timer_half;
inline constexpr std::uint64_t k_timer_low_key =
    std::uint64_t(1023 + k_timer_min_exponent) << k_timer_sub_bits;

// The histogram bucket of `value`: the exponent and top mantissa bits of its
// magnitude, clamped, then negative values in the upper half.
inline std::size_t timer_bucket(double value) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const std::uint64_t key = (bits & 0x7fff'ffff'ffff'ffffULL) >> (52 - k_timer_sub_bits);
  const std::uint64_t above = key > k_timer_low_key ? key - k_timer_low_key : 0;
  const std::uint64_t index = above < k_timer_half ? above : k_timer_half - 1;
  return static_cast<std::size_t>(index + (bits >> 63) * k_timer_half);
}

struct alignas(k_cache_line) TimerShard {
  std::atomic<double> sum{0};
  std::atomic<double> min{HUGE_VAL};
  std::atomic<double> max{-HUGE_VAL};
  std::atomic<std::uint64_t> buckets[k_timer_buckets] = {};
};

// A gauge holds its last value's bits, or k_gauge_unset (a NaN, which set()
// never stores) when nothing was set since the last flush.
inline constexpr std::uint64_t k_gauge_unset = 0x7ff8'0000'dead'beefULL;

// Where handles made by their default constructor record: cells no Monitor
// owns or reads, so such a handle is safe to use and records nothing.
inline CounterShard g_unbound_counter;
inline TimerShard g_unbound_timer;
inline std::atomic<std::uint64_t> g_unbound_value{k_gauge_unset};

} // namespace detail

// A counter: each inc() adds to the interval's increment; a flush writes one
// sample per interval that had any (a counter never writes a zero).
class Counter {
public:
  // A handle bound to no Monitor: inc() records nothing.
  Counter() = default;
  void inc(std::uint64_t n = 1) const noexcept {
    m_shards[detail::thread_number() & m_mask].value.fetch_add(n, std::memory_order_relaxed);
  }

private:
  friend class Monitor;
  Counter(detail::CounterShard* shards, std::uint32_t mask) : m_shards(shards), m_mask(mask) {}
  detail::CounterShard* m_shards = &detail::g_unbound_counter;
  std::uint32_t m_mask = 0;
};

// A gauge: a flush writes the last value set since the previous flush.
class Gauge {
public:
  // A handle bound to no Monitor: set() records nothing.
  Gauge() = default;
  // A value that is not finite is not stored, and counted as rejected.
  void set(double value) const noexcept {
    if (!std::isfinite(value)) {
      m_rejected->fetch_add(1, std::memory_order_relaxed);
      return;
    }
    m_bits->store(std::bit_cast<std::uint64_t>(value), std::memory_order_relaxed);
  }

private:
  friend class Monitor;
  Gauge(std::atomic<std::uint64_t>* bits, std::atomic<std::uint64_t>* rejected)
      : m_bits(bits), m_rejected(rejected) {}
  std::atomic<std::uint64_t>* m_bits = &detail::g_unbound_value;
  std::atomic<std::uint64_t>* m_rejected = &detail::g_unbound_value;
};

class TimerScope;

// A timer or rolling metric: observations are summed, their minimum and
// maximum kept, and counted in a histogram; a flush writes them as samples
// (libhealth(3), "Timers"). time() observes a scope's duration in ms.
class Timer {
public:
  // A handle bound to no Monitor: observe() records nothing.
  Timer() = default;

  // A value that is not finite is not stored, and counted as rejected.
  void observe(double value) const noexcept {
    if (!std::isfinite(value)) {
      m_rejected->fetch_add(1, std::memory_order_relaxed);
      return;
    }
    detail::TimerShard& shard = m_shards[detail::thread_number() & m_mask];
    double low = shard.min.load(std::memory_order_relaxed);
    while (value < low && !shard.min.compare_exchange_weak(low, value, std::memory_order_relaxed)) {}
    double high = shard.max.load(std::memory_order_relaxed);
    while (value > high && !shard.max.compare_exchange_weak(high, value, std::memory_order_relaxed)) {}
    shard.sum.fetch_add(value, std::memory_order_relaxed);
    // Last, and released: a flush that counts this observation (it takes the
    // buckets first, acquiring) also sees its minimum, maximum and sum.
    shard.buckets[detail::timer_bucket(value)].fetch_add(1, std::memory_order_release);
  }

  // A scope guard that observes its lifetime in milliseconds:
  // `auto timing = timer.time();`
  [[nodiscard]] TimerScope time() const noexcept;

private:
  friend class Monitor;
  Timer(detail::TimerShard* shards, std::uint32_t mask, std::atomic<std::uint64_t>* rejected)
      : m_shards(shards), m_mask(mask), m_rejected(rejected) {}
  detail::TimerShard* m_shards = &detail::g_unbound_timer;
  std::uint32_t m_mask = 0;
  std::atomic<std::uint64_t>* m_rejected = &detail::g_unbound_value;
};

// Observes, when destroyed, the milliseconds since it was made.
class TimerScope {
public:
  explicit TimerScope(Timer timer) noexcept : m_timer(timer), m_start(std::chrono::steady_clock::now()) {}
  ~TimerScope() {
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - m_start;
    m_timer.observe(took.count());
  }
  TimerScope(const TimerScope&) = delete;
  TimerScope& operator=(const TimerScope&) = delete;

private:
  Timer m_timer;
  std::chrono::steady_clock::time_point m_start;
};

inline TimerScope Timer::time() const noexcept { return TimerScope(*this); }

// Records metrics in-process and writes them to one database file from a
// background thread: every `flush_every`, on flush(), and when destroyed,
// each time in one transaction through the same Recorder as `healthctl
// record`. Several Monitors, and healthctl processes, may write one file.
//
// Handles are made once (which validates names and takes a lock) and used
// from any thread for the Monitor's lifetime: inc(), set() and observe()
// take no lock, allocate nothing (past a thread's first use, which
// registers its thread number), never block on the database and never
// throw. A database that cannot be written keeps the data pending up to
// `max_pending` samples, then drops the oldest intervals and counts them;
// each committed flush also records the Monitor's own metrics under
// component `healthctl` (libhealth(3)). The Monitor's thread blocks every
// signal, so signals go to the service's own threads.
//
// What Monitors share in a process: the numbering of threads (a lock-free
// bitmap), a count of Monitors made, and each thread's cache of inc() by
// name. Nothing else, and nothing process-wide is changed.
//
// A Monitor belongs to the process that made it. In a child made by fork()
// its handles still count, but flush() writes nothing, making a handle
// throws Error(runtime), and its destructor returns at once, touching
// neither the parent's thread nor its connection (its memory is left to
// the child's exit). Make a new Monitor in the child.
class Monitor {
public:
  // Opens (creating if missing) the database on the caller's thread, which
  // may wait up to the busy timeout for another writer. Throws Error as
  // Store::open does, and Error(usage) on a bad node name or option.
  explicit Monitor(MonitorOptions options);
  // Stops the thread (letting a flush under way finish), then flushes once
  // more: up to twice the busy timeout when the file is locked.
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // The handle of one series, made on first use and the same afterwards.
  // Throws Error(usage) on a bad name, label or unit, or when the series was
  // already made here with another type or unit. An empty unit is the
  // series' own (ms for a new timer).
  Counter counter(std::string_view component, std::string_view name, Labels labels = {},
                  std::string_view unit = {});
  Gauge gauge(std::string_view component, std::string_view name, Labels labels = {},
              std::string_view unit = {});
  Timer timer(std::string_view component, std::string_view name, Labels labels = {},
              std::string_view unit = {});
  Timer rolling(std::string_view component, std::string_view name, Labels labels = {},
                std::string_view unit = {});

  // counter(component, name).inc(n) by name, for code that keeps no handle.
  // Each thread keeps the handles it looked up in a hash table of its own,
  // so after a name's first use on a thread a call takes no lock and
  // allocates nothing, but hashes and compares the names: a few times a
  // handle's cost (scripts/bench). Throws Error(usage) as counter() does.
  void inc(std::string_view component, std::string_view name, std::uint64_t n = 1);

  // Writes what was recorded now, on the caller's thread: waits for a flush
  // under way, then up to the busy timeout for the write lock. True when
  // everything recorded is written (or nothing was pending); false when the
  // data stays pending, and always in a forked child. Never throws.
  bool flush() noexcept;

  MonitorStats stats() const noexcept;
  const std::string& node() const noexcept;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace health
