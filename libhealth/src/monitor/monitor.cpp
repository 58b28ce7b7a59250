// Monitor: the cells behind the handles, and the flush that drains them into
// the database. Handles write relaxed atomics; a flush exchanges each cell
// for its empty value, so an observation made during a flush lands in this
// interval or the next, never in both and never in neither.

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/monitor.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "store/sqlite.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace health {

namespace detail {

namespace {

// Numbers for the threads alive: a thread takes the lowest free one of 64 at
// its first record and gives it back when it ends, so live threads rarely
// share a shard; past 64 live threads numbers are handed out in turn. This
// bitmap is the only state every Monitor shares; it holds no lock, so a
// fork() can never leave it held.
std::atomic<std::uint64_t> g_numbers_taken{0};
std::atomic<std::uint32_t> g_numbers_beyond{64};

struct ThreadNumber {
  std::uint32_t value = 0;
  ThreadNumber() {
    std::uint64_t taken = g_numbers_taken.load(std::memory_order_relaxed);
    while (taken != ~std::uint64_t{0}) {
      const int free = std::countr_one(taken);
      if (g_numbers_taken.compare_exchange_weak(taken, taken | (std::uint64_t{1} << free))) {
        value = static_cast<std::uint32_t>(free);
        return;
      }
    }
    value = g_numbers_beyond.fetch_add(1, std::memory_order_relaxed);
  }
  ~ThreadNumber() {
    if (value < 64) g_numbers_taken.fetch_and(~(std::uint64_t{1} << value));
  }
  ThreadNumber(const ThreadNumber&) = delete;
  ThreadNumber& operator=(const ThreadNumber&) = delete;
};

} // namespace

std::uint32_t thread_number() noexcept {
  thread_local const ThreadNumber number;
  return number.value;
}

} // namespace detail

namespace {

using detail::k_timer_buckets;
using detail::k_timer_half;

// The series one handle records into, and its cells.
struct Cell {
  SeriesSpec spec;
  std::unique_ptr<detail::CounterShard[]> counter;
  std::unique_ptr<detail::TimerShard[]> timer;
  alignas(detail::k_cache_line) std::atomic<std::uint64_t> gauge{detail::k_gauge_unset};
};

// A sample drained from a cell, waiting to be written.
struct Pending {
  const SeriesSpec* spec;
  Sample sample;
};

// The lower bound of the magnitudes in key `key` of a histogram half.
double key_floor(std::size_t key) {
  if (key == 0) return 0;
  return std::bit_cast<double>((key + detail::k_timer_low_key) << (52 - detail::k_timer_sub_bits));
}

// The value a histogram bucket stands for: the middle of its range.
double bucket_value(std::size_t bucket) {
  const std::size_t key = bucket % k_timer_half;
  const double middle = (key_floor(key) + key_floor(key + 1)) / 2;
  return bucket < k_timer_half ? middle : -middle;
}

// Buckets in the order of their values: negative ones from the largest
// magnitude down, then positive ones up.
std::size_t bucket_in_order(std::size_t rank) {
  return rank < k_timer_half ? k_timer_buckets - 1 - rank : rank - k_timer_half;
}

// One interval of a timer, merged over its shards.
struct TimerInterval {
  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(k_timer_buckets);
  std::uint64_t total = 0;
  double sum = 0;
  double min = HUGE_VAL;
  double max = -HUGE_VAL;

  void take(detail::TimerShard& shard) {
    for (std::size_t bucket = 0; bucket < k_timer_buckets; ++bucket) {
      if (shard.buckets[bucket].load(std::memory_order_relaxed) == 0) continue;
      const std::uint32_t count = shard.buckets[bucket].exchange(0, std::memory_order_acquire);
      counts[bucket] += count;
      total += count;
    }
    sum += shard.sum.exchange(0, std::memory_order_relaxed);
    min = std::min(min, shard.min.exchange(HUGE_VAL, std::memory_order_relaxed));
    max = std::max(max, shard.max.exchange(-HUGE_VAL, std::memory_order_relaxed));
  }

