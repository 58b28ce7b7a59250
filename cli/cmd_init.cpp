// healthctl init: create the database, or migrate an older one.

#include "commands.hpp"

#include <health/render.hpp>

namespace healthctl {

namespace {
constexpr Formats k_formats{"init", {"text", "json"}};
} // namespace

void setup_init(CLI::App& app, const Globals& globals) {
  auto* command = app.add_subcommand("init", "Create or migrate the database; print its path and schema version");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals] {
    const auto format = health::parse_format(choose_format(globals, k_formats));
    auto store = open_store(globals, health::OpenMode::create);
    if (format == health::Format::json || !globals.quiet) write_out(health::render_database(store, format));
  });
}

} // namespace healthctl
