#include <health/error.hpp>
#include <health/format.hpp>
#include <health/range.hpp>

#include <catch2/catch.hpp>

using health::AlertRange;

TEST_CASE("range: every form of the plugin syntax, endpoints inclusive", "[range]") {
  const auto r10 = AlertRange::parse("10"); // alert outside 0..10
  CHECK(r10.alerts(-0.5));
  CHECK_FALSE(r10.alerts(0));
  CHECK_FALSE(r10.alerts(10));
  CHECK(r10.alerts(10.001));
  CHECK(r10.describe() == "outside 0..10");
  CHECK(r10.text() == "10");

  const auto below = AlertRange::parse("10:"); // alert below 10
  CHECK(below.alerts(9.99));
  CHECK_FALSE(below.alerts(10));
  CHECK_FALSE(below.alerts(1e9));
  CHECK(below.describe() == "below 10");
  CHECK(below.text() == "10:");

  const auto above = AlertRange::parse("~:10"); // alert above 10
  CHECK(above.alerts(10.5));
  CHECK_FALSE(above.alerts(10));
  CHECK_FALSE(above.alerts(-1e9));
  CHECK(above.describe() == "above 10");
  CHECK(above.text() == "~:10");

  const auto band = AlertRange::parse("10:20");
  CHECK(band.alerts(9));
  CHECK_FALSE(band.alerts(10));
  CHECK_FALSE(band.alerts(20));
  CHECK(band.alerts(21));
  CHECK(band.describe() == "outside 10..20");

  const auto inside = AlertRange::parse("@10:20");
  CHECK(inside.alerts(10));
  CHECK(inside.alerts(20));
  CHECK(inside.alerts(15));
  CHECK_FALSE(inside.alerts(9.9));
  CHECK_FALSE(inside.alerts(20.1));
  CHECK(inside.describe() == "inside 10..20");
  CHECK(inside.text() == "@10:20");

  CHECK(AlertRange::parse("-5:-1").alerts(0));
  CHECK(AlertRange::parse("0.5:1.5").describe() == "outside 0.5..1.5");
  CHECK(AlertRange::parse("0:10").text() == "10"); // normalized
  CHECK(AlertRange::parse("10").crossed_bound(12) == 10);
  CHECK(AlertRange::parse("10:20").crossed_bound(3) == 10);
  CHECK(AlertRange::parse("~:10").crossed_bound(30) == 10);
}

TEST_CASE("range: the text with another number writer, such as plain decimals", "[range]") {
  CHECK(AlertRange::parse("1000000000").text() == "1000000000");
  CHECK(AlertRange::parse("1000000000").text(health::plain_decimal_text) == "1000000000");
  CHECK(AlertRange::parse("@0.00001:2e9").text(health::plain_decimal_text) == "@0.00001:2000000000");
  CHECK(AlertRange::parse("~:1e-6").text(health::plain_decimal_text) == "~:0.000001");
  CHECK(AlertRange::parse("-1e10:").text(health::plain_decimal_text) == "-10000000000:");
  CHECK(AlertRange::parse("0:1e9").text(health::plain_decimal_text) == "1000000000"); // normalized
}

TEST_CASE("range: malformed ranges are usage errors naming the text", "[range]") {
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"10:5", "its start is above its end"},
           {"", "it is empty"},
           {"@", "it is empty"},
           {"abc", "'abc' is not a number"},
           {"1:x", "'x' is not a number"},
           {"1e999", "'1e999' is not a number"},
           {"~", "'~' is not a number"},
           {"5:3:1", "'3:1' is not a number"}}) {
    INFO("range '" << text << "'");
    try {
      AlertRange::parse(text);
      FAIL("accepted");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::usage);
      CHECK(std::string(error.what()) == "invalid range '" + text + "': " + why);
    }
  }
}