  std::size_t first_bucket() const {
    std::size_t walked = 0;
    while (counts[bucket_in_order(walked)] == 0) ++walked;
    return bucket_in_order(walked);
  }
  std::size_t last_bucket() const {
    std::size_t walked = k_timer_buckets - 1;
    while (counts[bucket_in_order(walked)] == 0) --walked;
    return bucket_in_order(walked);
  }

  // The samples an interval writes: one per observation up to `limit`, else
  // `limit` samples at evenly spaced ranks; the smallest and largest are the
  // exact minimum and maximum, and each value lies between them. Beyond
  // `limit` the first sample's context holds the exact count and sum.
  std::vector<Sample> samples(Millis ts, std::size_t limit) const {
    std::vector<Sample> out;
    if (total == 0) return out;
    // An observation counted here had its extremes taken with it (observe()
    // releases its bucket last); one recorded during the flush may add its
    // extremes and sum here and its bucket to the next interval.
    const double low = min <= max ? min : bucket_value(first_bucket());
    const double high = min <= max ? max : bucket_value(last_bucket());
    const std::uint64_t written = std::min<std::uint64_t>(total, limit);
    out.reserve(written);
    // One walk over the buckets in value order: sample i is the observation
    // of rank i, or of rank (2i+1)/2 of each `total / written` when fewer.
    std::uint64_t below = 0; // observations in the buckets walked before
    std::size_t walked = 0;
    for (std::uint64_t i = 0; i < written; ++i) {
      const std::uint64_t rank = written == total ? i : (2 * i + 1) * total / (2 * written);
      while (below + counts[bucket_in_order(walked)] <= rank) below += counts[bucket_in_order(walked++)];
      out.push_back({ts, std::clamp(bucket_value(bucket_in_order(walked)), low, high), {}});
    }
    out.front().value = low;
    out.back().value = high;
    if (written < total) {
      std::string& context = out.front().context;
      context = "{\"count\":";
      append_number(context, static_cast<double>(total));
      context += ",\"sum\":";
      append_number(context, sum);
      context += '}';
    }
    return out;
  }
};

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    throw Error(ErrorKind::runtime, "cannot read the host name", "set MonitorOptions::node");
  return host;
}

unsigned shard_count(unsigned wanted) {
  if (wanted == 0) wanted = std::min(16u, std::max(1u, std::thread::hardware_concurrency()));
  return std::bit_ceil(std::min(wanted, 256u));
}

// The text that identifies a series among one Monitor's cells.
void append_key(std::string& key, std::string_view component, std::string_view name) {
  key.assign(component);
  key += '\n';
  key += name;
  key += '\n';
}

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

// What the Monitor records about itself, written with each committed flush.
struct SelfMetrics {
  SeriesSpec flush_ms, dropped, failed;
  std::vector<Sample> durations; // of flushes since the last commit
  std::uint64_t drops = 0;       // samples dropped since the last commit
  std::uint64_t failures = 0;    // flushes failed since the last commit

  explicit SelfMetrics(const std::string& node)
      : flush_ms{{node, "healthctl", "monitor_flush_ms", {}}, MetricType::timer, "ms"},
        dropped{{node, "healthctl", "monitor_dropped", {}}, MetricType::counter, {}},
        failed{{node, "healthctl", "monitor_failed_flushes", {}}, MetricType::counter, {}} {}

  bool any() const { return drops > 0 || failures > 0; }
};

} // namespace

namespace {
// Numbers Monitors for the per-thread caches of inc() by name.
std::atomic<std::uint64_t> g_monitors_made{0};
} // namespace

struct Monitor::Impl {
  MonitorOptions options;
  std::uint64_t number = g_monitors_made.fetch_add(1) + 1; // unique in this process
  std::uint32_t mask;
  pid_t owner = ::getpid();
  std::unique_ptr<Store> store; // used under flush_lock only

  // Cells are made under a unique lock; the drain reads them under a
  // shared one. A cell lives as long as the Monitor.
  mutable std::shared_mutex cells_lock;
  std::vector<std::unique_ptr<Cell>> cells;
  std::unordered_map<std::string, Cell*, KeyHash, std::equal_to<>> by_key;
  std::atomic<std::uint64_t> rejected{0};

