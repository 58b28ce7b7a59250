#include <health/backup.hpp>
#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/issues.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

namespace fs = std::filesystem;
using health::k_day_ms;
using health::k_minute_ms;
using health::Millis;

namespace {

constexpr Millis k_now = 1736899200000; // 2025-01-15T00:00:00Z

struct Fixture : test::StoreFixture {
  void sample(Millis ts, double value, const std::string& name = "g") {
    health::SeriesSpec spec;
    spec.key = {"node-1", "db", name, {}};
    spec.type = health::MetricType::gauge;
    health::record(store, spec, {ts, value, {}});
  }

  // `count` samples of 4 series, one a minute each, ending at k_now.
  // `count` samples over 4 series, a minute apart, ending at k_now; values
  // end in `fraction`, so a second call with another one adds samples
  // instead of repeating them (which ingest skips).
  void bulk(int count, const char* fraction = ".25") {
    std::string lines;
    for (int i = 0; i < count; ++i)
      lines += std::to_string(k_now - (count / 4 - i / 4) * k_minute_ms) + ",db,s" + std::to_string(i % 4) +
               ",gauge," + std::to_string(i % 1000) + fraction + "\n";
    std::istringstream in("ts_ms,component,name,type,value\n" + lines);
    health::IngestOptions options;
    options.format = health::IngestFormat::csv;
    options.default_node = "node-1";
    options.now = k_now;
    health::ingest(&store, {{"bulk", &in}}, options);
  }

  std::vector<Millis> times() {
    std::vector<Millis> out;
    health::scan_samples(store, {}, {0, k_now + k_day_ms}, [&](const health::SampleRow& row) { out.push_back(row.ts); });
    return out;
  }

  health::CleanupOptions options(Millis retention) const {
    health::CleanupOptions out;
    out.now = k_now;
    out.retention_ms = retention;
    return out;
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777U;
}

} // namespace

TEST_CASE("cleanup: exactly what is older than the cutoff goes", "[cleanup]") {
  Fixture f;
  const Millis cutoff = k_now - 30 * k_day_ms;
  for (const Millis ts : {cutoff - 1, cutoff, cutoff + 1, k_now}) f.sample(ts, 1);
  const auto report = health::cleanup(f.store, f.options(30 * k_day_ms));
  CHECK(report.samples_removed == 1);
  CHECK(report.cutoff == cutoff);
  CHECK(f.times() == std::vector<Millis>{cutoff, cutoff + 1, k_now});
}

TEST_CASE("cleanup: a dry run counts and changes nothing", "[cleanup]") {
  Fixture f;
  f.bulk(4000);
  const std::string before = slurp(f.store.path());
  auto options = f.options(500 * k_minute_ms); // 500 minutes x 4 series stay
  options.dry_run = true;
  const auto report = health::cleanup(f.store, options);
  CHECK(report.samples_removed == 2000);
  CHECK(slurp(f.store.path()) == before);
  CHECK(f.times().size() == 4000);
  options.dry_run = false;
  CHECK(health::cleanup(f.store, options).samples_removed == 2000); // as predicted
}

TEST_CASE("cleanup: --max-size removes the oldest first until the file fits", "[cleanup]") {
  Fixture f;
  f.bulk(200000);
  health::cleanup(f.store, f.options(365 * k_day_ms)); // folds the WAL in: the file at its full size
  const auto before = fs::file_size(f.store.path()) + fs::file_size(f.store.path() + "-wal");
  REQUIRE(before > 4000000);
  const auto times = f.times();
  const Millis newest = *std::max_element(times.begin(), times.end());
  auto options = f.options(365 * k_day_ms); // retention removes nothing
  options.max_bytes = before / 2;
  options.batch_rows = 2000;
  const auto report = health::cleanup(f.store, options);
  CHECK(report.size_limit_met);
  CHECK(report.bytes_after <= before / 2);
  CHECK(fs::file_size(f.store.path()) <= before / 2);
  CHECK(report.samples_removed > 0);
  const auto left = f.times();
  CHECK(left.size() == 200000 - report.samples_removed);
  CHECK(*std::min_element(left.begin(), left.end()) >= report.cutoff); // the oldest went
  CHECK(*std::max_element(left.begin(), left.end()) == newest);       // the newest stayed
  CHECK(report.batches > 1);
}

TEST_CASE("cleanup: resolved issues past their retention go with their events", "[cleanup]") {
  Fixture f;
  health::IssueReport old_issue;
  old_issue.key = {"db", "old", {}};
  old_issue.reason = "r";
  old_issue.at = k_now - 100 * k_day_ms;
  const auto old_id = health::report_issue(f.store, old_issue).issue.id;
  health::resolve_issue(f.store, old_id, "", "", k_now - 99 * k_day_ms);
  auto recent = old_issue;
  recent.key.metric = "recent";
  const auto recent_id = health::report_issue(f.store, recent).issue.id; // still active
  auto options = f.options(30 * k_day_ms);
  options.issues_retention_ms = 90 * k_day_ms;
  CHECK(health::cleanup(f.store, options).issues_removed == 1);
  CHECK_THROWS_AS(health::get_issue(f.store, old_id), health::Error);
  CHECK(health::get_issue(f.store, recent_id).events.size() == 1);
}

TEST_CASE("cleanup: sizes parse with units", "[cleanup]") {
  CHECK(health::parse_size("100MB") == 100ULL << 20);
  CHECK(health::parse_size("100") == 100ULL << 20);
  CHECK(health::parse_size("2gb") == 2ULL << 30);
  CHECK(health::parse_size("512K") == 512ULL << 10);
  CHECK(health::parse_size("4096B") == 4096);
  for (const char* bad : {"", "MB", "-1MB", "1.5MB", "0", "10TB", "99999999999999999999"})
    CHECK_THROWS_WITH(health::parse_size(bad), "invalid size '" + std::string(bad) + "'");
}

TEST_CASE("backup: a checked file of ours, mode 0600, never over another", "[backup]") {
  Fixture f;
  f.bulk(1000);
  const std::string dir = f.dir.file("backups");
  const auto first = health::create_backup(f.store, dir, k_now, "node-1");
  CHECK(first.file.name == "health-20250115T000000Z.db");
  CHECK(mode_of(first.file.path) == 0600U);
  CHECK(mode_of(dir) == 0700U);
  CHECK(first.check.ok);
  CHECK(first.check.samples == 1000);
  const auto second = health::create_backup(f.store, dir, k_now, "node-1");
  CHECK(second.file.name == "health-20250115T000000Z-2.db");
  CHECK(second.check.samples == 1002); // the first backup's own metrics
  const auto listed = health::list_backups(dir, health::backup_owner(f.store));
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == second.file.name); // newest first
  CHECK(health::find_backup(dir, health::backup_owner(f.store), k_now).name == second.file.name);
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  const auto status = health::backup_status(f.store);
  REQUIRE(status.last_success);
  CHECK(status.last_success->path == second.file.path);
  CHECK(status.attempts == 0); // the log is by the clock: these were taken "in 2025"
}

