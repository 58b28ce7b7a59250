#include <health/format.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>

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

void append_json_key(std::string& out, std::string_view name) {
  if (!out.empty() && out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ':';
}

void append_json_member(std::string& out, std::string_view name, std::string_view text) {
  append_json_key(out, name);
  append_json_string(out, text);
}

void append_json_member(std::string& out, std::string_view name, std::optional<double> value) {
  append_json_key(out, name);
  if (value)
    append_statistic(out, *value);
  else
    out += "null";
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

void append_statistic(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::general, 15);
  out.append(buffer.data(), result.ptr);
}

void append_display_number(std::string& out, double value) {
  if (value == std::trunc(value) && std::abs(value) < 1e15) {
    append_number(out, value);
    return;
  }
  const double magnitude = std::abs(value);
  if (magnitude < 1e-3) {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                      std::chars_format::scientific, 1);
    out.append(buffer.data(), result.ptr);
    return;
  }
  // Three significant digits for small values, whole numbers from 1000 up.
  const int whole_digits = magnitude >= 1 ? static_cast<int>(std::floor(std::log10(magnitude))) + 1 : 0;
  int decimals = std::max(0, 3 - whole_digits);
  if (magnitude < 1) decimals = 3 - static_cast<int>(std::floor(std::log10(magnitude))) - 1;
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::fixed, decimals);
  std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  if (text.find('.') != std::string_view::npos) {
    while (text.back() == '0') text.remove_suffix(1);
    if (text.back() == '.') text.remove_suffix(1);
  }
  out.append(text);
}

double round_decimals(double value, int decimals) {
  if (!std::isfinite(value)) return value;
  if (decimals >= 0) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
  }
  const double scale = std::pow(10.0, -decimals);
  return std::round(value / scale) * scale;
}

double round_significant(double value, int digits) {
  if (value == 0 || !std::isfinite(value)) return value;
  return round_decimals(value, digits - 1 - static_cast<int>(std::floor(std::log10(std::abs(value)))));
}

std::string display_number(double value) {
  std::string out;
  append_display_number(out, value);
  return out;
}

std::string sparkline(const std::vector<std::optional<double>>& values, bool ascii) {
  static constexpr const char* k_blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                             "\u2585", "\u2586", "\u2587", "\u2588"};
  static constexpr char k_ascii[] = {'_', '.', '-', '~', '^'};
  double low = 0;
  double high = 0;
  bool any = false;
  for (const auto& value : values) {
    if (!value) continue;
    low = any ? std::min(low, *value) : *value;
    high = any ? std::max(high, *value) : *value;
    any = true;
  }
  const std::size_t levels = ascii ? std::size(k_ascii) : std::size(k_blocks);
  std::string out;
  for (const auto& value : values) {
    if (!value) {
      out += ' ';
      continue;
    }
    // A flat line sits in the middle.
    const std::size_t level =
        high > low ? static_cast<std::size_t>(std::lround((*value - low) / (high - low) *
                                                          static_cast<double>(levels - 1)))
                   : (levels - 1) / 2;
    if (ascii)
      out += k_ascii[level];
    else
      out += k_blocks[level];
  }
  return out;
}

namespace {

// Display width of UTF-8 text: code points, not bytes.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

} // namespace

std::string format_markdown_table(const std::vector<std::string>& header,
                                  const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  const auto append_row = [&out](const std::vector<std::string>& cells) {
    out += '|';
    for (const auto& cell : cells) {
      out += ' ';
      for (const char c : cell) {
        if (c == '|') out += '\\';
        out += c;
      }
      out += " |";
    }
    out += '\n';
  };
  append_row(header);
  append_row(std::vector<std::string>(header.size(), "---"));
  for (const auto& row : rows) append_row(row);
  return out;
}

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
    // Empty last cells leave no trailing blanks.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  append_row(header);
  for (const auto& row : rows) append_row(row);
  return out;
}

std::string number_text(double value) {
  std::string out;
  append_number(out, value);
  return out;
}

std::string statistic_text(double value) {
  std::string out;
  append_statistic(out, value);
  return out;
}

std::optional<std::int64_t> parse_whole_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

} // namespace health
