#pragma once
// A cursor over text being parsed (times, durations, time-zone rules):
// every read checks bounds, and numbers never overflow.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace health {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct TextCursor {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos == text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  // `lower` or its capital.
  bool take_any_case(char lower) {
    if (peek() != lower && peek() != lower - ('a' - 'A')) return false;
    ++pos;
    return true;
  }
  // Exactly `count` digits as a number.
  std::optional<int> digits(std::size_t count) {
    if (text.size() - pos < count) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text[pos + i];
      if (!is_digit(c)) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos += count;
    return value;
  }
  // One or more digits as a whole number no larger than `max`; nullopt
  // when there is no digit or the number is larger.
  std::optional<std::int64_t> whole(std::int64_t max) {
    if (!is_digit(peek())) return std::nullopt;
    std::int64_t value = 0;
    while (is_digit(peek())) {
      const int digit = peek() - '0';
      if (value > (max - digit) / 10) return std::nullopt;
      value = value * 10 + digit;
      ++pos;
    }
    return value;
  }
};

} // namespace health
