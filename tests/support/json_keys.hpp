#pragma once
// The keys of a JSON object in the order the text has them, to check an
// order a format fixes.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace test {

inline std::vector<std::string> json_keys(const nlohmann::ordered_json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

} // namespace test
