// maintain's policy in the library: the backup-due rule, the exit code, the
// steps run in order with their metrics, and a failed step that does not
// stop the next.

#include <health/jobs.hpp>
#include <health/query.hpp>
#include <health/render.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace {

using health::k_day_ms;
using health::Millis;

health::MaintainOptions options_in(const test::TempDir& dir) {
  health::MaintainOptions options;
  options.node = "test-node";
  options.cleanup.now = health::now_ms();
  options.backup_dir = dir.file("backups");
  return options;
}

// The series healthctl/`metric`{step=`step`} with its count and last value.
health::SeriesInfo step_series(health::Store& store, const std::string& metric, const std::string& step) {
  health::SeriesFilter filter;
  filter.components = {"healthctl"};
  filter.metrics = {metric};
  filter.labels = {{"step", step}};
  const auto series = health::list_series(store, filter, health::WithStats::yes);
  return series.empty() ? health::SeriesInfo{} : series.front();
}

} // namespace

TEST_CASE("maintain: a backup is due without a success, or an interval after the last one", "[maintain]") {
  health::BackupStatus status;
  CHECK(health::backup_due(status, 10 * k_day_ms, k_day_ms).due);
  status.last_success = health::BackupLogEntry{"create", 9 * k_day_ms, "a.db", true, 0, std::nullopt, ""};
  const auto not_yet = health::backup_due(status, 10 * k_day_ms - 1, k_day_ms);
  CHECK_FALSE(not_yet.due);
  CHECK(not_yet.last_success == 9 * k_day_ms);
  CHECK(health::backup_due(status, 10 * k_day_ms, k_day_ms).due); // exactly one interval later
}

TEST_CASE("maintain: the exit code is 0 when every step ran, 1 when one failed, whatever the health",
          "[maintain]") {
  health::MaintainReport report;
  report.check = health::CheckResult{};
  report.status = health::HealthStatus::critical;
  report.steps = {{"check", true, "", 1}, {"cleanup", true, "", 1}};
  CHECK(health::maintain_exit_code(report) == 0);
  report.steps.push_back({"backup", false, "disk full", 1});
  CHECK(health::maintain_exit_code(report) == 1);
}

TEST_CASE("maintain: every step runs in order, is recorded, and a backup is taken once", "[maintain]") {
  test::StoreFixture f;
  auto options = options_in(f.dir);
  const auto first = health::run_maintain(f.store, options);
  REQUIRE(first.steps.size() == 4);
  CHECK(first.steps[0].name == "check");
  CHECK(first.steps[3].name == "prune");
  for (const auto& step : first.steps) CHECK(step.ok);
  CHECK(first.warnings.empty());
  CHECK(first.status == health::HealthStatus::healthy);
  REQUIRE(first.backup);
  CHECK(first.backup->due);
  CHECK(std::filesystem::exists(first.backup_created));
  CHECK(health::maintain_exit_code(first) == 0);

  const auto second = health::run_maintain(f.store, options);
  REQUIRE(second.backup);
  CHECK_FALSE(second.backup->due); // the first run's backup is recent
  CHECK(second.backup_created.empty());
  CHECK(step_series(f.store, "maintain_step_ms", "backup").count == 2);
  const auto failures = step_series(f.store, "maintain_step_failures", "check");
  CHECK(failures.count == 2);
  CHECK(failures.last_value == 0.0);

  const std::string text = health::render_maintain(second);
  CHECK_THAT(text, Catch::StartsWith("check: healthy, 0 thresholds, 0 changes ("));
  CHECK_THAT(text, Catch::Contains("\nbackup: not due (last "));
  CHECK_THAT(text, Catch::Contains("\nprune: removed 0, kept 1 ("));

  const auto json = nlohmann::json::parse(health::render_maintain(second, health::Format::json));
  CHECK(json["ok"] == true);
  REQUIRE(json["steps"].size() == 4);
  CHECK(json["steps"][2]["name"] == "backup");
  CHECK(json["steps"][2]["error"].is_null());
  CHECK(json["check"]["status"] == "healthy");
  CHECK(json["cleanup"]["samples_removed"] == 0);
  CHECK(json["backup"]["due"] == false);
  CHECK(json["backup"]["created"].is_null());
  CHECK(json["prune"]["kept"] == 1);
  CHECK(json["warnings"].empty());
  CHECK_THROWS_WITH(health::render_maintain(second, health::Format::csv), "a maintain run has no csv form");
}

TEST_CASE("maintain: a failed step is reported and the next one still runs", "[maintain]") {
  test::StoreFixture f;
  auto options = options_in(f.dir);
  // The backup folder cannot be made: a file stands where it should be.
  std::ofstream(options.backup_dir) << "not a folder";
  std::vector<std::string> seen; // as they happen
  options.on_warning = [&seen](const std::string& warning) { seen.push_back(warning); };
  const auto report = health::run_maintain(f.store, options);
  CHECK(seen == report.warnings);
  REQUIRE(report.steps.size() == 4);
  CHECK(report.steps[1].ok); // cleanup ran before
  CHECK_FALSE(report.steps[2].ok);
  CHECK(report.steps[2].name == "backup");
  CHECK(report.steps[3].name == "prune"); // and prune still ran after
  REQUIRE_FALSE(report.warnings.empty());
  CHECK_THAT(report.warnings.front(), Catch::StartsWith("maintain step backup failed: "));
  CHECK(health::maintain_exit_code(report) == 1);
  const auto failures = step_series(f.store, "maintain_step_failures", "backup");
  CHECK(failures.count == 1);
  CHECK(failures.last_value == 1.0);
  CHECK_THAT(health::render_maintain(report), Catch::Contains("\nbackup: failed: "));
  const auto json = nlohmann::json::parse(health::render_maintain(report, health::Format::json));
  CHECK(json["ok"] == false);
  CHECK(json["steps"][2]["ok"] == false);
  CHECK(json["backup"].is_null());
  CHECK_FALSE(json["warnings"].empty());
}
