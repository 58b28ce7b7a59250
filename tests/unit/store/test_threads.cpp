// The thread contract of store.hpp: one Store per thread, several threads on
// one file at once, as several processes would be. scripts/test also runs
// these under ThreadSanitizer, which reports any state libhealth shares.

#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>
#include <health/summary.hpp>

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <exception>
#include <mutex>
#include <sstream>
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

namespace {

// `series` series interleaved by time, one row each per second, `seconds` of them.
std::string interleaved_rows(int series, int seconds) {
  std::string text = "ts_ms,component,name,type,value\n";
  for (int t = 0; t < seconds; ++t)
    for (int s = 0; s < series; ++s)
      text += std::to_string(t * 1000 + s) + ",app,m" + std::to_string(s) + ",gauge," + std::to_string(t) + "\n";
  return text;
}

health::IngestReport ingest_text(health::Store& store, const std::string& text, std::size_t batch_size) {
  std::istringstream in(text);
  health::IngestOptions options;
  options.format = health::IngestFormat::csv;
  options.default_node = "test-node";
  options.batch_size = batch_size;
  options.rows_in_memory = 64; // many chunks, each written on the Writer's thread
  options.now = 10'000'000;
  return health::ingest(&store, {{"input.csv", &in}}, options);
}

std::int64_t samples_in(health::Store& store) {
  std::int64_t total = 0;
  for (const auto& series : health::list_series(store, {}, health::WithStats::no)) total += series.count;
  return total;
}

} // namespace

TEST_CASE("ingest threads: chunks written on a second thread lose nothing", "[ingest][threads]") {
  test::TempDir dir;
  auto store = open_store(dir.file("ingest.db"), health::OpenMode::create);
  const auto report = ingest_text(store, interleaved_rows(10, 500), 0);
  CHECK(report.samples == 5000);
  CHECK(report.batches == 1);
  CHECK(samples_in(store) == 5000);
  const auto batched = ingest_text(store, interleaved_rows(10, 600), 1000);
  CHECK(batched.samples == 1000);
  CHECK(batched.duplicates == 5000);
  CHECK(batched.batches == 6);
  CHECK(samples_in(store) == 6000);
}

TEST_CASE("ingest threads: an error on either thread writes nothing and says so", "[ingest][threads]") {
  test::TempDir dir;
  auto store = open_store(dir.file("ingest.db"), health::OpenMode::create);
  health::SeriesSpec load = counter("app");
  load.key.name = "m9";
  health::record(store, load, {1, 1, {}}); // a counter: the input's gauge m9 conflicts
  // Found by the Writer, on its thread, in the first chunk that holds m9.
  try {
    ingest_text(store, interleaved_rows(10, 300), 0);
    FAIL("no error");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::bad_data);
    CHECK(std::string(error.what()) == "input.csv:11: series app/m9 on node test-node is a counter, not a gauge");
    CHECK(error.hint() == "nothing was written");
  }
  CHECK(samples_in(store) == 1);

  // A bad row while the Writer writes the chunk before it.
  std::string text = interleaved_rows(5, 300) + "1,app,m0,gauge,oops\n";
  try {
    ingest_text(store, text, 200);
    FAIL("no error");
  } catch (const health::Error& error) {
    CHECK(std::string(error.what()) == "input.csv:1502: value 'oops' is not a finite number");
    CHECK(error.hint() == "1400 samples in 7 batches were committed before this");
  }
  CHECK(samples_in(store) == 1 + 1400);
}
