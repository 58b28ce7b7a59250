// Monitor: the cells behind the handles, and the flush that drains them into
// the database. Handles write relaxed atomics; a flush exchanges each cell
// for its empty value, so an increment or a value set during a flush lands
// in this interval or the next, never in both and never in neither. A
// timer's observation is counted in exactly one interval too; made during a
// flush, its sum and extremes may show in the interval before its count.

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/monitor.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "store/sqlite.hpp"

#include <pthread.h>
#include <signal.h>
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
// share a shard; past 64 live threads numbers are handed out in turn. Every
// Monitor of the process shares this bitmap; it holds no lock, so a fork()
// can never leave it held.
std::atomic<std::uint64_t> g_numbers_taken{0};
std::atomic<std::uint32_t> g_numbers_beyond{0};

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
    value = 64 + g_numbers_beyond.fetch_add(1, std::memory_order_relaxed) % (1u << 30);
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

// One cell's samples of one interval, waiting to be written: kept, written
// and dropped together.
struct Batch {
  const SeriesSpec* spec;
  std::vector<Sample> samples;
};

// The lower bound of the magnitudes in key `key` of a histogram half.
double key_floor(std::size_t key) {
  if (key == 0) return 0;
  return std::bit_cast<double>((key + detail::k_timer_low_key) << (52 - detail::k_timer_sub_bits));
}

// The value a histogram bucket stands for: the middle of its range, and 0
// for the bucket of the smallest magnitudes (zero's).
double bucket_value(std::size_t bucket) {
  const std::size_t key = bucket % k_timer_half;
  if (key == 0) return 0;
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
      const std::uint64_t count = shard.buckets[bucket].exchange(0, std::memory_order_acquire);
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
      const std::uint64_t rank =
          written == total ? i
                           : static_cast<std::uint64_t>((static_cast<long double>(i) + 0.5L) *
                                                        static_cast<long double>(total) /
                                                        static_cast<long double>(written));
      while (below + counts[bucket_in_order(walked)] <= rank) below += counts[bucket_in_order(walked++)];
      out.push_back({ts, std::clamp(bucket_value(bucket_in_order(walked)), low, high), {}});
    }
    out.front().value = low;
    out.back().value = high;
    if (written < total) {
      std::string& context = out.front().context;
      context = "{\"count\":";
      append_number(context, static_cast<double>(total));
      if (std::isfinite(sum)) { // not when a sum of finite values overflowed
        context += ",\"sum\":";
        append_number(context, sum);
      }
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
  if (wanted == 0) wanted = std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  return std::bit_ceil(std::min(wanted, 256u));
}

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

