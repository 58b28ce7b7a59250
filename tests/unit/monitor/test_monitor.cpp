// health::Monitor on one thread: what each kind of handle writes per flush,
// validation, a file that refuses a series, a full disk, fork and shutdown.

#include <health/error.hpp>
#include <health/monitor.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include "monitor_checks.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

using Catch::Matchers::Contains;

TEST_CASE_METHOD(test::MonitorFile, "monitor: a counter writes its interval's increment once per flush, and no zero", "[monitor]") {
  health::Monitor monitor(options);
  const auto requests = monitor.counter("webserver", "requests", {{"route", "/api"}});
  requests.inc();
  requests.inc();
  requests.inc(5);
  REQUIRE(monitor.flush());
  REQUIRE(monitor.flush()); // nothing new: nothing written
  requests.inc(2);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "webserver", "requests");
  CHECK(out.values == std::vector<double>{2, 7});
  CHECK(out.type == "counter");
  CHECK(monitor.stats().flushes == 2);
  CHECK(monitor.stats().pending == 0);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a gauge writes the last value set since the previous flush", "[monitor]") {
  health::Monitor monitor(options);
  const auto depth = monitor.gauge("queue", "depth", {}, "count");
  depth.set(1);
  depth.set(-2.5);
  REQUIRE(monitor.flush());
  REQUIRE(monitor.flush());
  depth.set(std::nan(""));
  depth.set(HUGE_VAL);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "queue", "depth");
  CHECK(out.values == std::vector<double>{-2.5});
  CHECK(out.unit == "count");
  CHECK(monitor.stats().rejected_values == 2);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a timer writes each observation up to timer_samples, min and max exact", "[monitor]") {
  health::Monitor monitor(options);
  const auto latency = monitor.timer("db", "query_ms");
  const std::vector<double> observed{0.5, 1, 2, 10, 12, 12.3, 250.3};
  for (double value : observed) latency.observe(value);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "db", "query_ms");
  REQUIRE(out.values.size() == observed.size());
  CHECK(out.type == "timer");
  CHECK(out.unit == "ms");
  CHECK(out.values.front() == 0.5);
  CHECK(out.values.back() == 250.3);
  for (std::size_t i = 0; i < observed.size(); ++i) // the middle of a bucket 1/16 wide
    CHECK(out.values[i] == Approx(observed[i]).epsilon(1.0 / 32));
  for (const auto& context : out.contexts) CHECK(context.empty());
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a timer over timer_samples writes quantiles, and its exact count and sum", "[monitor]") {
  options.timer_samples = 20;
  health::Monitor monitor(options);
  const auto latency = monitor.timer("db", "query_ms");
  for (int i = 1; i <= 1000; ++i) latency.observe(i);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "db", "query_ms");
  REQUIRE(out.values.size() == 20);
  CHECK(out.values.front() == 1);
  CHECK(out.values.back() == 1000);
  CHECK(out.contexts.front() == R"({"count":1000,"sum":500500})");
  // Sample i stands for rank (2i+1)/40 of the interval: 25, 75, ... 975.
  for (std::size_t i = 1; i + 1 < out.values.size(); ++i)
    CHECK(out.values[i] == Approx(25.0 + 50.0 * static_cast<double>(i)).epsilon(1.0 / 16));
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a rolling metric keeps negative values and zero apart", "[monitor]") {
  health::Monitor monitor(options);
  const auto drift = monitor.rolling("clock", "drift", {}, "s");
  for (double value : {-40.0, -3.0, 0.0, 0.0, 3.0}) drift.observe(value);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "clock", "drift");
  CHECK(out.type == "rolling");
  REQUIRE(out.values.size() == 5);
  CHECK(out.values[0] == -40);
  CHECK(out.values[1] == Approx(-3).epsilon(1.0 / 32));
  CHECK(out.values[2] == 0);
  CHECK(out.values[3] == 0);
  CHECK(out.values[4] == 3);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a timer scope observes its lifetime in milliseconds", "[monitor]") {
  health::Monitor monitor(options);
  {
    auto timing = monitor.timer("job", "step_ms").time();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "job", "step_ms");
  REQUIRE(out.values.size() == 1);
  CHECK(out.values[0] >= 20);
  CHECK(out.values[0] < 20'000);
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: name-based inc records into the handle's series", "[monitor]") {
  health::Monitor monitor(options);
  monitor.counter("webserver", "requests").inc(2);
  monitor.inc("webserver", "requests", 3);
  monitor.inc("webserver", "errors");
  REQUIRE(monitor.flush());
  CHECK(test::written(path, "webserver", "requests").values == std::vector<double>{5});
  CHECK(test::written(path, "webserver", "errors").values == std::vector<double>{1});
  REQUIRE_THROWS_AS(monitor.inc("webserver", "bad name"), health::Error);

  // Many names, and a second Monitor on the same thread in between: each
  // lands in its own Monitor's series.
  const std::string other_path = dir.file("other.db");
  health::Monitor other(test::monitor_options(other_path));
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 100; ++i) {
      monitor.inc("names", "n" + std::to_string(i), static_cast<std::uint64_t>(i));
      other.inc("names", "n" + std::to_string(i));
    }
  REQUIRE(monitor.flush());
  REQUIRE(other.flush());
  for (int i = 1; i < 100; ++i) {
    CHECK(test::written(path, "names", "n" + std::to_string(i)).values == std::vector<double>{3.0 * i});
    CHECK(test::written(other_path, "names", "n" + std::to_string(i)).values == std::vector<double>{3});
  }
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: handles and options are checked when made", "[monitor]") {
  health::Monitor monitor(options);
  const auto usage = [](auto&& make, const std::string& message) {
    try {
      make();
      FAIL("no error");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::usage);
      CHECK_THAT(error.what(), Contains(message));
    }
  };
  usage([&] { monitor.counter("web server", "requests"); }, "component");
  usage([&] { monitor.gauge("web", "depth", {{"bad key", "x"}}); }, "label");
  usage([&] { monitor.timer("web", "t", {}, "no spaces"); }, "unit");
  monitor.counter("web", "requests");
  usage([&] { monitor.gauge("web", "requests"); }, "web/requests is already a counter in this Monitor");
  monitor.timer("web", "latency");
  usage([&] { monitor.timer("web", "latency", {}, "s"); }, "is already a timer in ms");
  CHECK_NOTHROW(monitor.timer("web", "latency", {}, "ms"));

  options.node = "bad node";
  usage([&] { health::Monitor bad(options); }, "node");
  options = test::monitor_options(path);
  options.timer_samples = 1;
  usage([&] { health::Monitor bad(options); }, "timer_samples must be at least 2 and at most max_pending");
  options = test::monitor_options(path);
  options.max_pending = 10;
  options.timer_samples = 11;
  usage([&] { health::Monitor bad(options); }, "timer_samples must be at least 2 and at most max_pending");
  options = test::monitor_options(dir.file("missing/folder/../health.db"));
  options.flush_every = std::chrono::milliseconds(0);
  usage([&] { health::Monitor bad(options); }, "flush_every");
}

