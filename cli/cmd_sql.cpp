// healthctl sql: one read-only SQL statement over the database file.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/render.hpp>
#include <health/sql.hpp>

namespace healthctl {

namespace {

constexpr Formats k_formats{"sql", {"table", "json", "ndjson", "csv"}};

struct SqlArgs {
  std::string query;
  std::vector<std::string> parameters;
};

std::vector<health::SqlParameter> parse_parameters(const std::vector<std::string>& args) {
  std::vector<health::SqlParameter> out;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw health::Error(health::ErrorKind::usage, "parameter '" + arg + "' is not name=value",
                          "use -p name=value and :name in the query");
    out.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
  }
  return out;
}

void run_sql(const Globals& globals, const SqlArgs& args) {
  const auto format =
      health::parse_format(choose_format(globals, k_formats));
  const auto parameters = parse_parameters(args.parameters);
  auto store = open_store(globals, health::OpenMode::read_only);
  health::SqlWriter writer(format, [](std::string_view text) { write_out(text); });
  health::run_sql(
      store, args.query, parameters, [&](const std::vector<std::string>& names) { writer.columns(names); },
      [&](const std::vector<health::SqlValue>& row) { writer.row(row); });
  writer.finish();
}

} // namespace

void setup_sql(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<SqlArgs>();
  auto* command = app.add_subcommand("sql", "Run one read-only SQL statement (see samples_view, series_view)");
  command->add_option("QUERY", args->query, "One SQL statement; it may not write")->required();
  command->add_option("-p,--param", args->parameters, "Bind :name to VALUE: -p name=VALUE (repeatable)");
  describe_globals(command, k_formats, NodeUse::none);
  command->callback([&globals, args] { run_sql(globals, *args); });
}

} // namespace healthctl
