#include <health/format.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace health {

namespace {

// The length of the well-formed UTF-8 sequence at `i` (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF), or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf; // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) length = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() - i < length || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return length;
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    if (length == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      if (length > 0) {
        i += length - 1;
        continue;
      }
      // Not UTF-8 (a file edited by hand, say): U+FFFD keeps the JSON valid.
      out.append(text.substr(plain, i - plain));
      out += "\xef\xbf\xbd";
      plain = i + 1;
      continue;
    }
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
  // ECMAScript's choice of notation: plain from 1e-6 up to 1e21, an exponent outside.
  const double magnitude = std::abs(value);
  const auto notation =
      magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e21) ? std::chars_format::fixed : std::chars_format::scientific;
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, notation);
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
  if (std::isfinite(value))
    append_number(out, value);
  else
    out += "null";
}

namespace {

// Appends `text` without the zeros that end its fraction ("14.60" -> "14.6",
// "2.000" -> "2"); `text` may end in an exponent ("1.230e-05" -> "1.23e-05").
void append_trimmed(std::string& out, std::string_view text) {
  const auto exponent = std::min(text.find('e'), text.size());
  std::string_view mantissa = text.substr(0, exponent);
  if (mantissa.find('.') != std::string_view::npos) {
    while (mantissa.back() == '0') mantissa.remove_suffix(1);
    if (mantissa.back() == '.') mantissa.remove_suffix(1);
  }
  out.append(mantissa).append(text.substr(exponent));
}

} // namespace

void append_display_number(std::string& out, double value) {
  const double magnitude = std::abs(value);
  if (!std::isfinite(value) || magnitude >= 1e15 || (value == std::trunc(value))) {
    append_number(out, value); // whole numbers are data, shown as they are
    return;
  }
  std::array<char, 64> buffer{};
  std::to_chars_result result{};
  if (magnitude < 1e-3) {
    result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::scientific,
                           k_display_digits - 1);
  } else {
    // k_display_digits significant digits, but never fewer than the whole part has: 12345.6 reads as
    // 12346, not 12350.
    const int whole_digits = static_cast<int>(std::floor(std::log10(magnitude))) + 1;
    result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed,
                           std::max(0, k_display_digits - whole_digits));
  }
  append_trimmed(out, std::string_view(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data())));
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

std::string plain_decimal_text(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";
  // "d.ddde+XX": the shortest digits that read back to `value`, and where the point goes.
  std::array<char, 32> buffer{};
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), std::abs(value), std::chars_format::scientific);
  const std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  const auto e = text.find('e');
  std::string digits(text.substr(0, 1));
  if (e > 1) digits.append(text.substr(2, e - 2)); // "5e+00" has no point
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = 0;
  const auto exponent_text = text.substr(e + 2); // after "e+" or "e-"
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (text[e + 1] == '-') exponent = -exponent;
  std::string out = value < 0 ? "-" : "";
  const auto whole_digits = static_cast<std::ptrdiff_t>(exponent) + 1;
  const auto size = static_cast<std::ptrdiff_t>(digits.size());
  if (whole_digits <= 0)
    out += "0." + std::string(static_cast<std::size_t>(-whole_digits), '0') + digits;
  else if (whole_digits >= size)
    out += digits + std::string(static_cast<std::size_t>(whole_digits - size), '0');
  else
    out.append(digits, 0, static_cast<std::size_t>(whole_digits))
        .append(".")
        .append(digits, static_cast<std::size_t>(whole_digits));
  return out;
}

std::optional<std::int64_t> parse_whole_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::size_t> json_too_deep(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i; // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size()));
  return 1 + static_cast<std::size_t>(std::count(text.begin(), end, '\n'));
}

} // namespace health