  std::mutex flush_lock; // one flush at a time: the thread's or flush()'s
  std::deque<Pending> pending;
  SelfMetrics self;
  std::atomic<std::uint64_t> flushes{0}, failed_flushes{0}, written{0}, dropped{0};
  std::atomic<std::size_t> pending_count{0};

  std::mutex wake_lock;
  std::condition_variable wake;
  bool stopping = false;
  std::unique_ptr<std::thread> thread;

  explicit Impl(MonitorOptions given)
      : options(std::move(given)), mask(shard_count(options.shards) - 1),
        self(options.node) {}

  Cell& cell(std::string_view component, std::string_view name, Labels labels, std::string_view unit,
             MetricType type);
  void drain(Millis now);
  void keep_within_bound();
  void write_pending();
  bool flush_now() noexcept;
  void run();
};

Monitor::Monitor(MonitorOptions options) {
  if (options.node.empty()) options.node = host_name();
  if (auto problem = name_problem("node", options.node)) throw Error(ErrorKind::usage, *problem);
  if (options.flush_every <= std::chrono::milliseconds(0))
    throw Error(ErrorKind::usage, "flush_every must be positive");
  if (options.max_pending == 0 || options.timer_samples < 2)
    throw Error(ErrorKind::usage, "max_pending must be at least 1 and timer_samples at least 2");
  m_impl = std::make_unique<Impl>(std::move(options));
  StoreOptions store;
  store.path = m_impl->options.db;
  store.mode = OpenMode::create;
  store.busy_timeout = m_impl->options.busy_timeout;
  m_impl->store = std::make_unique<Store>(Store::open(store));
  m_impl->thread = std::make_unique<std::thread>([impl = m_impl.get()] { impl->run(); });
}

Monitor::~Monitor() {
  Impl& impl = *m_impl;
  if (::getpid() != impl.owner) {
    // A forked child: the thread does not exist here and the connection is
    // the parent's. Neither is touched; their memory is left to the exit.
    static_cast<void>(impl.thread.release());
    static_cast<void>(impl.store.release());
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(impl.wake_lock);
    impl.stopping = true;
  }
  impl.wake.notify_one();
  impl.thread->join();
  impl.flush_now();
}

void Monitor::Impl::run() {
  auto next = std::chrono::steady_clock::now() + options.flush_every;
  std::unique_lock<std::mutex> lock(wake_lock);
  while (!wake.wait_until(lock, next, [this] { return stopping; })) {
    lock.unlock();
    flush_now();
    lock.lock();
    next += options.flush_every;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + options.flush_every; // a flush that took longer
  }
}

Cell& Monitor::Impl::cell(std::string_view component, std::string_view name, Labels labels,
                          std::string_view unit, MetricType type) {
  SeriesSpec spec{{options.node, std::string(component), std::string(name), std::move(labels)}, type,
                  std::string(unit)};
  if (spec.unit.empty() && type == MetricType::timer) spec.unit = "ms";
  if (auto problem = normalize_labels(spec.key.labels)) throw Error(ErrorKind::usage, *problem);
  if (auto problem = spec_problem(spec)) throw Error(ErrorKind::usage, *problem);
  std::string key;
  append_key(key, component, name);
  key += format_labels(spec.key.labels);

  const std::unique_lock<std::shared_mutex> lock(cells_lock);
  if (const auto found = by_key.find(key); found != by_key.end()) {
    const SeriesSpec& have = found->second->spec;
    if (have.type != type || (!unit.empty() && have.unit != spec.unit))
      throw Error(ErrorKind::usage,
                  series_display_name(component, name, spec.key.labels, NameStyle::path) + " is already a " +
                      std::string(to_string(have.type)) + (have.unit.empty() ? "" : " in " + have.unit) +
                      " in this Monitor");
    return *found->second;
  }
  auto made = std::make_unique<Cell>();
  made->spec = std::move(spec);
  if (type == MetricType::counter) made->counter = std::make_unique<detail::CounterShard[]>(mask + 1);
  if (type == MetricType::timer || type == MetricType::rolling)
    made->timer = std::make_unique<detail::TimerShard[]>(mask + 1);
  Cell& result = *made;
  cells.push_back(std::move(made));
  by_key.emplace(std::move(key), &result);
  return result;
}

