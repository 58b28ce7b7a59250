// healthctl backup: create, list, verify, prune, status and restore.

#include "commands.hpp"
#include "progress.hpp"

#include <optional>

#include <health/backup.hpp>
#include <health/error.hpp>
#include <health/render.hpp>

#include <cstdio>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace healthctl {

namespace {

struct BackupArgs {
  std::string dir;
  std::string target; // FILE or DATE
  std::optional<std::size_t> keep_days; // 0: no keeping by age, only --keep-last
  std::size_t keep_last = 1;
  bool dry_run = false;
  bool yes = false;
  bool force = false;
};

// The database whose backups a command works with.
health::BackupOwner owner_of(const Globals& globals) {
  return health::backup_owner(store_options(globals, health::OpenMode::read_only));
}

constexpr Formats k_create_formats{"backup create", {"text", "json"}};
constexpr Formats k_list_formats{"backup list", {"table", "json"}};
constexpr Formats k_status_formats{"backup status", {"text", "json"}};
constexpr Formats k_verify_formats{"backup verify", {"text"}};
constexpr Formats k_prune_formats{"backup prune", {"text"}};
constexpr Formats k_restore_formats{"backup restore", {"text"}};

health::Format format_of(const Globals& globals, const Formats& formats) {
  return health::parse_format(choose_format(globals, formats));
}

void run_create(const Globals& globals, const BackupArgs& args) {
  const auto format = format_of(globals, k_create_formats);
  auto store = open_store(globals, health::OpenMode::read_write);
  health::BackupResult result;
  {
    ProgressLine progress(globals, "backup create");
    result = health::create_backup(store, backup_dir(globals, args.dir), health::now_ms(), node_name(globals), "",
                                   progress.callback());
  }
  if (format == health::Format::json || !globals.quiet) write_out(health::render_backup(result, format));
}

void run_list(const Globals& globals, const BackupArgs& args) {
  const auto format = format_of(globals, k_list_formats);
  write_out(health::render_backups(health::check_backups(backup_dir(globals, args.dir), owner_of(globals)), format));
}

void run_verify(const Globals& globals, const BackupArgs& args) {
  choose_format(globals, k_verify_formats);
  std::optional<health::Store> store;
  struct stat info {};
  if (::stat(database_path(globals).c_str(), &info) == 0) store = open_store(globals, health::OpenMode::read_write);
  const auto check = health::verify_backup(store ? &*store : nullptr, args.target, health::now_ms());
  if (!check.ok)
    throw health::Error(health::ErrorKind::bad_data, args.target + ": " + check.problem, "do not restore from it");
  if (!globals.quiet) write_out(health::render_backup_check(args.target, check));
}

health::Millis keep_days_ms(std::size_t days) {
  const auto most = static_cast<std::size_t>(health::k_max_retention_days);
  if (days > most)
    throw health::Error(health::ErrorKind::usage, "--keep-days " + std::to_string(days) + " is over " + std::to_string(most),
                        "give a number of days from 0 to " + std::to_string(most));
  return static_cast<health::Millis>(days) * health::k_day_ms;
}

void run_prune(const Globals& globals, const BackupArgs& args) {
  choose_format(globals, k_prune_formats);
  const health::Millis keep =
      args.keep_days ? keep_days_ms(*args.keep_days) : backup_retention();
  const auto result =
      health::prune_backups(backup_dir(globals, args.dir), owner_of(globals), keep, args.keep_last, health::now_ms(), args.dry_run);
  if (!globals.quiet)
    write_out(health::render_prune(result, args.dry_run ? health::DryRun::yes : health::DryRun::no));
}

void run_status(const Globals& globals, const BackupArgs& args) {
  const auto format = format_of(globals, k_status_formats);
  auto store = open_store(globals, health::OpenMode::read_only);
  const auto status = health::backup_status(store);
  const auto dir = backup_dir(globals, args.dir);
  write_out(health::render_backup_status(status, dir, health::list_backups(dir, health::backup_owner(store)).size(), format));
}

void run_restore(const Globals& globals, const BackupArgs& args) {
  choose_format(globals, k_restore_formats);
  const auto dir = backup_dir(globals, args.dir);
  std::string path = args.target;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    // Not a file: a time, for the newest backup taken at or before it.
    if (auto at = health::try_parse_time(args.target, health::now_ms()))
      path = health::find_backup(dir, owner_of(globals), *at).path;
    else
      throw health::Error(health::ErrorKind::not_found, "no backup at " + args.target,
                          "give a backup file or a time; see 'healthctl backup list'");
  }
  if (!args.yes) {
    if (::isatty(STDIN_FILENO) != 1)
      throw health::Error(health::ErrorKind::usage, "restore replaces the live database and needs confirmation",
                          "pass --yes when not at a terminal");
    std::fprintf(stderr, "Replace %s with %s? A safety copy goes to %s. [y/N] ", database_path(globals).c_str(),
                 path.c_str(), dir.c_str());
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes")
      throw health::Error(health::ErrorKind::usage, "restore cancelled", "nothing was changed");
  }
  const auto live = store_options(globals, health::OpenMode::read_write);
  health::RestoreResult result;
  {
    ProgressLine progress(globals, "backup restore");
    result = health::restore_backup(live, path, dir, health::now_ms(), node_name(globals),
                                    args.force ? health::OtherDatabase::allow : health::OtherDatabase::refuse,
                                    progress.callback());
  }
  if (!globals.quiet) write_out(health::render_restore(path, result));
}

} // namespace

