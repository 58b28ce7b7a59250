// healthctl init: create the database, or migrate an older one.

#include "commands.hpp"

#include <health/render.hpp>

namespace healthctl {

void setup_init(CLI::App& app, const Globals& globals) {
  auto* command = app.add_subcommand("init", "Create or migrate the database; print its path and schema version");
  command->callback([&globals] {
    const auto format = health::parse_format(choose_format(globals, "init", {"text", "json"}, "text"));
    auto store = open_store(globals, health::OpenMode::create);
    if (format == health::Format::json || !globals.quiet) write_out(health::render_database(store, format));
  });
}

} // namespace healthctl
