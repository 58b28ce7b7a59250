// Cleanup, backups and restore.

#include <health/format.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

#include <algorithm>

namespace health {

namespace {

std::string megabytes(std::uint64_t bytes) {
  return display_number(static_cast<double>(bytes) / (1024.0 * 1024.0)) + " MB";
}

std::string amount(std::uint64_t count, bool bytes) {
  return bytes ? megabytes(count) : std::to_string(count);
}

Json log_entry_json(const std::optional<BackupLogEntry>& entry) {
  if (!entry) return nullptr;
  return Json{{"at", format_time(entry->at)},
              {"path", entry->path},
              {"ok", entry->ok},
              {"duration_ms", entry->duration_ms},
              {"bytes", entry->bytes ? Json(*entry->bytes) : Json(nullptr)},
              {"detail", entry->detail}};
}

std::string log_entry_text(const std::optional<BackupLogEntry>& entry) {
  if (!entry) return "never";
  return format_time(entry->at) + " " + entry->path + (entry->ok ? "" : " (failed: " + entry->detail + ")");
}

std::string cleanup_text(const CleanupReport& report, DryRun dry_run) {
  const bool dry = dry_run == DryRun::yes;
  std::string out = std::string(dry ? "would remove " : "removed ") + std::to_string(report.samples_removed) +
                    " samples older than " + format_time(report.cutoff) + " and " +
                    std::to_string(report.issues_removed) + " resolved issues";
  if (dry) return out + "; the file is " + megabytes(report.bytes_before) + "\n";
  out += "; " + megabytes(report.bytes_before) + " -> " + megabytes(report.bytes_after);
  out += " in " + std::to_string(report.batches) + " batches (longest lock " + std::to_string(report.longest_lock_ms) +
         " ms)";
  if (!report.size_limit_met) out += "; still above --max-size";
  return out + "\n";
}

std::string backups_table(const std::vector<CheckedBackup>& backups) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [file, check] : backups)
    rows.push_back({file.name, std::string(backup_kind_name(file.kind)), format_time(file.taken_at), megabytes(file.bytes),
                    check.ok ? std::to_string(check.schema_version) : "-",
                    check.ok ? std::to_string(check.samples) : "-", check.ok ? "ok" : check.problem});
  return format_table({"NAME", "KIND", "TAKEN_AT", "SIZE", "SCHEMA", "SAMPLES", "CHECK"}, rows);
}

} // namespace

Json backup_status_json(const BackupStatus& status) {
  return Json{{"last_backup", log_entry_json(status.last_backup)},
              {"last_success", log_entry_json(status.last_success)},
              {"last_verified", log_entry_json(status.last_verified)},
              {"attempts_30d", status.attempts},
              {"successes_30d", status.successes},
              {"success_rate", status.attempts > 0 ? statistic_json(static_cast<double>(status.successes) /
                                                                    static_cast<double>(status.attempts))
                                                   : Json(nullptr)}};
}

Json cleanup_document(const CleanupReport& report, DryRun dry_run) {
  return Json{{"dry_run", dry_run == DryRun::yes},
              {"cutoff", format_time(report.cutoff)},
              {"samples_removed", report.samples_removed},
              {"issues_removed", report.issues_removed},
              {"bytes_before", report.bytes_before},
              {"bytes_after", report.bytes_after},
              {"batches", report.batches},
              {"longest_lock_ms", report.longest_lock_ms},
              {"size_limit_met", report.size_limit_met}};
}

std::string render_cleanup(const CleanupReport& report, DryRun dry_run, Format format) {
  if (format == Format::text) return cleanup_text(report, dry_run);
  if (format != Format::json) unsupported("a cleanup", format);
  return json_text(cleanup_document(report, dry_run)) + "\n";
}

