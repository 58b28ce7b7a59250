// healthctl init: create the database, or migrate an older one.

#include "commands.hpp"

#include <nlohmann/json.hpp>

namespace healthctl {

void setup_init(CLI::App& app, const Globals& globals) {
  auto* command = app.add_subcommand("init", "Create or migrate the database; print its path and schema version");
  command->callback([&globals] {
    const std::string format = choose_format(globals, "init", {"text", "json"}, "text");
    auto store = open_store(globals, health::OpenMode::create);
    if (format == "json") {
      nlohmann::json out{{"path", store.path()},
                         {"schema_version", store.schema_version()},
                         {"created", store.created()}};
      write_out(out.dump() + "\n");
      return;
    }
    if (globals.quiet) return;
    write_out(store.path() + "\n");
    write_out("schema version " + std::to_string(store.schema_version()) +
              (store.created() ? " (created)" : "") + "\n");
  });
}

} // namespace healthctl
