// The hot path of health::Monitor with Google Benchmark, each beside its
// yardsticks: a bare relaxed fetch_add on one std::atomic (the floor; shared
// by the threads when there are two), the same on each thread's own atomic,
// and a mutex-protected std::unordered_map increment (what a naive library
// does).
// scripts/bench runs it and prints the ratios next to their targets.

#include <health/monitor.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

health::Monitor* g_monitor = nullptr;

void floor_fetch_add(benchmark::State& state) {
  static std::atomic<std::uint64_t> value{0};
  for (auto _ : state) value.fetch_add(1, std::memory_order_relaxed);
}

// The floor without sharing: each thread's own atomic, on a line of its own,
// which is what a sharded handle can at best approach.
void floor_own_line(benchmark::State& state) {
  struct alignas(64) Line {
    std::atomic<std::uint64_t> value{0};
  };
  static Line lines[64];
  auto& value = lines[state.thread_index() % 64].value;
  for (auto _ : state) value.fetch_add(1, std::memory_order_relaxed);
}

void naive_map_inc(benchmark::State& state) {
  static std::mutex lock;
  static std::unordered_map<std::string, std::uint64_t> counters;
  const std::string key = "webserver/requests";
  for (auto _ : state) {
    const std::lock_guard<std::mutex> guard(lock);
    ++counters[key];
  }
}

void handle_inc(benchmark::State& state) {
  const auto requests = g_monitor->counter("webserver", "requests", {{"route", "/api"}});
  for (auto _ : state) requests.inc();
}

void name_inc(benchmark::State& state) {
  for (auto _ : state) g_monitor->inc("webserver", "hits");
}

void timer_observe(benchmark::State& state) {
  const auto latency = g_monitor->timer("webserver", "latency_ms");
  double value = 0.25;
  for (auto _ : state) {
    latency.observe(value);
    value = value < 1000 ? value * 1.37 : 0.25; // spread over many buckets
  }
}

void gauge_set(benchmark::State& state) {
  const auto depth = g_monitor->gauge("webserver", "queue_depth");
  double value = 0;
  for (auto _ : state) depth.set(value += 1);
}

BENCHMARK(floor_fetch_add)->Threads(1)->Threads(2);
BENCHMARK(floor_own_line)->Threads(1)->Threads(2);
BENCHMARK(naive_map_inc)->Threads(1)->Threads(2);
BENCHMARK(handle_inc)->Threads(1)->Threads(2);
BENCHMARK(name_inc)->Threads(1)->Threads(2);
BENCHMARK(timer_observe)->Threads(1)->Threads(2);
BENCHMARK(gauge_set)->Threads(1);

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string folder = (std::filesystem::temp_directory_path() / "healthctl-bench-XXXXXX").string();
  if (::mkdtemp(folder.data()) == nullptr) return 1;
  {
    health::MonitorOptions options;
    options.db = folder + "/monitor.db";
    options.node = "bench-1";
    options.flush_every = std::chrono::seconds(1); // flushes run while the loops do
    health::Monitor monitor(options);
    g_monitor = &monitor;
    benchmark::RunSpecifiedBenchmarks();
    g_monitor = nullptr;
  }
  std::filesystem::remove_all(folder);
  benchmark::Shutdown();
  return 0;
}