void setup_backup(CLI::App& app, const Globals& globals) {
  auto* backup = app.add_subcommand("backup", "Create, list, verify, prune and restore backups");
  backup->require_subcommand(1);
  auto args = std::make_shared<BackupArgs>();
  const auto dir_option = [&args](CLI::App* command) {
    command->add_option("--dir", args->dir, "The backup folder (env HEALTH_BACKUP_DIR; default <db folder>/backups)");
  };

  auto* create = backup->add_subcommand("create", "Take a consistent backup now, while others keep writing");
  dir_option(create);
  describe_globals(create, k_create_formats, NodeUse::records_as);
  create->callback([&globals, args] { run_create(globals, *args); });

  auto* list = backup->add_subcommand("list", "List the backups with their size, schema and samples");
  dir_option(list);
  describe_globals(list, k_list_formats, NodeUse::none);
  list->callback([&globals, args] { run_list(globals, *args); });

  auto* verify = backup->add_subcommand("verify", "Check a backup: integrity, a healthctl file, not newer");
  verify->add_option("file", args->target, "The backup file to check")->required();
  describe_globals(verify, k_verify_formats, NodeUse::none);
  verify->callback([&globals, args] { run_verify(globals, *args); });

  auto* prune = backup->add_subcommand("prune", "Remove old backups (ours only)");
  dir_option(prune);
  prune->add_option("--keep-days", args->keep_days, "Keep backups this many days, 0 for none by age (env HEALTH_BACKUP_RETENTION_DAYS; default 30)")
      ->check(whole_number(0))
      ->type_name("DAYS");
  prune->add_option("--keep-last", args->keep_last, "Always keep the newest N (default 1)")
      ->check(whole_number(0))
      ->type_name("N");
  prune->add_flag("--dry-run", args->dry_run, "Say what would go, remove nothing");
  describe_globals(prune, k_prune_formats, NodeUse::none);
  prune->callback([&globals, args] { run_prune(globals, *args); });

  auto* status = backup->add_subcommand("status", "Last backup, last success, success rate, last verified");
  dir_option(status);
  describe_globals(status, k_status_formats, NodeUse::none);
  status->callback([&globals, args] { run_status(globals, *args); });

  auto* restore = backup->add_subcommand("restore", "Replace the database with a backup (a safety copy is kept)");
  dir_option(restore);
  restore->add_option("backup", args->target, "A backup file, or a TIME: the newest backup taken at or before it")
      ->option_text("FILE|TIME")
      ->required();
  restore->add_flag("--yes", args->yes, "Do not ask (needed when stdin is not a terminal)");
  restore->add_flag("--force", args->force, "Restore a backup of another database over this one");
  describe_globals(restore, k_restore_formats, NodeUse::records_as);
  restore->callback([&globals, args] { run_restore(globals, *args); });
}

} // namespace healthctl
