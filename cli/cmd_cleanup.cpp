// healthctl cleanup: retention, the size limit and resolved issues.

#include "commands.hpp"

#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/format.hpp>


namespace healthctl {

namespace {

std::string report_text(const health::CleanupReport& report, bool dry_run) {
  const auto mb = [](std::uint64_t bytes) {
    return health::display_number(static_cast<double>(bytes) / (1024.0 * 1024.0)) + " MB";
  };
  std::string out = std::string(dry_run ? "would remove " : "removed ") + std::to_string(report.samples_removed) +
                    " samples older than " + health::format_time(report.cutoff) + " and " +
                    std::to_string(report.issues_removed) + " resolved issues";
  if (dry_run) return out + "; the file is " + mb(report.bytes_before) + "\n";
  out += "; " + mb(report.bytes_before) + " -> " + mb(report.bytes_after);
  out += " in " + std::to_string(report.batches) + " batches (longest lock " + std::to_string(report.longest_lock_ms) +
         " ms)";
  if (!report.size_limit_met) out += "; still above --max-size";
  return out + "\n";
}

std::string report_json(const health::CleanupReport& report, bool dry_run) {
  std::string out = "{";
  health::append_json_key(out, "dry_run");
  out += dry_run ? "true" : "false";
  health::append_json_member(out, "cutoff", health::format_time(report.cutoff));
  health::append_json_member(out, "samples_removed", static_cast<double>(report.samples_removed));
  health::append_json_member(out, "issues_removed", static_cast<double>(report.issues_removed));
  health::append_json_member(out, "bytes_before", static_cast<double>(report.bytes_before));
  health::append_json_member(out, "bytes_after", static_cast<double>(report.bytes_after));
  health::append_json_member(out, "batches", static_cast<double>(report.batches));
  health::append_json_member(out, "longest_lock_ms", static_cast<double>(report.longest_lock_ms));
  health::append_json_key(out, "size_limit_met");
  out += report.size_limit_met ? "true" : "false";
  return out + "}\n";
}

void run_cleanup(const Globals& globals, const CleanupArgs& args) {
  const auto format = choose_format(globals, "cleanup", {"text", "json"}, "text");
  const auto options = cleanup_options(args, health::now_ms());
  auto store = open_store(globals, args.dry_run ? health::OpenMode::read_only : health::OpenMode::read_write);
  const auto report = health::cleanup(store, options);
  if (format == "json")
    write_out(report_json(report, args.dry_run));
  else if (!globals.quiet)
    write_out(report_text(report, args.dry_run));
}

} // namespace

void setup_cleanup(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<CleanupArgs>();
  auto* command = app.add_subcommand("cleanup", "Remove old samples and resolved issues, keep the file under a size");
  command->add_option("--retention", args->retention, "Keep samples this long (env HEALTH_RETENTION_DAYS; default 30d)");
  command->add_option("--max-size", args->max_size,
                      "Then remove the oldest until the file fits (env HEALTH_MAX_DB_SIZE_MB; default 100MB)");
  command->add_option("--issues-retention", args->issues_retention, "Keep resolved issues this long (default 90d)");
  command->add_flag("--dry-run", args->dry_run, "Say what would go, change nothing");
  command->add_flag("--vacuum", args->vacuum, "Rebuild the file at the end (VACUUM: one long lock)");
  command->callback([&globals, args] { run_cleanup(globals, *args); });
}

} // namespace healthctl
