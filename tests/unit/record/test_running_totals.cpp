// RunningTotals on its own: how a total lower than the last one is taken
// under each Decreases rule (Prometheus' restart, collect's restart or
// jitter), and the total kept for the next run.

#include <health/recorder.hpp>

#include "record/running_totals.hpp"
#include "store/sqlite.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <utility>
#include <vector>

namespace {

using health::Decreases;
using health::Millis;
using health::TotalTaken;

constexpr Millis k_t0 = 1'700'000'000'000;
constexpr Millis k_minute = 60'000;

// A counter series, and a function that gives it totals one run (one
// transaction, one RunningTotals) at a time.
struct Counter {
  test::StoreFixture db;
  std::int64_t id = 0;

  Counter() {
    health::Recorder recorder(db.store);
    id = recorder.series_id({{"node-1", "system", "cpu_iowait_seconds", {}}, health::MetricType::counter, "s"});
  }

  TotalTaken take(Millis at, double total, Decreases decreases) {
    health::sqlite::Transaction transaction(db.store.handle(), health::sqlite::TransactionKind::immediate);
    health::Recorder recorder(db.store);
    health::RunningTotals totals(db.store, recorder, decreases);
    const auto taken = totals.add(id, at, total);
    totals.save();
    recorder.write_counts();
    transaction.commit();
    return taken;
  }

  double kept_total() {
    health::sqlite::Statement query(db.store.handle(), "SELECT scraped_total FROM series WHERE id = ?1");
    REQUIRE(query.bind(1, id).step());
    return query.real(0);
  }
};

const Decreases k_host{Decreases::Rule::restart_or_jitter, std::nullopt};

} // namespace

TEST_CASE("running totals: by default any decrease, however small, is a restart, as Prometheus' counters reset") {
  Counter counter;
  CHECK(counter.take(k_t0, 100, {}).outcome == TotalTaken::Outcome::started);
  const auto taken = counter.take(k_t0 + k_minute, 99, {});
  CHECK(taken.outcome == TotalTaken::Outcome::recorded);
  CHECK(taken.increment == 99);
  CHECK(counter.kept_total() == 99);
}

TEST_CASE("running totals: with restart_or_jitter a small decrease records 0 and keeps the higher total") {
  Counter counter;
  counter.take(k_t0, 100, k_host);
  auto taken = counter.take(k_t0 + k_minute, 95, k_host);
  CHECK(taken.outcome == TotalTaken::Outcome::recorded);
  CHECK(taken.increment == 0);
  CHECK(counter.kept_total() == 100);
  // Counted from the higher total, not from 95: those 5 are not counted twice.
  CHECK(counter.take(k_t0 + 2 * k_minute, 110, k_host).increment == 10);
  // Exactly half is still jitter; under half is a restart.
  CHECK(counter.take(k_t0 + 3 * k_minute, 55, k_host).increment == 0);
  CHECK(counter.take(k_t0 + 4 * k_minute, 54, k_host).increment == 54);
  CHECK(counter.kept_total() == 54);
}

TEST_CASE("running totals: with restart_or_jitter a small decrease after the source started again is a restart") {
  Counter counter;
  counter.take(k_t0, 100, k_host);
  const Decreases booted{Decreases::Rule::restart_or_jitter, k_t0 + 10'000}; // booted after the last total
  CHECK(counter.take(k_t0 + k_minute, 95, booted).increment == 95);
  const Decreases up_long{Decreases::Rule::restart_or_jitter, k_t0 - k_minute}; // up since before it
  CHECK(counter.take(k_t0 + 2 * k_minute, 90, up_long).increment == 0);
  CHECK(counter.kept_total() == 95);
}
