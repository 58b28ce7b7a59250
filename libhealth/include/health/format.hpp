#pragma once
// Text building blocks shared by every output format: JSON strings, CSV
// fields, numbers in shortest round-trip form, and sample rows in the export
// formats (DESIGN.md section 5).

#include <health/query.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace health {

// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// Appends `value` in the shortest form that reads back to the same double
// ("45.7", "1", "1e+21").
void append_number(std::string& out, double value);

// Appends one CSV/TSV field, quoted as RFC 4180 requires when it holds the
// separator, a quote, CR or LF.
void append_csv_field(std::string& out, std::string_view field, char separator);

enum class RowFormat { ndjson, csv, tsv };

// The header line of the csv and tsv sample formats, with its newline.
std::string sample_header(RowFormat format);

// Appends one sample as a line of `format`, newline included.
void append_sample(std::string& out, RowFormat format, const SampleRow& row);

// An aligned text table: the header row, then each row, columns separated by
// two spaces, the last column not padded.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// Labels as a JSON object: {"k":"v",...}.
void append_labels_json(std::string& out, const Labels& labels);

} // namespace health
