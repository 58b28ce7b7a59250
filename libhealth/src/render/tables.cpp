// Tables for people, Markdown tables and sparklines.

#include <health/render.hpp>

#include "render/text.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace health {

std::string sparkline(const std::vector<std::optional<double>>& values, Sparklines style) {
  static constexpr const char* k_blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                             "\u2585", "\u2586", "\u2587", "\u2588"};
  static constexpr char k_ascii[] = {'_', '.', '-', '~', '^'};
  if (style == Sparklines::none) return "";
  const bool ascii = style == Sparklines::ascii;
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

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

void widen_columns(std::vector<std::size_t>& widths, const std::vector<std::string>& row) {
  for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
    widths[i] = std::max(widths[i], display_width(row[i]));
}

void append_table_row(std::string& out, const std::vector<std::string>& row, const std::vector<std::size_t>& widths) {
  for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
    out += row[i];
    const auto width = display_width(row[i]);
    if (i + 1 < row.size()) out.append(std::max(widths[i], width) - width + 2, ' ');
  }
  // Empty last cells leave no trailing blanks.
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += '\n';
}

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
  widen_columns(widths, header);
  for (const auto& row : rows) widen_columns(widths, row);
  std::string out;
  append_table_row(out, header, widths);
  for (const auto& row : rows) append_table_row(out, row, widths);
  return out;
}

} // namespace health
