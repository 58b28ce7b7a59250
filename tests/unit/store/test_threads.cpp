// The thread contract of store.hpp: one Store per thread, several threads on
// one file at once, as several processes would be. scripts/test also runs
// these under ThreadSanitizer, which reports any state libhealth shares.

#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>
#include <health/summary.hpp>

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

health::Store open_store(const std::string& path, health::OpenMode mode) {
  health::StoreOptions options;
  options.path = path;
  options.mode = mode;
  options.busy_timeout = 30 * health::k_second_ms; // a loaded test machine
  return health::Store::open(options);
}

health::SeriesSpec counter(const std::string& component) {
  health::SeriesSpec spec;
  spec.key.node = "test-node";
  spec.key.component = component;
  spec.key.name = "ticks";
  return spec;
}

// Runs `work(i)` on `count` threads at once; rethrows the first failure.
template <typename Work> void run_threads(int count, Work work) {
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex lock;
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] {
      try {
        work(i);
      } catch (...) {
        const std::lock_guard<std::mutex> guard(lock);
        if (!failure) failure = std::current_exception();
      }
    });
  for (auto& thread : threads) thread.join();
  if (failure) std::rethrow_exception(failure);
}

} // namespace

TEST_CASE("store threads: writers and readers with a Store each lose nothing", "[store][threads]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  open_store(path, health::OpenMode::create);

  constexpr int k_writers = 4;
  constexpr int k_readers = 2;
  constexpr int k_samples = 200;
  std::atomic<int> writers_done{0};
  std::atomic<long> reads{0};
  run_threads(k_writers + k_readers, [&](int i) {
    if (i < k_writers) {
      health::Store store = open_store(path, health::OpenMode::read_write);
      for (int n = 0; n < k_samples; ++n)
        health::record(store, counter("writer" + std::to_string(i)), health::Sample{1000 + n, 1.0, {}});
      ++writers_done;
      return;
    }
    // Readers see whole samples only, never more than were written, and
    // their counts never go backwards.
    health::Store store = open_store(path, health::OpenMode::read_only);
    std::int64_t last_total = 0;
    for (bool more = true; more;) {
      more = writers_done.load() < k_writers; // one more read after the last writer
      std::int64_t total = 0;
      for (const auto& series : health::list_series(store, {}, health::WithStats::yes)) total += series.count;
      if (total < last_total || total > k_writers * k_samples) throw std::runtime_error("inconsistent read");
      last_total = total;
      ++reads;
    }
  });

  health::Store store = open_store(path, health::OpenMode::read_only);
  const auto summaries = health::summarize(store, {}, health::TimeRange{0, 1'000'000});
  REQUIRE(summaries.size() == k_writers);
  for (const auto& summary : summaries) CHECK(summary.stats.count == k_samples);
  CHECK(reads.load() > 0);
}

TEST_CASE("store threads: a Store moves to another thread between uses", "[store][threads]") {
  test::TempDir dir;
  health::Store store = open_store(dir.file("health.db"), health::OpenMode::create);
  health::record(store, counter("main"), health::Sample{1, 1.0, {}});
  std::thread other([&store] { health::record(store, counter("main"), health::Sample{2, 1.0, {}}); });
  other.join();
  const auto series = health::list_series(store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 1);
  CHECK(series.front().count == 2);
}
