// healthctl sql: one read-only SQL statement over the database file.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/render.hpp>
#include <health/sql.hpp>

namespace healthctl {

namespace {

struct SqlArgs {
  std::string query;
  std::vector<std::string> parameters;
};

std::string hex(const std::string& bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += k_digits[byte >> 4];
    out += k_digits[byte & 0xf];
  }
  return out;
}

// A cell as text for the table and CSV formats; NULL is empty in CSV.
std::string cell_text(const health::SqlValue& value, bool csv) {
  if (std::holds_alternative<std::monostate>(value)) return csv ? "" : "NULL";
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) {
    std::string out;
    health::append_number(out, *real);
    return out;
  }
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return "x'" + hex(std::get<health::Blob>(value).bytes) + "'";
}

void append_json_value(std::string& out, const health::SqlValue& value) {
  if (std::holds_alternative<std::monostate>(value)) out += "null";
  else if (const auto* integer = std::get_if<std::int64_t>(&value)) out += std::to_string(*integer);
  else if (const auto* real = std::get_if<double>(&value)) health::append_number(out, *real);
  else if (const auto* text = std::get_if<std::string>(&value)) health::append_json_string(out, *text);
  else health::append_json_string(out, hex(std::get<health::Blob>(value).bytes));
}

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
  const auto format = choose_format(globals, "sql", {"table", "json", "ndjson", "csv"}, "table");
  const auto parameters = parse_parameters(args.parameters);
  auto store = open_store(globals, health::OpenMode::read_only);

  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> table;
  std::string out;
  bool first_row = true;
  const auto flush_if_large = [&] {
    if (out.size() >= (1 << 16)) {
      write_out(out);
      out.clear();
    }
  };
  health::run_sql(
      store, args.query, parameters,
      [&](const std::vector<std::string>& names) {
        columns = names;
        if (format == "csv") {
          for (std::size_t i = 0; i < names.size(); ++i) {
            if (i > 0) out += ',';
            health::append_csv_field(out, names[i], ',');
          }
          out += '\n';
        } else if (format == "json") {
          out += '[';
        }
      },
      [&](const std::vector<health::SqlValue>& row) {
        if (format == "table") {
          std::vector<std::string> cells;
          for (const auto& value : row) cells.push_back(cell_text(value, false));
          table.push_back(std::move(cells));
          return;
        }
        if (format == "csv") {
          for (std::size_t i = 0; i < row.size(); ++i) {
            if (i > 0) out += ',';
            health::append_csv_field(out, cell_text(row[i], true), ',');
          }
          out += '\n';
        } else {
          if (format == "json" && !first_row) out += ',';
          out += '{';
          for (std::size_t i = 0; i < row.size(); ++i) {
            if (i > 0) out += ',';
            health::append_json_string(out, columns[i]);
            out += ':';
            append_json_value(out, row[i]);
          }
          out += format == "json" ? "}" : "}\n";
        }
        first_row = false;
        flush_if_large();
      });
  if (format == "table") out = health::format_table(columns, table);
  else if (format == "json") out += "]\n";
  write_out(out);
}

} // namespace

void setup_sql(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<SqlArgs>();
  auto* command = app.add_subcommand("sql", "Run one read-only SQL statement (see samples_view, series_view)");
  command->add_option("QUERY", args->query, "One SQL statement; it may not write")->required();
  command->add_option("-p,--param", args->parameters, "Bind :name to VALUE: -p name=VALUE (repeatable)");
  command->callback([&globals, args] { run_sql(globals, *args); });
}

} // namespace healthctl
