// A small service that records from several threads through health::Monitor,
// built against the installed libhealth as a user's service would be. Its
// workers count requests, time them and report a gauge; the Monitor flushes
// in the background and once more when it goes out of scope. Then it reads
// the file back and checks every request was counted.
// Usage: service DATABASE
#include <health/monitor.hpp>
#include <health/summary.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

constexpr int k_workers = 4;
constexpr int k_requests = 2000;

void serve(const health::Counter& requests, const health::Timer& latency, const health::Gauge& busy, int worker) {
  for (int i = 0; i < k_requests; ++i) {
    auto timing = latency.time(); // observes this request's duration in ms
    requests.inc();
    busy.set(worker);
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: service DATABASE\n");
    return 2;
  }
  try {
    {
      health::Monitor monitor({.db = argv[1], .node = "service-1", .flush_every = std::chrono::milliseconds(20)});
      const auto requests = monitor.counter("webserver", "requests", {{"route", "/api"}});
      const auto latency = monitor.timer("webserver", "latency_ms");
      const auto busy = monitor.gauge("webserver", "busy_worker");
      std::vector<std::thread> workers;
      for (int worker = 0; worker < k_workers; ++worker)
        workers.emplace_back(serve, requests, latency, busy, worker);
      for (auto& worker : workers) worker.join();
    } // flushes what is left, then stops the Monitor's thread

    auto store = health::Store::open({argv[1], health::OpenMode::read_only});
    const auto summaries = health::summarize(store, {{"webserver"}, {"requests"}, {}, {}}, {0, health::now_ms() + 1});
    if (summaries.size() != 1 || summaries[0].stats.sum != k_workers * k_requests) {
      std::fprintf(stderr, "service: requests were not all counted\n");
      return 1;
    }
    std::printf("service: %d requests recorded from %d threads\n", k_workers * k_requests, k_workers);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "service: %s\n", error.what());
    return 1;
  }
}