TEST_CASE("backup: prune keeps the recent and the newest, and never touches other files", "[backup]") {
  Fixture f;
  const std::string dir = f.dir.file("backups");
  for (int day : {40, 35, 20, 1}) health::create_backup(f.store, dir, k_now - day * k_day_ms, "node-1");
  for (const char* foreign : {"notes.txt", "health-foo.db", "health-20200101T000000Z.db.bak", "other.db"})
    std::ofstream(dir + "/" + foreign) << "keep me";
  auto result = health::prune_backups(dir, health::backup_owner(f.store), 30 * k_day_ms, 1, k_now, true);
  CHECK(result.removed.size() == 2);
  CHECK(fs::exists(result.removed[0].path)); // a dry run
  result = health::prune_backups(dir, health::backup_owner(f.store), 30 * k_day_ms, 1, k_now, false);
  REQUIRE(result.removed.size() == 2);
  CHECK(result.removed[0].taken_at == k_now - 35 * k_day_ms);
  CHECK(result.removed[1].taken_at == k_now - 40 * k_day_ms);
  CHECK(health::list_backups(dir, health::backup_owner(f.store)).size() == 2);
  for (const char* foreign : {"notes.txt", "health-foo.db", "health-20200101T000000Z.db.bak", "other.db"})
    CHECK(fs::exists(dir + "/" + foreign));
  // keep-last protects the newest even when every file is old.
  result = health::prune_backups(dir, health::backup_owner(f.store), k_day_ms, 1, k_now + 100 * k_day_ms, false);
  CHECK(result.kept.size() == 1);
  CHECK(result.kept[0].taken_at == k_now - k_day_ms);
}

TEST_CASE("backup: restore round trip, with a safety copy", "[backup]") {
  Fixture f;
  f.bulk(400);
  const std::string dir = f.dir.file("backups");
  const auto backup = health::create_backup(f.store, dir, k_now, "node-1");
  f.bulk(400, ".5"); // the same times again, other values: now twice the samples
  health::StoreOptions live;
  live.path = f.store.path();
  const auto result = health::restore_backup(live, backup.file.path, dir, k_now + 1000, "node-1");
  CHECK(result.schema_version == health::latest_schema_version());
  CHECK_FALSE(result.migrated);
  CHECK(health::check_backup(result.safety_copy).samples == 802);
  // Our connection sees the restored file: the backup's samples and metrics.
  CHECK(f.times().size() == 400);
}

