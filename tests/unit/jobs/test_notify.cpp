#include <health/notify.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

namespace {

constexpr health::Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z
constexpr health::Millis k_hook_timeout = 5 * health::k_second_ms;

health::IssueChange open_issue(health::Store& store, health::Severity severity, health::Millis at,
                               const std::string& metric) {
  return health::report_issue(store, {{"database", metric, {}}, severity, "slow", 1.0, std::nullopt,
                                      health::IssueSource::manual, "test", at});
}

} // namespace

TEST_CASE("notify: hooks get the event as JSON, failures and hangs are recorded and retried", "[notify]") {
  test::StoreFixture f;
  const auto change = open_issue(f.store, health::Severity::critical, k_t0, "query_ms");
  const std::string out = f.dir.file("event.json");
  auto deliveries = health::deliver_events(f.store, "cat > '" + out + "'", {change}, k_hook_timeout, k_t0);
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0].outcome.kind == health::HookOutcome::Kind::delivered);
  std::ifstream in(out);
  const auto payload = nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  CHECK(payload["event"]["kind"] == "opened");
  CHECK(payload["event"]["severity"] == "critical");
  CHECK(payload["issue"]["id"] == change.issue.id);
  CHECK(payload["issue"]["component"] == "database");

  const auto failing = health::run_hook("exit 3", "{}", k_hook_timeout);
  CHECK(failing.kind == health::HookOutcome::Kind::failed);
  CHECK(failing.detail == "exit status 3");
  const auto killed = health::run_hook("kill -9 $$", "{}", k_hook_timeout);
  CHECK(killed.kind == health::HookOutcome::Kind::failed);
  CHECK(killed.detail == "killed by signal 9");
  const auto hanging = health::run_hook("sleep 30", "{}", 300);
  CHECK(hanging.kind == health::HookOutcome::Kind::timeout);
  CHECK(hanging.detail == "timed out after 300ms");
  CHECK(health::run_hook("exec <&-; sleep 0.1", std::string(1 << 20, 'x'), k_hook_timeout).kind ==
        health::HookOutcome::Kind::delivered); // a hook that reads nothing

  // A failed delivery is tried again by the next run, up to the limit.
  const auto second = open_issue(f.store, health::Severity::warning, k_t0 + 1, "errors");
  deliveries = health::deliver_events(f.store, "false", {second}, health::k_second_ms, k_t0 + 2);
  REQUIRE(deliveries.size() == 1);
  deliveries = health::deliver_events(f.store, "false", {}, health::k_second_ms, k_t0 + 3);
  REQUIRE(deliveries.size() == 1); // the retry
  CHECK(deliveries[0].change.event->id == second.event->id);
  health::deliver_events(f.store, "false", {}, health::k_second_ms, k_t0 + 4);
  CHECK(health::deliver_events(f.store, "false", {}, health::k_second_ms, k_t0 + 5).empty()); // 3 attempts made
  CHECK(health::deliver_events(f.store, "true", {}, health::k_second_ms, k_t0 + 6).empty());  // given up
}
