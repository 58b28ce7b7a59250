#pragma once
// Seeded mutations of valid input, the way a hostile or careless user (or a
// broken producer) would garble it: flipped bits, stray bytes (NUL, 0xff,
// escape sequences, broken UTF-8), truncation, duplication, deep nesting,
// huge numbers and very long runs.
//
// Everything here is deterministic: a case is a seed, and the same seed
// gives the same bytes on every platform and standard library (no
// std::*_distribution, whose results differ between implementations).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace hostile {

// SplitMix64: small, fast and the same everywhere.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // A number in [0, n); 0 when n is 0.
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  // A number in [low, high].
  std::size_t between(std::size_t low, std::size_t high) { return low + below(high - low + 1); }
  bool percent(unsigned chance) { return below(100) < chance; }
  template <typename T> const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

private:
  std::uint64_t m_state;
};

// The seed of the whole suite: HOSTILE_SEED when set (to explore), else a
// fixed one, so CI runs the same cases every time.
inline std::uint64_t suite_seed() {
  if (const char* text = std::getenv("HOSTILE_SEED"); text != nullptr && *text != '\0')
    return std::strtoull(text, nullptr, 0);
  return 20250115;
}

// The seed of case `index` of `part`: independent of the other parts, so
// adding cases to one part leaves the cases of the others as they were.
inline std::uint64_t case_seed(std::string_view part, std::size_t index) {
  std::uint64_t hash = 0xcbf29ce484222325ULL ^ suite_seed(); // FNV-1a over the part's name
  for (const char c : part) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  Rng mix(hash + index * 0x9e3779b97f4a7c15ULL);
  return mix.next();
}

// Bytes a careless producer or a hostile user slips in.
inline const std::vector<std::string>& special_bytes() {
  static const std::vector<std::string> k_bytes = {
      std::string(1, '\0'), "\xff", "\xfe", "\x1b[31m", "\x1b]0;owned\x07", "\r", "\n", "\r\n", "\t",
      "\x7f", "\x08", "\xc2\x9b", "\x9b", "\xef\xbb\xbf", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "\xe2\x80\xae", "\xf0\x9f\x92\xa9", "\"", "\\", "\\\\", ",", ";", "=", ":", "{", "}", "[", "]",
      "@", "~", "-", "+", ".", "e", "E", " ", "null", "true", "\\u0000", "\\ud800", "\\u001b", "%s%n",
      "''", "$(id)", "`id`", "..", "/", "\\;", "\"\"", "1e", "0x1f"};
  return k_bytes;
}

// Numbers at and past every limit a parser might have.
inline const std::vector<std::string>& huge_numbers() {
  static const std::vector<std::string> k_numbers = {
      "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
      "18446744073709551615", "18446744073709551616", "2147483647", "2147483648", "4294967296",
      "1e308", "1.7976931348623157e308", "1e309", "-1e309", "4.9e-324", "1e-400", "-0", "0e0",
      "1" + std::string(400, '0'), "0." + std::string(400, '0') + "1", std::string(300, '9'),
      "253402300799", "253402300800", "253402300799999", "253402300800000", "-62135596800",
      "9223372036854775", "9223372036854776", "106751991167", "106751991167301", "NaN", "inf",
      "-inf", "Infinity", "0x7fffffffffffffff", "1_000", "1,5", "٣", "1e+", ".5", "5.", "+5", "00001"};
  return k_numbers;
}