Counter Monitor::counter(std::string_view component, std::string_view name, Labels labels,
                         std::string_view unit) {
  Cell& cell = m_impl->cell(component, name, std::move(labels), unit, MetricType::counter);
  return Counter(cell.counter.get(), m_impl->mask);
}

Gauge Monitor::gauge(std::string_view component, std::string_view name, Labels labels,
                     std::string_view unit) {
  Cell& cell = m_impl->cell(component, name, std::move(labels), unit, MetricType::gauge);
  return Gauge(&cell.gauge, &m_impl->rejected);
}

Timer Monitor::timer(std::string_view component, std::string_view name, Labels labels,
                     std::string_view unit) {
  Cell& cell = m_impl->cell(component, name, std::move(labels), unit, MetricType::timer);
  return Timer(cell.timer.get(), m_impl->mask, &m_impl->rejected);
}

Timer Monitor::rolling(std::string_view component, std::string_view name, Labels labels,
                       std::string_view unit) {
  Cell& cell = m_impl->cell(component, name, std::move(labels), unit, MetricType::rolling);
  return Timer(cell.timer.get(), m_impl->mask, &m_impl->rejected);
}

namespace {

// The handles one thread looked up by name, for one Monitor at a time: an
// open-addressing table keyed by (component, name), so a lookup hashes the
// names once and allocates nothing.
class NameCache {
public:
  const Counter* find(std::uint64_t monitor, std::string_view component, std::string_view name) {
    if (monitor != m_monitor) {
      m_entries.assign(16, {});
      m_used = 0;
      m_monitor = monitor;
    }
    for (std::size_t i = hash(component, name) & (m_entries.size() - 1);; i = (i + 1) & (m_entries.size() - 1)) {
      const Entry& entry = m_entries[i];
      if (!entry.used) return nullptr;
      if (entry.component == component && entry.name == name) return &entry.counter;
    }
  }

  void add(std::string_view component, std::string_view name, Counter counter) {
    if (2 * (m_used + 1) > m_entries.size()) grow();
    place({true, std::string(component), std::string(name), counter});
    ++m_used;
  }

private:
  struct Entry {
    bool used = false;
    std::string component, name;
    Counter counter;
  };

  static std::uint64_t hash(std::string_view component, std::string_view name) {
    std::uint64_t h = 0xcbf2'9ce4'8422'2325ULL; // FNV-1a
    for (const char c : component) h = (h ^ static_cast<unsigned char>(c)) * 0x100'0000'01b3ULL;
    h = (h ^ 0xff) * 0x100'0000'01b3ULL;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100'0000'01b3ULL;
    return h ^ (h >> 29);
  }

  void place(Entry entry) {
    std::size_t i = hash(entry.component, entry.name) & (m_entries.size() - 1);
    while (m_entries[i].used) i = (i + 1) & (m_entries.size() - 1);
    m_entries[i] = std::move(entry);
  }

  void grow() {
    std::vector<Entry> old(2 * m_entries.size());
    old.swap(m_entries);
    for (Entry& entry : old)
      if (entry.used) place(std::move(entry));
  }

  std::uint64_t m_monitor = 0;
  std::vector<Entry> m_entries;
  std::size_t m_used = 0;
};

} // namespace

void Monitor::inc(std::string_view component, std::string_view name, std::uint64_t n) {
  thread_local NameCache cache;
  if (const Counter* found = cache.find(m_impl->number, component, name)) {
    found->inc(n);
    return;
  }
  const Counter made = counter(component, name);
  cache.add(component, name, made);
  made.inc(n);
}

void Monitor::Impl::drain(Millis now) {
  const std::shared_lock<std::shared_mutex> lock(cells_lock);
  for (const auto& cell : cells) {
    if (cell->counter) {
      std::uint64_t total = 0;
      for (std::uint32_t i = 0; i <= mask; ++i)
        total += cell->counter[i].value.exchange(0, std::memory_order_relaxed);
      if (total > 0) pending.push_back({&cell->spec, {now, static_cast<double>(total), {}}});
    } else if (cell->timer) {
      TimerInterval interval;
      for (std::uint32_t i = 0; i <= mask; ++i) interval.take(cell->timer[i]);
      for (Sample& sample : interval.samples(now, options.timer_samples))
        pending.push_back({&cell->spec, std::move(sample)});
    } else {
      const std::uint64_t bits = cell->gauge.exchange(detail::k_gauge_unset, std::memory_order_relaxed);
      if (bits != detail::k_gauge_unset) pending.push_back({&cell->spec, {now, std::bit_cast<double>(bits), {}}});
    }
  }
}