TEST_CASE("monitor: destruction flushes what was recorded", "[monitor]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  {
    health::Monitor monitor(test::monitor_options(path));
    monitor.counter("app", "starts").inc();
    monitor.gauge("app", "version").set(3);
  }
  CHECK(test::written(path, "app", "starts").values == std::vector<double>{1});
  CHECK(test::written(path, "app", "version").values == std::vector<double>{3});
}

TEST_CASE("monitor: a series the file holds with another type is dropped and counted", "[monitor]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  {
    health::StoreOptions options{path, health::OpenMode::create};
    auto store = health::Store::open(options);
    health::SeriesSpec spec{{"test-node", "web", "requests", {}}, health::MetricType::gauge, {}};
    health::record(store, spec, {health::now_ms(), 1, {}});
  }
  health::Monitor monitor(test::monitor_options(path));
  monitor.counter("web", "requests").inc(4);
  monitor.counter("web", "errors").inc(1);
  REQUIRE(monitor.flush());
  CHECK(test::written(path, "web", "requests").values == std::vector<double>{1});
  CHECK(test::written(path, "web", "errors").values == std::vector<double>{1});
  CHECK(monitor.stats().dropped_samples == 1);
  CHECK(test::written(path, "healthctl", "monitor_dropped").values == std::vector<double>{1});
}

