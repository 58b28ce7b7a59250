#pragma once
// An enum's values with their names in one table, so that printing and
// parsing can never disagree.

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace health {

template <typename Enum> using EnumName = std::pair<Enum, std::string_view>;

// The name of `value` in `table`; the first entry's name when it is missing.
template <typename Enum, std::size_t N>
constexpr std::string_view name_of(const EnumName<Enum> (&table)[N], Enum value) {
  for (const auto& [each, name] : table)
    if (each == value) return name;
  return table[0].second;
}

// The value named `name` in `table`, or nullopt.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_named(const EnumName<Enum> (&table)[N], std::string_view name) {
  for (const auto& [value, each] : table)
    if (each == name) return value;
  return std::nullopt;
}

} // namespace health