std::string render_push(const PushReport& report, const std::string& target, DryRun dry_run, Format format) {
  const bool dry = dry_run == DryRun::yes;
  if (format == Format::json)
    return json_text(Json{{"target", target},
                          {"dry_run", dry},
                          {"samples", report.samples},
                          {"series", report.series},
                          {"requests", report.requests},
                          {"retries", report.retries},
                          {"held_already", report.held},
                          {"too_old", report.too_old},
                          {"refused", report.refused},
                          {"refused_reason", report.refused_reason},
                          {"duration_ms", report.duration}}) +
           "\n";
  if (format != Format::text) unsupported("a push", format);
  std::string out = std::string(dry ? "would push " : "pushed ") + std::to_string(report.samples) + " samples of " +
                    std::to_string(report.series) + " series to " + target + " in " +
                    std::to_string(report.requests) + (report.requests == 1 ? " request" : " requests");
  if (report.retries > 0) out += " (" + std::to_string(report.retries) + " tried again)";
  out += dry ? "\n" : " in " + std::to_string(report.duration) + " ms\n";
  if (report.held > 0)
    out += std::to_string(report.held) + " samples of a request whose answer was lost were held by the receiver already\n";
  if (report.too_old > 0)
    out += std::to_string(report.too_old) +
           " samples were not sent: older than --max-age (backfill them with export --format openmetrics)\n";
  if (report.refused > 0)
    out += std::to_string(report.refused) + " samples were refused by the receiver: " + report.refused_reason + "\n";
  return out;
}

std::string render_backup(const BackupResult& result, Format format) {
  if (format == Format::text)
    return "created " + result.file.path + " (" + megabytes(result.file.bytes) + ", " +
           std::to_string(result.check.samples) + " samples) in " + std::to_string(result.duration_ms) + " ms\n";
  if (format != Format::json) unsupported("a backup", format);
  return json_text(Json{{"path", result.file.path},
                        {"bytes", result.file.bytes},
                        {"samples", result.check.samples},
                        {"schema_version", result.check.schema_version},
                        {"database_id", result.check.database_id},
                        {"duration_ms", result.duration_ms}}) +
         "\n";
}

std::string render_backups(const std::vector<CheckedBackup>& backups, Format format) {
  if (format == Format::table) return backups_table(backups);
  if (format != Format::json) unsupported("a list of backups", format);
  Json list = Json::array();
  for (const auto& [file, check] : backups)
    list.push_back(Json{{"name", file.name},
                        {"path", file.path},
                        {"kind", backup_kind_name(file.kind)},
                        {"database_id", file.database_id.empty() ? Json(nullptr) : Json(file.database_id)},
                        {"taken_at", format_time(file.taken_at)},
                        {"bytes", file.bytes},
                        {"schema_version", check.schema_version},
                        {"samples", check.ok ? Json(check.samples) : Json(nullptr)},
                        {"ok", check.ok},
                        {"problem", check.problem}});
  return json_text(list) + "\n";
}

std::string render_backup_check(const std::string& path, const BackupCheck& check) {
  return "ok: " + path + " (schema " + std::to_string(check.schema_version) + ", " + std::to_string(check.samples) +
         " samples" + (check.database_id.empty() ? "" : ", database " + check.database_id) + ")\n";
}

std::string render_prune(const PruneResult& result, DryRun dry_run) {
  const bool dry = dry_run == DryRun::yes;
  std::string out;
  for (const auto& file : result.removed) out += (dry ? "would remove " : "removed ") + file.path + "\n";
  return out + (dry ? "would keep " : "kept ") + count_text(result.kept.size(), "backup", "backups") + "\n";
}

std::string render_backup_status(const BackupStatus& status, const std::string& dir, std::size_t backups,
                                 Format format) {
  if (format == Format::json) {
    Json doc{{"backup_dir", dir}};
    doc.update(backup_status_json(status));
    doc["backups"] = backups;
    return json_text(doc) + "\n";
  }
  if (format != Format::text) unsupported("the backup status", format);
  return "backup folder:  " + dir + " (" + std::to_string(backups) + " backups)\n" +
         "last backup:    " + log_entry_text(status.last_backup) + "\n" +
         "last success:   " + log_entry_text(status.last_success) + "\n" +
         "last verified:  " + log_entry_text(status.last_verified) + "\n" +
         "last 30 days:   " + std::to_string(status.successes) + " of " + std::to_string(status.attempts) +
         " backups succeeded\n";
}

