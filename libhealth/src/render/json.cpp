#include "render/json.hpp"

#include <health/format.hpp>

#include <charconv>
#include <cmath>

namespace health {

void append_json(std::string& out, const Json& value) {
  switch (value.type()) {
  case Json::value_t::object: {
    out += '{';
    for (auto member = value.begin(); member != value.end(); ++member) {
      if (member != value.begin()) out += ',';
      append_json_string(out, member.key());
      out += ':';
      append_json(out, member.value());
    }
    out += '}';
    return;
  }
  case Json::value_t::array:
    out += '[';
    for (auto item = value.begin(); item != value.end(); ++item) {
      if (item != value.begin()) out += ',';
      append_json(out, *item);
    }
    out += ']';
    return;
  case Json::value_t::string: append_json_string(out, value.get_ref<const std::string&>()); return;
  case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
  case Json::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); return;
  case Json::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); return;
  case Json::value_t::number_float: append_statistic(out, value.get<double>()); return;
  case Json::value_t::null:
  case Json::value_t::binary:
  case Json::value_t::discarded: out += "null"; return;
  }
}

std::string json_text(const Json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

Json statistic_json(double value) {
  if (!std::isfinite(value)) return nullptr;
  const std::string text = statistic_text(value);
  const char* end = text.data() + text.size();
  if (text.find_first_of(".e") == std::string::npos && text != "-0") {
    std::int64_t whole = 0; // below 1e15: 15 digits
    std::from_chars(text.data(), end, whole);
    return whole;
  }
  double rounded = 0;
  std::from_chars(text.data(), end, rounded);
  return rounded;
}

Json statistic_json(const std::optional<double>& value) {
  return value ? statistic_json(*value) : Json(nullptr);
}

Json time_json(const std::optional<Millis>& t) { return t ? Json(format_time(*t)) : Json(nullptr); }

Json labels_json(const Labels& labels) {
  Json out = Json::object();
  for (const auto& [key, value] : labels) out[key] = value;
  return out;
}

} // namespace health
