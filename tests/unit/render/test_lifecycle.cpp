#include <health/render.hpp>

#include <catch2/catch.hpp>

using health::Millis;

namespace {

constexpr Millis k_t0 = 1736899200000; // 2025-01-15T00:00:00Z

} // namespace

TEST_CASE("backups: the status json with entries missing and a success rate", "[render]") {
  health::BackupStatus status;
  health::BackupLogEntry failed{"create", k_t0, "/b", false, 12, std::nullopt, "disk full"};
  status.last_backup = failed;
  status.attempts = 3;
  status.successes = 2;
  CHECK(health::render_backup_status(status, "/b", 2, health::Format::json) ==
        R"({"backup_dir":"/b","last_backup":{"at":"2025-01-15T00:00:00.000Z","path":"/b","ok":false,)"
        R"("duration_ms":12,"bytes":null,"detail":"disk full"},"last_success":null,"last_verified":null,)"
        R"("attempts_30d":3,"successes_30d":2,"success_rate":0.6666666666666666,"backups":2})"
        "\n");
  CHECK_THAT(health::render_backup_status(status, "/b", 2, health::Format::text),
             Catch::Contains("last backup:    2025-01-15T00:00:00.000Z /b (failed: disk full)\n"
                             "last success:   never\n"));
}

TEST_CASE("backups: a list in json, and prune in words", "[render]") {
  health::CheckedBackup bad{
      {"/b/health-20250115T000000Z.db", "health-20250115T000000Z.db", k_t0, 4096, health::BackupKind::backup, ""},
      {}};
  bad.check.problem = "it fails integrity_check";
  health::CheckedBackup copy{{"/b/health-20250115T000000Z-pre-restore.db", "health-20250115T000000Z-pre-restore.db",
                              k_t0, 8192, health::BackupKind::pre_restore, "16de8565-76c8-4115-a717-3a60d46826df"},
                             {}};
  copy.check.ok = true;
  copy.check.schema_version = 5;
  copy.check.samples = 10;
  CHECK(health::render_backups({copy, bad}, health::Format::json) ==
        R"([{"name":"health-20250115T000000Z-pre-restore.db","path":"/b/health-20250115T000000Z-pre-restore.db",)"
        R"("kind":"pre-restore","database_id":"16de8565-76c8-4115-a717-3a60d46826df",)"
        R"("taken_at":"2025-01-15T00:00:00.000Z","bytes":8192,"schema_version":5,"samples":10,"ok":true,)"
        R"("problem":""},)"
        R"({"name":"health-20250115T000000Z.db","path":"/b/health-20250115T000000Z.db","kind":"backup",)"
        R"("database_id":null,"taken_at":"2025-01-15T00:00:00.000Z","bytes":4096,"schema_version":0,)"
        R"("samples":null,"ok":false,"problem":"it fails integrity_check"}])"
        "\n");
  CHECK_THAT(health::render_backups({copy, bad}, health::Format::table),
             Catch::Contains("health-20250115T000000Z-pre-restore.db  pre-restore  2025-01-15T00:00:00.000Z"));
  health::PruneResult prune;
  prune.removed = {bad.file};
  prune.kept = {bad.file};
  CHECK(health::render_prune(prune, health::DryRun::yes) ==
        "would remove /b/health-20250115T000000Z.db\nwould keep 1 backup\n");
}

TEST_CASE("cleanup: json keys in order, text for a dry run", "[render]") {
  health::CleanupReport report;
  report.cutoff = k_t0;
  report.samples_removed = 5;
  report.bytes_before = 3 * 1024 * 1024;
  CHECK(health::render_cleanup(report, health::DryRun::yes, health::Format::json) ==
        R"({"dry_run":true,"cutoff":"2025-01-15T00:00:00.000Z","samples_removed":5,"issues_removed":0,)"
        R"("bytes_before":3145728,"bytes_after":0,"batches":0,"longest_lock_ms":0,"size_limit_met":true})"
        "\n");
  CHECK(health::render_cleanup(report, health::DryRun::yes, health::Format::text) ==
        "would remove 5 samples older than 2025-01-15T00:00:00.000Z and 0 resolved issues; the file is 3 MB\n");
}

TEST_CASE("progress: a percentage with a total, a count without, seconds for work that counts nothing",
          "[render]") {
  CHECK(health::render_progress("ingest", {"reading", 512 * 1024, 2 * 1024 * 1024, true}, 0) ==
        "healthctl: ingest: reading 25% (0.5 MB of 2 MB)");
  CHECK(health::render_progress("ingest", {"reading", 3 * 1024 * 1024, 0, true}, 0) ==
        "healthctl: ingest: reading 3 MB");
  CHECK(health::render_progress("cleanup", {"removing samples", 120000, 0, false}, 5) ==
        "healthctl: cleanup: removing samples 120000");
  CHECK(health::render_progress("cleanup", {"vacuum", 0, 0, false}, 12500) == "healthctl: cleanup: vacuum 12 s");
  // More done than the total (a file that grew) stays at 100%.
  CHECK(health::render_progress("backup create", {"copying", 300, 200, false}, 0) ==
        "healthctl: backup create: copying 100% (200 of 200)");
}