TEST_CASE("backup: truncated, corrupt, foreign and newer backups are refused, the live file untouched",
          "[backup]") {
  Fixture f;
  f.bulk(20000);
  const std::string dir = f.dir.file("backups");
  const auto good = health::create_backup(f.store, dir, k_now, "node-1").file.path;
  const std::string bytes = slurp(good);

  const std::string truncated = f.dir.file("truncated.db");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string corrupt = f.dir.file("corrupt.db");
  std::string damaged = bytes;
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8192; ++i) damaged[i] = static_cast<char>(0x5a);
  std::ofstream(corrupt, std::ios::binary) << damaged;
  const std::string newer = f.dir.file("newer.db");
  fs::copy_file(good, newer);
  // Marked as written by a future healthctl.
  REQUIRE(std::system(("sqlite3 '" + newer + "' \"INSERT INTO schema_version VALUES (99, 'future', 0)\"").c_str()) == 0);
  const std::string foreign = f.dir.file("foreign.db");
  REQUIRE(std::system(("sqlite3 '" + foreign + "' 'CREATE TABLE t(x)'").c_str()) == 0);

  health::StoreOptions live;
  live.path = f.store.path();
  const std::string before = slurp(live.path) + slurp(live.path + "-wal");
  for (const auto& [path, problem] : std::vector<std::pair<std::string, std::string>>{
           {truncated, "it "}, {corrupt, "it "}, {newer, "its schema version 99 is newer"},
           {foreign, "it is not a healthctl database"}}) {
    INFO(path);
    try {
      health::restore_backup(live, path, dir, k_now + 1, "node-1");
      FAIL("restored");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::bad_data);
      CHECK_THAT(std::string(error.what()), Catch::Contains("refusing to restore " + path + ": " + problem));
    }
    CHECK(slurp(live.path) + slurp(live.path + "-wal") == before);
  }
  CHECK(health::list_backups(dir, health::backup_owner(f.store)).size() == 1); // no safety copy was needed
  CHECK_THROWS_AS(health::restore_backup(live, f.dir.file("missing.db"), dir, k_now, "node-1"), health::Error);
}

TEST_CASE("backup: temp files of killed backups go after an hour, nothing else does", "[backup]") {
  test::StoreFixture f;
  const std::string dir = f.dir.file("backups");
  fs::create_directories(dir);
  const auto make = [&](const std::string& name, std::chrono::minutes age) {
    const std::string path = (fs::path(dir) / name).string();
    std::ofstream(path) << "partial";
    fs::last_write_time(path, fs::file_time_type::clock::now() - age);
    return path;
  };
  const auto stale = make(".health-20250115T103000Z.db.tmp-a1B2c3", std::chrono::minutes(61));
  const auto stale_copy = make(".health-20250115T103000Z-pre-restore.db.tmp-XyZ123", std::chrono::minutes(300));
  const auto stale_journal = make(".health-20250115T103000Z.db.tmp-a1B2c3-journal", std::chrono::minutes(61));
  const auto fresh = make(".health-20250115T103001Z.db.tmp-d4E5f6", std::chrono::minutes(5)); // in progress
  const auto foreign = make(".notes.db.tmp-a1B2c3", std::chrono::minutes(600));
  const auto other = make("health-notes.tmp-a1B2c3", std::chrono::minutes(600));

  CHECK(health::remove_stale_backup_temps(dir) == 3);
  CHECK_FALSE(fs::exists(stale));
  CHECK_FALSE(fs::exists(stale_journal));
  CHECK_FALSE(fs::exists(stale_copy));
  CHECK(fs::exists(fresh));
  CHECK(fs::exists(foreign));
  CHECK(fs::exists(other));

  // create and prune sweep them too.
  const auto again = make(".health-20250115T103002Z.db.tmp-g7H8i9", std::chrono::minutes(120));
  health::create_backup(f.store, dir, health::now_ms(), "test-node");
  CHECK_FALSE(fs::exists(again));
  const auto once_more = make(".health-20250115T103003Z.db.tmp-j1K2l3", std::chrono::minutes(120));
  health::prune_backups(dir, health::backup_owner(f.store), 30 * k_day_ms, 1, health::now_ms(), false);
  CHECK_FALSE(fs::exists(once_more));
  CHECK(fs::exists(fresh));
}