void Monitor::Impl::keep_within_bound() {
  while (pending.size() > options.max_pending) {
    pending.pop_front();
    ++self.drops;
    dropped.fetch_add(1, std::memory_order_relaxed);
  }
  if (self.durations.size() > options.max_pending) self.durations.erase(self.durations.begin());
}

// Writes every pending sample and the self-metrics in one transaction, or
// throws and writes nothing. A series the file holds with another type or
// unit cannot take its samples: they are dropped and counted.
void Monitor::Impl::write_pending() {
  sqlite::Transaction transaction(store->handle(), sqlite::TransactionKind::immediate);
  Recorder recorder(*store);
  std::unordered_map<const SeriesSpec*, std::optional<std::int64_t>> ids;
  std::uint64_t refused = 0;
  auto id_of = [&](const SeriesSpec& spec) -> std::optional<std::int64_t> {
    auto [place, fresh] = ids.try_emplace(&spec);
    if (fresh) {
      try {
        place->second = recorder.series_id(spec);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::bad_data) throw;
      }
    }
    return place->second;
  };
  for (const Pending& item : pending) {
    if (auto id = id_of(*item.spec)) recorder.insert(*id, item.sample);
    else ++refused;
  }
  const Millis now = now_ms();
  const std::uint64_t drops = self.drops + refused;
  if (drops > 0) {
    if (auto id = id_of(self.dropped)) recorder.insert(*id, {now, static_cast<double>(drops), {}});
  }
  if (self.failures > 0) {
    if (auto id = id_of(self.failed)) recorder.insert(*id, {now, static_cast<double>(self.failures), {}});
  }
  if (auto id = id_of(self.flush_ms))
    for (const Sample& sample : self.durations) recorder.insert(*id, sample);
  recorder.write_counts();
  transaction.commit();
  const std::uint64_t samples = pending.size() - refused + (drops > 0) + (self.failures > 0) + self.durations.size();
  written.fetch_add(samples, std::memory_order_relaxed);
  dropped.fetch_add(refused, std::memory_order_relaxed);
}

bool Monitor::Impl::flush_now() noexcept {
  if (::getpid() != owner) return false;
  const std::lock_guard<std::mutex> lock(flush_lock);
  const auto start = std::chrono::steady_clock::now();
  const Millis now = now_ms();
  bool committed = false;
  try {
    drain(now);
    keep_within_bound();
    if (pending.empty() && !self.any()) return true; // nothing to write
    write_pending();
    pending.clear();
    self.durations.clear();
    self.drops = 0;
    self.failures = 0;
    flushes.fetch_add(1, std::memory_order_relaxed);
    committed = true;
  } catch (...) {
    ++self.failures;
    failed_flushes.fetch_add(1, std::memory_order_relaxed);
  }
  try {
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    self.durations.push_back({now, took.count(), {}});
  } catch (...) {
  }
  pending_count.store(pending.size(), std::memory_order_relaxed);
  return committed;
}

bool Monitor::flush() noexcept { return m_impl->flush_now(); }

MonitorStats Monitor::stats() const noexcept {
  const Impl& impl = *m_impl;
  MonitorStats stats;
  stats.flushes = impl.flushes.load(std::memory_order_relaxed);
  stats.failed_flushes = impl.failed_flushes.load(std::memory_order_relaxed);
  stats.written_samples = impl.written.load(std::memory_order_relaxed);
  stats.dropped_samples = impl.dropped.load(std::memory_order_relaxed);
  stats.rejected_values = impl.rejected.load(std::memory_order_relaxed);
  stats.pending = impl.pending_count.load(std::memory_order_relaxed);
  return stats;
}

const std::string& Monitor::node() const noexcept { return m_impl->options.node; }

} // namespace health
