#pragma once
// Text building blocks shared by every output format: JSON strings, CSV
// fields, numbers in shortest round-trip form, aligned tables.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// Appends the start of a JSON object member, `"name":`, after a comma unless
// it is the first member (`out` ends with `{`).
void append_json_key(std::string& out, std::string_view name);
// A member whose value is a string, or a statistic (null when absent).
void append_json_member(std::string& out, std::string_view name, std::string_view text);
void append_json_member(std::string& out, std::string_view name, std::optional<double> value);

// Appends `value` in the shortest form that reads back to the same double
// ("45.7", "1", "1e+21").
void append_number(std::string& out, double value);
std::string number_text(double value);

// All of `text` as a whole number (an optional leading '-', then digits), or
// nullopt when it is empty, holds anything else or does not fit.
std::optional<std::int64_t> parse_whole_number(std::string_view text);

// Appends one CSV/TSV field, quoted as RFC 4180 requires when it holds the
// separator, a quote, CR or LF.
void append_csv_field(std::string& out, std::string_view field, char separator);

// Appends a computed statistic (a sum, mean, percentile or rate) with 15
// significant digits, which drops the binary noise of arithmetic ("2.61",
// not "2.6100000000000003"), or `null` if it overflowed to infinity.
void append_statistic(std::string& out, double value);
std::string statistic_text(double value);

// Appends `value` for people: integers whole, others with three significant
// digits after the point at most and no trailing zeros ("0.333", "38.5",
// "1235", "-2.5e-05" for tiny values).
void append_display_number(std::string& out, double value);
std::string display_number(double value);

// `value` rounded to `decimals` after the point (negative: to whole tens,
// hundreds, ...), or to `digits` significant digits: figures a reader can
// use, without float noise. 0, infinities and NaN are returned as they are.
double round_decimals(double value, int decimals);
double round_significant(double value, int digits);

// A sparkline of `values`, one character per value scaled from the smallest
// to the largest, a space where a value is missing. Unicode block
// characters, or with `ascii` the characters _.-~^ (lowest to highest).
std::string sparkline(const std::vector<std::optional<double>>& values, bool ascii);

// An aligned text table: the header row, then each row, columns separated by
// two spaces, the last column not padded.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// A Markdown table: the header row, the `| --- |` row, then each row, with
// `|` in a cell escaped.
std::string format_markdown_table(const std::vector<std::string>& header,
                                  const std::vector<std::vector<std::string>>& rows);

} // namespace health