std::string render_restore(const std::string& backup, const RestoreResult& result) {
  return "restored " + backup + " (schema " + std::to_string(result.schema_version) +
         (result.migrated ? ", migrated" : "") + "); the previous database is in " + result.safety_copy + "\n";
}

namespace {

// What one step of maintain did, when it succeeded.
std::string maintain_step_text(const MaintainReport& report, const MaintainStep& step) {
  if (step.name == "check") {
    std::string out = std::string(to_string(report.status)) + ", " +
                      std::to_string(report.check->evaluations.size()) + " thresholds, " +
                      std::to_string(report.check->changes.size()) + " changes";
    for (const auto& change : report.check->changes) out += "\n  " + render_check_change(change);
    return out;
  }
  if (step.name == "cleanup")
    return "removed " + std::to_string(report.cleanup->samples_removed) + " samples and " +
           std::to_string(report.cleanup->issues_removed) + " resolved issues, longest lock " +
           std::to_string(report.cleanup->longest_lock_ms) + " ms";
  if (step.name == "backup")
    return report.backup->due ? "created " + report.backup_created
                              : "not due (last " + format_time(*report.backup->last_success) + ", every " +
                                    format_duration(report.backup_interval) + ")";
  return "removed " + std::to_string(report.prune->removed.size()) + ", kept " +
         std::to_string(report.prune->kept.size());
}

} // namespace

namespace {

Json maintain_document(const MaintainReport& report) {
  Json steps = Json::array();
  bool ok = true;
  for (const auto& step : report.steps) {
    ok = ok && step.ok;
    steps.push_back(Json{{"name", step.name},
                         {"ok", step.ok},
                         {"error", step.ok ? Json(nullptr) : Json(step.error)},
                         {"duration_ms", step.duration_ms}});
  }
  Json backup = nullptr;
  if (report.backup)
    backup = Json{{"due", report.backup->due},
                  {"last_success", time_json(report.backup->last_success)},
                  {"interval_ms", report.backup_interval},
                  {"created", report.backup_created.empty() ? Json(nullptr) : Json(report.backup_created)}};
  Json prune = nullptr;
  if (report.prune) {
    Json removed = Json::array();
    for (const auto& file : report.prune->removed) removed.push_back(file.path);
    prune = Json{{"removed", std::move(removed)}, {"kept", report.prune->kept.size()}};
  }
  return Json{{"ok", ok},
              {"steps", std::move(steps)},
              {"check", report.check ? check_document(*report.check, report.status, {}) : Json(nullptr)},
              {"cleanup", report.cleanup ? cleanup_document(*report.cleanup, DryRun::no) : Json(nullptr)},
              {"backup", std::move(backup)},
              {"prune", std::move(prune)},
              {"warnings", report.warnings}};
}

} // namespace

std::string render_maintain(const MaintainReport& report, Format format) {
  if (format == Format::json) return json_text(maintain_document(report)) + "\n";
  if (format != Format::text) unsupported("a maintain run", format);
  std::string out;
  for (const auto& step : report.steps) {
    const std::string what = step.ok ? maintain_step_text(report, step) : "failed: " + step.error;
    out += step.name + ": " + what + " (" + std::to_string(step.duration_ms) + " ms)\n";
  }
  return out;
}

std::string render_progress(std::string_view command, const Progress& progress, Millis elapsed_ms) {
  std::string line = "healthctl: ";
  line.append(command).append(": ").append(progress.step);
  if (progress.total > 0) {
    const auto done = std::min(progress.done, progress.total);
    const auto percent =
        static_cast<unsigned>(static_cast<double>(done) * 100.0 / static_cast<double>(progress.total));
    line += " " + std::to_string(percent) + "% (" + amount(done, progress.bytes) + " of " +
            amount(progress.total, progress.bytes) + ")";
  } else if (progress.done > 0) {
    line += " " + amount(progress.done, progress.bytes);
  } else {
    line += " " + std::to_string(elapsed_ms / 1000) + " s";
  }
  return line;
}

} // namespace health
