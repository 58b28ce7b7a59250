#pragma once
// How many times `what` occurs in `text` (overlapping occurrences counted):
// how tests count the elements of a rendered page or document.

#include <cstddef>
#include <string_view>

namespace test {

inline std::size_t occurrences(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

} // namespace test
