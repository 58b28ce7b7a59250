#pragma once
// The document of `threshold import` and `probe import`: one JSON object
// holding a list under `key`. Internal to issues/.

#include <health/error.hpp>
#include <health/format.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace health::import_json {

// The list under `key` of the JSON object `text`; Error(bad_data) naming
// `source` when it is nested too deep, not JSON or not {"key":[...]}.
inline nlohmann::json list_of(std::string_view text, const std::string& source, const std::string& key) {
  if (const auto deep = json_too_deep(text))
    throw Error(ErrorKind::bad_data,
                source + ":" + std::to_string(line_of(text, *deep)) + ": nested deeper than " +
                    std::to_string(k_max_json_depth) + " levels",
                "nothing was imported");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(ErrorKind::bad_data, source + ": not JSON (byte " + std::to_string(error.byte) + ")",
                "nothing was imported", error.what());
  }
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_array())
    throw Error(ErrorKind::bad_data, source + ": expected {\"" + key + "\":[...]}", "nothing was imported");
  return std::move(doc[key]);
}

} // namespace health::import_json