// Numbers Monitors, for the per-thread caches of inc() by name.
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
  std::unordered_map<std::string, Cell*> by_key; // component, name and labels
  std::atomic<std::uint64_t> rejected{0};

  std::mutex flush_lock; // one flush at a time: the thread's or flush()'s
  std::deque<Batch> pending;
  std::size_t pending_samples = 0;
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
  std::vector<Sample> take_interval(Cell& cell, Millis now, std::uint64_t& taken);
  void count_dropped(std::uint64_t samples);
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
  if (options.timer_samples < 2 || options.timer_samples > options.max_pending)
    throw Error(ErrorKind::usage, "timer_samples must be at least 2 and at most max_pending");
  m_impl = std::make_unique<Impl>(std::move(options));
  StoreOptions store;
  store.path = m_impl->options.db;
  store.mode = OpenMode::create;
  store.busy_timeout = m_impl->options.busy_timeout;
  m_impl->store = std::make_unique<Store>(Store::open(store));
  // The thread starts with every signal blocked (a mask it inherits), so
  // signals go to the service's threads and sigwait() keeps working.
  sigset_t all, previous;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    m_impl->thread = std::make_unique<std::thread>([impl = m_impl.get()] { impl->run(); });
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Monitor::~Monitor() {
  Impl& impl = *m_impl;
  if (::getpid() != impl.owner) {
    // A forked child: the thread does not exist here, its condition variable
    // still counts it as a waiter, a lock may be held by it, and the
    // connection is the parent's. Nothing is touched; the memory is left to
    // the child's exit.
    static_cast<void>(m_impl.release());
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
  ::pthread_setname_np(::pthread_self(), "health-monitor");
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
  if (::getpid() != owner)
    throw Error(ErrorKind::runtime, "a Monitor cannot make handles in a forked child",
                "make a new Monitor in the child");
  SeriesSpec spec{{options.node, std::string(component), std::string(name), std::move(labels)}, type,
                  std::string(unit)};
  if (spec.unit.empty() && type == MetricType::timer) spec.unit = "ms";
  if (auto problem = normalize_labels(spec.key.labels)) throw Error(ErrorKind::usage, *problem);
  if (auto problem = spec_problem(spec)) throw Error(ErrorKind::usage, *problem);
  const std::string key = spec.key.component + '\n' + spec.key.name + '\n' + format_labels(spec.key.labels);

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

// The handles one thread looked up by name: an open-addressing table keyed
// by (Monitor number, component, name), so a lookup hashes the names once
// and allocates nothing. Monitor numbers are never reused, so an entry of a
// Monitor that is gone is never found; the table starts over past 4,096
// entries, so such entries cannot pile up.
class NameCache {
public:
  const Counter* find(std::uint64_t monitor, std::string_view component, std::string_view name) const {
    if (m_entries.empty()) return nullptr;
    for (std::size_t i = hash(monitor, component, name);; ++i) {
      const Entry& entry = m_entries[i & (m_entries.size() - 1)];
      if (!entry.used) return nullptr;
      if (entry.monitor == monitor && entry.component == component && entry.name == name) return &entry.counter;
    }
  }

  void add(std::uint64_t monitor, std::string_view component, std::string_view name, Counter counter) {
    if (m_used >= k_most) {
      m_entries.clear();
      m_used = 0;
    }
    if (2 * (m_used + 1) > m_entries.size()) grow();
    place({true, monitor, std::string(component), std::string(name), counter});
    ++m_used;
  }

private:
  static constexpr std::size_t k_most = 4096;

  struct Entry {
    bool used = false;
    std::uint64_t monitor = 0;
    std::string component, name;
    Counter counter;
  };

  static std::size_t hash(std::uint64_t monitor, std::string_view component, std::string_view name) {
    constexpr std::uint64_t k_prime = 0x100'0000'01b3ULL; // FNV-1a
    std::uint64_t h = 0xcbf2'9ce4'8422'2325ULL ^ monitor;
    for (const char c : component) h = (h ^ static_cast<unsigned char>(c)) * k_prime;
    h = (h ^ 0xff) * k_prime;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * k_prime;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }

  void place(Entry entry) {
    std::size_t i = hash(entry.monitor, entry.component, entry.name);
    while (m_entries[i & (m_entries.size() - 1)].used) ++i;
    m_entries[i & (m_entries.size() - 1)] = std::move(entry);
  }

  void grow() {
    std::vector<Entry> old(std::max<std::size_t>(16, 2 * m_entries.size()));
    old.swap(m_entries);
    for (Entry& entry : old)
      if (entry.used) place(std::move(entry));
  }

  std::vector<Entry> m_entries; // a power of two long, at most half used
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
  cache.add(m_impl->number, component, name, made);
  made.inc(n);
}

void Monitor::Impl::drain(Millis now) {
  const std::shared_lock<std::shared_mutex> lock(cells_lock);
  for (const auto& cell : cells) {
    std::uint64_t taken = 0; // samples taken out of the cell, not yet pending
    try {
      Batch batch{&cell->spec, take_interval(*cell, now, taken)};
      if (batch.samples.empty()) continue;
      pending.push_back(std::move(batch));
      pending_samples += taken;
    } catch (...) { // no memory for them
      count_dropped(taken);
    }
  }
}

// Empties one cell: the samples its interval writes, and in `taken` their
// number, set before anything is allocated.
std::vector<Sample> Monitor::Impl::take_interval(Cell& cell, Millis now, std::uint64_t& taken) {
  if (cell.counter) {
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i <= mask; ++i)
      total += cell.counter[i].value.exchange(0, std::memory_order_relaxed);
    if (total == 0) return {};
    taken = 1;
    return {{now, static_cast<double>(total), {}}};
  }
  if (cell.timer) {
    TimerInterval interval;
    for (std::uint32_t i = 0; i <= mask; ++i) interval.take(cell.timer[i]);
    taken = std::min<std::uint64_t>(interval.total, options.timer_samples);
    return interval.samples(now, options.timer_samples);
  }
  const std::uint64_t bits = cell.gauge.exchange(detail::k_gauge_unset, std::memory_order_relaxed);
  if (bits == detail::k_gauge_unset) return {};
  taken = 1;
  return {{now, std::bit_cast<double>(bits), {}}};
}

void Monitor::Impl::count_dropped(std::uint64_t samples) {
  self.drops += samples;
  dropped.fetch_add(samples, std::memory_order_relaxed);
}

// Drops the oldest intervals, whole, until the pending samples fit.
void Monitor::Impl::keep_within_bound() {
  while (pending_samples > options.max_pending) {
    const std::size_t samples = pending.front().samples.size();
    pending.pop_front();
    pending_samples -= samples;
    count_dropped(samples);
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
  auto id_of = [&](const SeriesSpec& spec) -> std::optional<std::int64_t> {
    auto [place, fresh] = ids.try_emplace(&spec);
    if (fresh) {
      try {
        place->second = recorder.series_id(spec);
      } catch (const Error& error) { // a conflict with the stored series, not SQLite's error
        if (error.kind() != ErrorKind::bad_data || error.sqlite_code() != 0) throw;
      }
    }
    return place->second;
  };
  std::uint64_t inserted = 0, refused = 0;
  auto insert = [&](const SeriesSpec& spec, const std::vector<Sample>& samples) {
    const auto id = id_of(spec);
    if (!id) {
      refused += samples.size();
      return;
    }
    for (const Sample& sample : samples) recorder.insert(*id, sample);
    inserted += samples.size();
  };
  for (const Batch& batch : pending) insert(*batch.spec, batch.samples);
  const Millis now = now_ms();
  const std::uint64_t drops = self.drops + refused;
  if (drops > 0) insert(self.dropped, {{now, static_cast<double>(drops), {}}});
  if (self.failures > 0) insert(self.failed, {{now, static_cast<double>(self.failures), {}}});
  if (!self.durations.empty()) insert(self.flush_ms, self.durations);
  recorder.write_counts();
  transaction.commit();
  written.fetch_add(inserted, std::memory_order_relaxed);
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
    pending_samples = 0;
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
  pending_count.store(pending_samples, std::memory_order_relaxed);
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
