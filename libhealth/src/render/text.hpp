#pragma once
// Small text helpers shared by the render/ files.

#include <health/render.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace health {

// `text` in capitals (ASCII).
std::string upper(std::string_view text);

// "1 series" or "3 series", "1 issue" or "2 issues": `n` and the word for it.
std::string count_text(std::size_t n, std::string_view one, std::string_view many);

// An issue's or a threshold's series for people: `database query_ms
// {k=v;k=v}` (no braces without labels).
std::string key_text(const IssueKey& key);

// Display width of UTF-8 text: code points, not bytes.
std::size_t display_width(std::string_view text);

// Widens `widths` (one per column) to hold the cells of `row`.
void widen_columns(std::vector<std::size_t>& widths, const std::vector<std::string>& row);

// Appends `row` as a line of format_table's layout with columns `widths`
// wide: two spaces between cells (more after a narrower cell, and a cell
// wider than its column pushes the rest of its line right), the last cell
// not padded, no trailing blanks.
void append_table_row(std::string& out, const std::vector<std::string>& row, const std::vector<std::size_t>& widths);

// Throws Error(usage): `what` has no `format` form.
[[noreturn]] void unsupported(std::string_view what, Format format);

} // namespace health
