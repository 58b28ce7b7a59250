// The JSON values of render/: json_text writes what our text building
// blocks write, and nlohmann's dump of a statistic is what it was when
// analyze parsed our text back.

#include <health/format.hpp>

#include "render/json.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using health::Json;

namespace {

const double k_statistics[] = {0.41 + 0.42 + 0.43 + 0.44 + 0.45 + 0.46,
                               500500,
                               950.05,
                               1.0 / 3,
                               1e21,
                               1.23456789012345e15,
                               -2.5e-7,
                               0.0001,
                               123456789012345.6,
                               -42};

} // namespace

TEST_CASE("json: a statistic reads as append_statistic writes it", "[render]") {
  for (const double value : k_statistics) {
    INFO(value);
    CHECK(health::json_text(health::statistic_json(value)) == health::statistic_text(value));
    CHECK(health::statistic_json(value).dump() == Json::parse(health::statistic_text(value)).dump());
  }
  CHECK(health::json_text(health::statistic_json(-0.0)) == "-0");
  CHECK(health::statistic_json(std::numeric_limits<double>::infinity()).is_null());
  CHECK(health::statistic_json(std::nullopt).is_null());
  CHECK(health::statistic_json(2500.0).dump() == "2500"); // an integer, not 2500.0
}

TEST_CASE("json: json_text keeps key order and escapes as append_json_string", "[render]") {
  const Json doc{{"z", "a\"b\\c\bd\x01"}, {"a", Json::array({1, true, nullptr})}, {"m", Json::object()}};
  std::string escaped;
  health::append_json_string(escaped, "a\"b\\c\bd\x01");
  CHECK(health::json_text(doc) == "{\"z\":" + escaped + ",\"a\":[1,true,null],\"m\":{}}");
  CHECK(escaped == R"("a\"b\\c\u0008d\u0001")");
}
