#pragma once
// Text building blocks shared by every output format: JSON strings, CSV
// fields, numbers in shortest round-trip form, rounding. Whole renderings
// (tables, documents) are in render.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace health {

// Whether `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);
// `text` with every byte that starts no well-formed UTF-8 sequence replaced
// by U+FFFD.
std::string valid_utf8(std::string_view text);

// Appends `text` as a JSON string literal, quotes included; a byte that is
// not part of well-formed UTF-8 becomes U+FFFD, so the JSON is always valid.
void append_json_string(std::string& out, std::string_view text);

// Appends `value` in the shortest form that reads back to the same double,
// written plain from 1e-6 up to 1e21 and with an exponent outside, as
// JavaScript writes numbers ("45.7", "1", "280000000", "0.000025", "1e+21",
// "1.5e-07").
void append_number(std::string& out, double value);
std::string number_text(double value);

// The deepest nesting of arrays and objects any JSON healthctl reads may
// have: deeper documents are refused before a parser (whose recursion a
// document 60,000 levels deep would overflow the stack with) sees them.
inline constexpr std::size_t k_max_json_depth = 64;

// The offset in `text` of the first `[` or `{` nested deeper than
// `max_depth` (strings skipped, escapes honoured), or nullopt. A linear scan
// that needs no valid JSON, so it can run before any parser.
std::optional<std::size_t> json_too_deep(std::string_view text, std::size_t max_depth = k_max_json_depth);

// The 1-based line of byte `offset` in `text`.
std::size_t line_of(std::string_view text, std::size_t offset);

// All of `text` as a whole number (an optional leading '-', then digits), or
// nullopt when it is empty, holds anything else or does not fit.
std::optional<std::int64_t> parse_whole_number(std::string_view text);

// Appends one CSV/TSV field, quoted as RFC 4180 requires when it holds the
// separator, a quote, CR or LF.
void append_csv_field(std::string& out, std::string_view field, char separator);

// Appends a computed statistic (a sum, mean, percentile or rate) as
// append_number does, or `null` if it overflowed to infinity: machine
// formats carry every number in full, so it reads back to the same double.
void append_statistic(std::string& out, double value);
std::string statistic_text(double value);

// `value` as a plain decimal, never with an exponent ("1000000000",
// "0.000025"): the shortest digits that read back to `value`, -0 as "0".
// For grammars without exponents, such as the perfdata of monitoring
// plugins. "" for infinities and NaN, which have no such spelling.
std::string plain_decimal_text(double value);

// How many significant digits numbers for people carry.
inline constexpr int k_display_digits = 4;

// Appends `value` for people (check reasons, status lines, tables,
// Markdown): whole numbers as they are, others with k_display_digits
// significant digits but never fewer than their whole part, without trailing
// zeros ("0.3333", "14.6", "1235", "12346", "2.5e-05" below 0.001).
void append_display_number(std::string& out, double value);
std::string display_number(double value);

// `value` rounded to `decimals` after the point (negative: to whole tens,
// hundreds, ...), or to `digits` significant digits: figures a reader can
// use, without float noise. 0, infinities and NaN are returned as they are.
double round_decimals(double value, int decimals);
double round_significant(double value, int digits);

} // namespace health
