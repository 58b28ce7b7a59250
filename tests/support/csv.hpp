#pragma once
// A strict RFC 4180 reader for tests: fields separated by `separator`,
// quoted fields with doubled quotes, CRLF or LF line ends. Throws on
// malformed input so a test can't pass on output it could not read.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test {

inline std::vector<std::vector<std::string>> parse_csv(std::string_view text, char separator = ',') {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  bool field_started = false;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && !field_started) {
      ++i;
      for (;;) {
        if (i >= text.size()) throw std::runtime_error("unterminated quoted field");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      field_started = true;
      if (i < text.size() && text[i] != separator && text[i] != '\n' && text[i] != '\r')
        throw std::runtime_error("text after a closing quote");
      continue;
    }
    if (c == separator) {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      rows.push_back(std::move(row));
      row.clear();
      ++i;
      continue;
    }
    if (c == '"') throw std::runtime_error("a quote inside an unquoted field");
    field += c;
    field_started = true;
    ++i;
  }
  if (field_started || !row.empty()) throw std::runtime_error("the last line has no line end");
  return rows;
}

} // namespace test
