// The result of a SQL statement, row by row: table, json, ndjson or csv.

#include <health/format.hpp>
#include <health/render.hpp>

#include "render/text.hpp"

namespace health {

namespace {

constexpr std::size_t k_flush_bytes = 1 << 16;
// The table's first rows, held to measure its columns: this many rows, or
// fewer when their cells reach k_table_lookahead_bytes.
constexpr std::size_t k_table_lookahead_rows = 1000;
constexpr std::size_t k_table_lookahead_bytes = 1 << 20;

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

// A cell as text for the table and csv; NULL is empty in csv.
std::string cell_text(const SqlValue& value, Format format) {
  if (std::holds_alternative<std::monostate>(value)) return format == Format::csv ? "" : "NULL";
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) return number_text(*real);
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return "x'" + hex(std::get<Blob>(value).bytes) + "'";
}

void append_json_value(std::string& out, const SqlValue& value) {
  if (std::holds_alternative<std::monostate>(value))
    out += "null";
  else if (const auto* integer = std::get_if<std::int64_t>(&value))
    out += std::to_string(*integer);
  else if (const auto* real = std::get_if<double>(&value))
    append_number(out, *real);
  else if (const auto* text = std::get_if<std::string>(&value))
    append_json_string(out, *text);
  else
    append_json_string(out, hex(std::get<Blob>(value).bytes));
}

void append_csv_line(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    append_csv_field(out, fields[i], ',');
  }
  out += '\n';
}

} // namespace

struct SqlWriter::Impl {
  Format format;
  TextSink sink;
  std::vector<std::string> columns;
  std::string out;
  bool first_row = true;
  // The table: its first rows are held until they give the column widths,
  // then written with every later row as it comes.
  std::vector<std::vector<std::string>> lookahead;
  std::size_t lookahead_bytes = 0;
  std::vector<std::size_t> widths;
  bool streaming = false;

  // Writes the header and the rows held, aligned on their widths; later
  // rows go straight out.
  void start_table() {
    widths.assign(columns.size(), 0);
    widen_columns(widths, columns);
    for (const auto& row : lookahead) widen_columns(widths, row);
    append_table_row(out, columns, widths);
    for (const auto& row : lookahead) append_table_row(out, row, widths);
    lookahead = {};
    streaming = true;
  }

  void table_row(std::vector<std::string> cells) {
    if (streaming) {
      widen_columns(widths, cells); // a wider value widens its column from here on
      append_table_row(out, cells, widths);
      return;
    }
    for (const auto& cell : cells) lookahead_bytes += cell.size();
    lookahead.push_back(std::move(cells));
    if (lookahead.size() >= k_table_lookahead_rows || lookahead_bytes >= k_table_lookahead_bytes) start_table();
  }
};

SqlWriter::SqlWriter(Format format, TextSink out) : m_impl(std::make_unique<Impl>()) {
  if (format != Format::table && format != Format::json && format != Format::ndjson && format != Format::csv)
    unsupported("a SQL result", format);
  m_impl->format = format;
  m_impl->sink = std::move(out);
}

SqlWriter::~SqlWriter() = default;

void SqlWriter::columns(const std::vector<std::string>& names) {
  m_impl->columns = names;
  if (m_impl->format == Format::csv) append_csv_line(m_impl->out, names);
  if (m_impl->format == Format::json) m_impl->out += '[';
}

void SqlWriter::row(const std::vector<SqlValue>& values) {
  auto& impl = *m_impl;
  std::vector<std::string> cells;
  if (impl.format == Format::table || impl.format == Format::csv)
    for (const auto& value : values) cells.push_back(cell_text(value, impl.format));
  if (impl.format == Format::table) {
    impl.table_row(std::move(cells));
  } else if (impl.format == Format::csv) {
    append_csv_line(impl.out, cells);
  } else {
    if (impl.format == Format::json && !impl.first_row) impl.out += ',';
    impl.out += '{';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) impl.out += ',';
      append_json_string(impl.out, impl.columns[i]);
      impl.out += ':';
      append_json_value(impl.out, values[i]);
    }
    impl.out += impl.format == Format::json ? "}" : "}\n";
  }
  impl.first_row = false;
  if (impl.out.size() >= k_flush_bytes) {
    impl.sink(impl.out);
    impl.out.clear();
  }
}

void SqlWriter::finish() {
  auto& impl = *m_impl;
  if (impl.format == Format::table && !impl.streaming) impl.start_table();
  if (impl.format == Format::json) impl.out += "]\n";
  impl.sink(impl.out);
  impl.out.clear();
}

} // namespace health