// One mutation of `text`, chosen and placed by `rng`.
inline void mutate_once(std::string& text, Rng& rng) {
  const auto at = [&] { return rng.below(text.size() + 1); };
  switch (rng.below(12)) {
  case 0: // flip one bit
    if (!text.empty()) text[rng.below(text.size())] ^= static_cast<char>(1U << rng.below(8));
    break;
  case 1: // overwrite a byte with any byte
    if (!text.empty()) text[rng.below(text.size())] = static_cast<char>(rng.below(256));
    break;
  case 2: { // insert a few random bytes
    std::string bytes;
    for (std::size_t i = rng.between(1, 8); i > 0; --i) bytes += static_cast<char>(rng.below(256));
    text.insert(at(), bytes);
    break;
  }
  case 3: // insert a special byte sequence
    text.insert(at(), rng.pick(special_bytes()));
    break;
  case 4: { // delete a span
    const auto start = rng.below(text.size());
    text.erase(start, rng.between(1, 16));
    break;
  }
  case 5: // truncate
    text.resize(rng.below(text.size() + 1));
    break;
  case 6: { // duplicate a span in place
    const auto start = rng.below(text.size());
    const auto span = text.substr(start, rng.between(1, 64));
    text.insert(start, span);
    break;
  }
  case 7: { // nest deeply: [[[...]]] or {"a":{"a":...}}
    static const std::vector<std::size_t> k_depths = {63, 64, 65, 100, 1000, 20000};
    const auto depth = rng.pick(k_depths);
    const bool object = rng.percent(50);
    std::string nest;
    for (std::size_t i = 0; i < depth; ++i) nest += object ? "{\"a\":" : "[";
    nest += "1";
    for (std::size_t i = 0; i < depth; ++i) nest += object ? '}' : ']';
    text.insert(at(), nest);
    break;
  }
  case 8: { // replace a run of digits (or insert) with a huge number
    const auto start = text.find_first_of("0123456789", rng.below(text.size()));
    if (start == std::string::npos) {
      text.insert(at(), rng.pick(huge_numbers()));
      break;
    }
    auto end = text.find_first_not_of("0123456789.", start);
    if (end == std::string::npos) end = text.size();
    text.replace(start, end - start, rng.pick(huge_numbers()));
    break;
  }
  case 9: { // a very long run of one byte or token
    static const std::vector<std::size_t> k_lengths = {129, 1025, 4097, 16385, 70000};
    static const std::vector<std::string> k_tokens = {"a", "9", "\\", "\"", ",", ";", "=", " ", "\xff", "é"};
    const auto& token = rng.pick(k_tokens);
    const auto length = rng.pick(k_lengths);
    std::string run;
    run.reserve(length * token.size());
    for (std::size_t i = 0; i < length; ++i) run += token;
    text.insert(at(), run);
    break;
  }
  case 10: { // duplicate, drop or swap whole lines
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (auto newline = text.find('\n'); newline != std::string::npos; newline = text.find('\n', start)) {
      lines.push_back(text.substr(start, newline + 1 - start));
      start = newline + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    if (lines.empty()) break;
    const auto i = rng.below(lines.size());
    const auto j = rng.below(lines.size());
    switch (rng.below(3)) {
    case 0: lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), lines[j]); break;
    case 1: lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i)); break;
    default: std::swap(lines[i], lines[j]); break;
    }
    text.clear();
    for (const auto& line : lines) text += line;
    break;
  }
  default: { // replace a quoted string's content or a bare token with a special one
    const auto quote = text.find('"', rng.below(text.size()));
    if (quote == std::string::npos || quote + 1 >= text.size()) {
      text.insert(at(), rng.pick(special_bytes()));
      break;
    }
    const auto close = text.find('"', quote + 1);
    const auto end = close == std::string::npos ? text.size() : close;
    text.replace(quote + 1, end - quote - 1,
                 rng.percent(50) ? rng.pick(special_bytes()) : rng.pick(huge_numbers()));
    break;
  }
  }
}

// `text` after one to `max_rounds` mutations.
inline std::string mutate(std::string text, Rng& rng, std::size_t max_rounds = 3) {
  for (std::size_t i = rng.between(1, max_rounds); i > 0; --i) mutate_once(text, rng);
  return text;
}

// `text` quoted for a shell command line that reproduces a case: 'as is'
// when it is plain, else bash's $'...' with \xNN escapes (two hex digits
// at most, so a following letter is never read into the escape). Long text
// is shortened, with its length.
inline std::string shell_quoted(std::string_view text, std::size_t limit = 300) {
  static constexpr char k_hex[] = "0123456789abcdef";
  const bool plain = !text.empty() && text.size() <= limit &&
                     text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_.:/=,@+-") == std::string_view::npos;
  if (plain) return "'" + std::string(text) + "'";
  std::string out = "$'";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '\'') out.append(1, '\\').append(1, static_cast<char>(c));
    else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out.append("\\x").append(1, k_hex[c >> 4]).append(1, k_hex[c & 0xf]);
  }
  out += "'";
  if (text.size() > limit) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

} // namespace hostile
