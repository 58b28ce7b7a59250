#include "commands.hpp"

namespace healthctl {

namespace {

// Adding a subcommand: its cmd_<name>.cpp, a line here, its man page, its tests.
constexpr Command k_commands[] = {
    {"init", setup_init},           {"record", setup_record},     {"ingest", setup_ingest},
    {"components", setup_components}, {"metrics", setup_metrics}, {"export", setup_export},
    {"summary", setup_summary},     {"sql", setup_sql},           {"threshold", setup_threshold},
    {"check", setup_check},         {"issue", setup_issue},       {"status", setup_status},
    {"cleanup", setup_cleanup},     {"backup", setup_backup},     {"maintain", setup_maintain},
    {"analyze", setup_analyze},     {"help", setup_help},
};

} // namespace

std::span<const Command> command_table() { return k_commands; }

} // namespace healthctl
