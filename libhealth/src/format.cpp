#include <health/format.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace health {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      out += "\\u00";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  out.append(text.substr(plain));
  out += '"';
}

void append_number(std::string& out, double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void append_csv_field(std::string& out, std::string_view field, char separator) {
  if (field.find_first_of(std::string_view{separator == ',' ? ",\"\r\n" : "\t\"\r\n"}) ==
      std::string_view::npos) {
    out.append(field);
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_labels_json(std::string& out, const Labels& labels) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, key);
    out += ':';
    append_json_string(out, value);
  }
  out += '}';
}

namespace {

// Display width of UTF-8 text: code points, not bytes.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

} // namespace

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  const auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  const auto append_row = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out += '\n';
  };
  append_row(header);
  for (const auto& row : rows) append_row(row);
  return out;
}

std::string sample_header(RowFormat format) {
  std::string header = "ts,ts_ms,node,component,name,labels,type,unit,value,context\n";
  if (format == RowFormat::tsv)
    for (auto& c : header)
      if (c == ',') c = '\t';
  return header;
}

void append_sample(std::string& out, RowFormat format, const SampleRow& row) {
  const SeriesInfo& series = *row.series;
  std::array<char, 24> digits{};
  const auto ts_ms = std::to_chars(digits.data(), digits.data() + digits.size(), row.ts);
  const std::string_view ts_ms_text(digits.data(), static_cast<std::size_t>(ts_ms.ptr - digits.data()));

  if (format == RowFormat::ndjson) {
    out += "{\"ts\":\"";
    append_time(out, row.ts);
    out += "\",\"ts_ms\":";
    out += ts_ms_text;
    out += ",\"node\":";
    append_json_string(out, series.node);
    out += ",\"component\":";
    append_json_string(out, series.component);
    out += ",\"name\":";
    append_json_string(out, series.name);
    out += ",\"labels\":";
    append_labels_json(out, series.labels);
    out += ",\"type\":\"";
    out += to_string(series.type);
    out += "\",\"unit\":";
    append_json_string(out, series.unit);
    out += ",\"value\":";
    append_number(out, row.value);
    if (!row.context.empty()) {
      out += ",\"context\":";
      out += row.context;
    }
    out += "}\n";
    return;
  }

  const char separator = format == RowFormat::tsv ? '\t' : ',';
  append_time(out, row.ts);
  out += separator;
  out += ts_ms_text;
  for (const std::string_view field : {std::string_view(series.node), std::string_view(series.component),
                                       std::string_view(series.name),
                                       std::string_view(series.labels_text), to_string(series.type),
                                       std::string_view(series.unit)}) {
    out += separator;
    append_csv_field(out, field, separator);
  }
  out += separator;
  append_number(out, row.value);
  out += separator;
  append_csv_field(out, row.context, separator);
  out += '\n';
}

} // namespace health
