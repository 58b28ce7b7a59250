// healthctl cleanup: retention, the size limit and resolved issues.

#include "commands.hpp"
#include "progress.hpp"

#include <health/cleanup.hpp>
#include <health/render.hpp>

namespace healthctl {

namespace {

constexpr Formats k_formats{"cleanup", {"text", "json"}};

void run_cleanup(const Globals& globals, const CleanupArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  auto options = cleanup_options(args, health::now_ms());
  auto store = open_store(globals, args.dry_run ? health::OpenMode::read_only : health::OpenMode::read_write);
  health::CleanupReport report;
  {
    ProgressLine progress(globals, "cleanup");
    options.progress = progress.callback();
    report = health::cleanup(store, options);
  }
  if (format == health::Format::json || !globals.quiet)
    write_out(health::render_cleanup(report, args.dry_run ? health::DryRun::yes : health::DryRun::no, format));
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
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_cleanup(globals, *args); });
}

} // namespace healthctl