TEST_CASE("monitor: a full disk keeps samples up to max_pending, then drops and counts them", "[monitor]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // The child alone limits the size of the files it writes: every write
    // to the WAL fails with EFBIG, as on a full disk.
    ::close(report[0]);
    auto options = test::monitor_options(path);
    options.max_pending = 4;
    options.timer_samples = 2;
    char line[128] = "monitor not made";
    try {
      health::Monitor monitor(options);
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{};
      ::getrlimit(RLIMIT_FSIZE, &limit);
      const rlimit full{0, limit.rlim_max};
      ::setrlimit(RLIMIT_FSIZE, &full);
      for (int i = 0; i < 10; ++i) monitor.gauge("disk", "g" + std::to_string(i)).set(i);
      const bool first = monitor.flush();
      monitor.gauge("disk", "g0").set(100);
      const bool second = monitor.flush();
      const auto failing = monitor.stats();
      ::setrlimit(RLIMIT_FSIZE, &limit);
      const bool third = monitor.flush();
      const auto after = monitor.stats();
      std::snprintf(line, sizeof line, "%d%d%d %llu %llu %zu %llu %zu", first, second, third,
                    static_cast<unsigned long long>(failing.dropped_samples),
                    static_cast<unsigned long long>(failing.failed_flushes), failing.pending,
                    static_cast<unsigned long long>(after.flushes), after.pending);
    } catch (const std::exception& error) {
      std::snprintf(line, sizeof line, "%s", error.what());
    }
    const ssize_t wrote = ::write(report[1], line, std::strlen(line));
    ::_exit(wrote > 0 ? 0 : 1);
  }
  ::close(report[1]);
  char buffer[128] = {};
  REQUIRE(::read(report[0], buffer, sizeof buffer - 1) > 0);
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Flushes 1 and 2 fail: 10 gauges, then 1 more, kept 4 at a time; the
  // third writes the 4 kept, 7 drops and 2 failures.
  CHECK(std::string(buffer) == "001 7 2 4 1 0");
  CHECK(test::written(path, "healthctl", "monitor_dropped").values == std::vector<double>{7});
  CHECK(test::written(path, "healthctl", "monitor_failed_flushes").values == std::vector<double>{2});
  CHECK(test::written(path, "disk", "g0").values == std::vector<double>{100});
  CHECK(test::written(path, "disk", "g9").values == std::vector<double>{9});
  CHECK(test::written(path, "disk", "g5").values.empty());
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a forked child neither writes nor waits for the parent's thread", "[monitor]") {
  health::Monitor monitor(options);
  const auto events = monitor.counter("app", "events");
  events.inc();
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the thread waits for its interval
  const pid_t child = ::fork();
  if (child == 0) {
    int code = 0;
    {
      health::Monitor* inherited = &monitor; // the child's copy of the parent's Monitor
      events.inc(100);
      if (inherited->flush()) code = 1;
      try {
        inherited->counter("app", "other");
        code = 2;
      } catch (const health::Error& error) {
        if (error.kind() != health::ErrorKind::runtime) code = 3;
      }
      inherited->~Monitor(); // must return at once: no thread to join here
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(monitor.flush());
  CHECK(test::written(path, "app", "events").values == std::vector<double>{1});
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: a file that stays locked drops the oldest intervals whole", "[monitor]") {
  options.busy_timeout = 50;
  options.max_pending = 5;
  options.timer_samples = 3;
  health::Monitor monitor(options);
  const auto latency = monitor.timer("db", "query_ms");
  const auto queries = monitor.counter("db", "queries");
  test::LockHolder holder(path);
  for (int i = 1; i <= 10; ++i) latency.observe(i);
  queries.inc();
  CHECK_FALSE(monitor.flush()); // 3 + 1 samples pending
  for (int i = 11; i <= 20; ++i) latency.observe(i);
  CHECK_FALSE(monitor.flush()); // 7: the first timer interval goes, whole
  CHECK(monitor.stats().pending == 4);
  CHECK(monitor.stats().dropped_samples == 3);
  holder.release();
  REQUIRE(monitor.flush());
  const auto timer = test::written(path, "db", "query_ms");
  CHECK(timer.values.size() == 3);
  CHECK(timer.values.front() == 11);
  CHECK(timer.values.back() == 20);
  CHECK(timer.contexts.front() == R"({"count":10,"sum":155})");
  CHECK(test::written(path, "db", "queries").values == std::vector<double>{1});
  CHECK(test::written(path, "healthctl", "monitor_dropped").values == std::vector<double>{3});
  CHECK(test::written(path, "healthctl", "monitor_failed_flushes").values == std::vector<double>{2});
}

TEST_CASE_METHOD(test::MonitorFile, "monitor: values that are not finite are counted, and a sum that overflows is left out", "[monitor]") {
  options.timer_samples = 2;
  health::Monitor monitor(options);
  const auto big = monitor.rolling("space", "distance");
  big.observe(std::nan(""));
  big.observe(-HUGE_VAL);
  for (int i = 0; i < 5; ++i) big.observe(1e308);
  REQUIRE(monitor.flush());
  const auto out = test::written(path, "space", "distance");
  CHECK(out.values == std::vector<double>{1e308, 1e308});
  CHECK(out.contexts.front() == R"({"count":5})");
  CHECK(monitor.stats().rejected_values == 2);
}

TEST_CASE("monitor: handles made by default record nothing, safely", "[monitor]") {
  test::TempDir dir;
  const std::string path = dir.file("health.db");
  health::Counter counter;
  health::Gauge gauge;
  health::Timer timer;
  counter.inc(5);
  gauge.set(1);
  gauge.set(std::nan(""));
  timer.observe(2);
  { auto timing = timer.time(); }
  health::Monitor monitor(test::monitor_options(path));
  REQUIRE(monitor.flush());
  CHECK(monitor.stats().written_samples == 0);
  CHECK(monitor.stats().rejected_values == 0);
}
