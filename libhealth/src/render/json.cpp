#include "render/json.hpp"

#include <health/format.hpp>

#include <cmath>

namespace health {

template <typename AnyJson> void append_json(std::string& out, const AnyJson& value) {
  using value_t = typename AnyJson::value_t;
  switch (value.type()) {
  case value_t::object: {
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
  case value_t::array:
    out += '[';
    for (auto item = value.begin(); item != value.end(); ++item) {
      if (item != value.begin()) out += ',';
      append_json(out, *item);
    }
    out += ']';
    return;
  case value_t::string: append_json_string(out, value.template get_ref<const std::string&>()); return;
  case value_t::boolean: out += value.template get<bool>() ? "true" : "false"; return;
  case value_t::number_integer: out += std::to_string(value.template get<std::int64_t>()); return;
  case value_t::number_unsigned: out += std::to_string(value.template get<std::uint64_t>()); return;
  case value_t::number_float: append_statistic(out, value.template get<double>()); return;
  case value_t::null:
  case value_t::binary:
  case value_t::discarded: out += "null"; return;
  }
}

template void append_json(std::string&, const Json&);
template void append_json(std::string&, const nlohmann::json&);

std::string json_text(const Json& value) { return dump_json(value); }

Json statistic_json(double value) {
  if (!std::isfinite(value)) return nullptr;
  // Below 2^63 every whole double is an exact int64; -0 stays a double.
  const bool negative_zero = value == 0 && std::signbit(value);
  if (value == std::trunc(value) && std::abs(value) < 0x1p63 && !negative_zero) return static_cast<std::int64_t>(value);
  return value;
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
