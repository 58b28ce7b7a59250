#include "commands.hpp"

#ifndef HEALTHCTL_VERSION
#define HEALTHCTL_VERSION "0.0.0"
#endif

namespace healthctl {

namespace {

// Adding a subcommand: its cmd_<name>.cpp, a line here, its man page, its tests.
constexpr Command k_commands[] = {
    {"init", setup_init},           {"record", setup_record},     {"ingest", setup_ingest},
    {"components", setup_components}, {"metrics", setup_metrics}, {"export", setup_export},
    {"summary", setup_summary},     {"sql", setup_sql},           {"threshold", setup_threshold},
    {"check", setup_check},         {"issue", setup_issue},       {"status", setup_status},
    {"cleanup", setup_cleanup},     {"backup", setup_backup},     {"maintain", setup_maintain},
    {"run", setup_run},             {"probe", setup_probe},       {"collect", setup_collect},
    {"analyze", setup_analyze},     {"report", setup_report},     {"push", setup_push},     {"serve", setup_serve},
    {"completion", setup_completion}, {"help", setup_help},
};

} // namespace

void setup_root(CLI::App& app, Globals& globals) {
  app.name("healthctl");
  app.description("healthctl: health metrics and issues in one SQLite file");
  app.formatter(help_formatter());
  app.group("Commands"); // the heading of the command list, which commands inherit
  app.set_version_flag("-V,--version", "healthctl " HEALTHCTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--db", globals.db, "Database file (env HEALTH_DB_PATH)")->type_name("FILE");
  app.add_option("--node", globals.node, "Node name to record as, or to filter by (env HEALTH_NODE_NAME)")
      ->type_name("NAME");
  app.add_option("--format", globals.format, "Output (or input) format of the command")->type_name("FORMAT");
  app.add_flag("-q,--quiet", globals.quiet, "Print nothing but data and errors");
  app.add_flag("-v,--verbose", globals.verbose, "Explain more, errors included");
  app.footer("Run 'healthctl help COMMAND' for a command's options. See healthctl(1) and\n"
             "healthctl-COMMAND(1) for every flag, with examples.");
}

std::span<const Command> command_table() { return k_commands; }

} // namespace healthctl
