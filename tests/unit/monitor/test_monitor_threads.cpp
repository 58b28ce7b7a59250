// health::Monitor under threads: exact sums from many recording threads, a
// flush in the middle of recording, a locked file that must not block the
// callers, and several writers on one file. scripts/test also runs these
// under ThreadSanitizer.

#include <health/monitor.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "monitor_checks.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace {

template <typename Work> void on_threads(int count, Work work) {
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) threads.emplace_back(work, i);
  for (auto& thread : threads) thread.join();
}

} // namespace

TEST_CASE_METHOD(test::MonitorFile, "monitor: increments from 16 threads sum exactly", "[monitor][threads]") {
  health::Monitor monitor(options);
  const auto requests = monitor.counter("web", "requests");
  const auto latency = monitor.timer("web", "latency_ms");
  constexpr int k_threads = 16, k_each = 20'000;
  on_threads(k_threads, [&](int thread) {
    for (int i = 0; i < k_each; ++i) {
      requests.inc();
      if (i % 10 == 0) latency.observe(thread + 1);
    }
  });
  REQUIRE(monitor.flush());
  CHECK(test::written(path, "web", "requests").values == std::vector<double>{k_threads * k_each});
  const auto timer = test::written(path, "web", "latency_ms");
  REQUIRE(timer.values.size() == 128);
  CHECK(timer.values.front() == 1);
  CHECK(timer.values.back() == 16);
  // 2,000 observations of each of 1..16: a sum of 2000 * 136.
  CHECK(timer.contexts.front() == R"({"count":32000,"sum":272000})");
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: flushes while threads record lose nothing", "[monitor][threads]") {
  options.flush_every = std::chrono::milliseconds(2); // the thread flushes too
  std::uint64_t flushes = 0;
  constexpr int k_threads = 4, k_each = 200'000;
  {
    health::Monitor monitor(options);
    const auto requests = monitor.counter("web", "requests");
    std::atomic<int> running{k_threads};
    std::thread flusher([&] {
      while (running.load() > 0) monitor.flush();
    });
    on_threads(k_threads, [&](int) {
      for (int i = 0; i < k_each; ++i) requests.inc();
      running.fetch_sub(1);
    });
    flusher.join();
    flushes = monitor.stats().flushes;
  }
  const auto out = test::written(path, "web", "requests");
  CHECK(out.sum() == double(k_threads) * k_each);
  CHECK(flushes > 0);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: timers and gauges flushed while threads record stay whole and in range", "[monitor][threads]") {
  options.timer_samples = options.max_pending = 1'000'000; // a sample per observation
  constexpr int k_threads = 2, k_each = 20'000;
  {
    health::Monitor monitor(options);
    const auto latency = monitor.timer("web", "latency_ms");
    const auto depth = monitor.gauge("web", "depth");
    std::atomic<int> running{k_threads};
    std::thread flusher([&] {
      while (running.load() > 0) monitor.flush();
    });
    on_threads(k_threads, [&](int) {
      for (int i = 0; i < k_each; ++i) {
        latency.observe(i % 100 + 1);
        depth.set(i % 7);
        if (i % 1000 == 0) std::this_thread::yield();
      }
      running.fetch_sub(1);
    });
    flusher.join();
  }
  const auto timer = test::written(path, "web", "latency_ms");
  CHECK(timer.values.size() == std::size_t{k_threads} * k_each);
  // Whole: every observation written once. In range: the extremes are
  // exact, but an observation caught by a flush between taking its extremes
  // and its bucket leaves the next interval its bucket alone, whose value
  // is within the bucket's width (a few percent) of it.
  const auto [lowest, highest] = std::minmax_element(timer.values.begin(), timer.values.end());
  CHECK(*lowest == Approx(1).epsilon(0.05));
  CHECK(*lowest <= 1);
  CHECK(*highest == Approx(100).epsilon(0.05));
  CHECK(*highest >= 100);
  const auto gauge = test::written(path, "web", "depth");
  REQUIRE_FALSE(gauge.values.empty());
  CHECK(gauge.values.front() >= 0);
  CHECK(gauge.values.back() <= 6);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a file locked by another process delays the flush, never the callers", "[monitor][threads]") {
  options.busy_timeout = 300;
  health::Monitor monitor(options);
  const auto requests = monitor.counter("web", "requests");
  test::LockHolder holder(path);
  requests.inc(); // something to write

  auto flushed = std::async(std::launch::async, [&] { return monitor.flush(); });
  std::uint64_t during = 0; // increments made while the flush waits for the lock
  while (flushed.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    requests.inc();
    ++during;
  }
  CHECK_FALSE(flushed.get());
  CHECK(during > 1000);
  CHECK(monitor.stats().failed_flushes == 1);

  holder.release();
  requests.inc();
  REQUIRE(monitor.flush());
  CHECK(test::written(path, "web", "requests").sum() == double(during + 2));
  CHECK(test::written(path, "healthctl", "monitor_failed_flushes").values == std::vector<double>{1});
  CHECK(test::written(path, "healthctl", "monitor_flush_ms").values.size() == 1);
}

TEST_CASE("monitor: two Monitors and a record() writer share one file", "[monitor][threads]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  { const auto made = health::Store::open({path, health::OpenMode::create}); }
  constexpr int k_rounds = 50, k_each = 1000;
  on_threads(3, [&](int writer) {
    if (writer == 2) {
      auto store = health::Store::open({path, health::OpenMode::read_write, 30 * health::k_second_ms});
      const health::SeriesSpec spec{{"test-node", "cli", "runs", {}}, health::MetricType::counter, {}};
      for (int round = 0; round < k_rounds; ++round) health::record(store, spec, {health::now_ms(), 1, {}});
      return;
    }
    health::Monitor monitor(test::monitor_options(path));
    const auto requests = monitor.counter("web", "requests");
    for (int round = 0; round < k_rounds; ++round) {
      for (int i = 0; i < k_each; ++i) requests.inc();
      monitor.flush();
    }
  });
  CHECK(test::written(path, "web", "requests").sum() == 2.0 * k_rounds * k_each);
  CHECK(test::written(path, "cli", "runs").sum() == k_rounds);
}
