#include <health/format.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

namespace {

std::string statistic(double value) {
  std::string out;
  health::append_statistic(out, value);
  return out;
}

} // namespace

TEST_CASE("format: statistics drop binary noise, keep what matters", "[format]") {
  CHECK(statistic(0.41 + 0.42 + 0.43 + 0.44 + 0.45 + 0.46) == "2.61");
  CHECK(statistic(500500) == "500500");
  CHECK(statistic(950.05) == "950.05");
  CHECK(statistic(1.0 / 3) == "0.333333333333333");
  CHECK(statistic(1e21) == "1e+21");
  CHECK(statistic(std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("format: plain decimals have no exponent and no binary noise", "[format]") {
  CHECK(health::plain_decimal_text(1e9) == "1000000000");
  CHECK(health::plain_decimal_text(2.5e-05) == "0.000025");
  CHECK(health::plain_decimal_text(-1234.5) == "-1234.5");
  CHECK(health::plain_decimal_text(0.1 + 0.2) == "0.3");
  CHECK(health::plain_decimal_text(1.0 / 3) == "0.333333333333333");
  CHECK(health::plain_decimal_text(1e21) == "1000000000000000000000");
  CHECK(health::plain_decimal_text(123456789012345678.0) == "123456789012346000");
  CHECK(health::plain_decimal_text(0.99999999999999999) == "1");
  CHECK(health::plain_decimal_text(9.9999999999999999e-5) == "0.0001");
  CHECK(health::plain_decimal_text(-0.0) == "0");
  CHECK(health::plain_decimal_text(42) == "42");
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::infinity()).empty());
  CHECK(health::plain_decimal_text(-std::numeric_limits<double>::infinity()).empty());
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::quiet_NaN()).empty());
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::denorm_min()) ==
        "0." + std::string(323, '0') + "494065645841247");
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::max()) ==
        "179769313486232" + std::string(294, '0'));
}

TEST_CASE("format: numbers for people", "[format]") {
  CHECK(health::display_number(500) == "500");
  CHECK(health::display_number(38.5) == "38.5");
  CHECK(health::display_number(1.0 / 3) == "0.333");
  CHECK(health::display_number(0.0123456) == "0.0123");
  CHECK(health::display_number(1234.567) == "1235");
  CHECK(health::display_number(-2.987) == "-2.99");
  CHECK(health::display_number(0.00004) == "4.0e-05");
}

TEST_CASE("format: rounding to decimals or significant digits", "[format]") {
  CHECK(health::round_decimals(38.456, 1) == Approx(38.5).margin(1e-12));
  CHECK(health::round_decimals(1234.5, -2) == 1200);
  CHECK(health::round_decimals(0.12345, 3) == Approx(0.123).margin(1e-12));
  CHECK(health::round_significant(4165250.123, 6) == 4165250);
  CHECK(health::round_significant(0.000123456789, 3) == Approx(0.000123).epsilon(1e-12));
  CHECK(health::round_significant(-98765.4321, 2) == -99000);
  CHECK(health::round_significant(0, 6) == 0);
  CHECK(std::isinf(health::round_significant(std::numeric_limits<double>::infinity(), 6)));
}
TEST_CASE("format: parse_whole_number takes all of the text or nothing", "[format]") {
  CHECK(health::parse_whole_number("0") == 0);
  CHECK(health::parse_whole_number("-42") == -42);
  CHECK(health::parse_whole_number("9223372036854775807") == INT64_MAX);
  CHECK_FALSE(health::parse_whole_number(""));
  CHECK_FALSE(health::parse_whole_number("+1"));
  CHECK_FALSE(health::parse_whole_number("12ms"));
  CHECK_FALSE(health::parse_whole_number("1.5"));
  CHECK_FALSE(health::parse_whole_number(" 1"));
  CHECK_FALSE(health::parse_whole_number("9223372036854775808"));
}

TEST_CASE("format: json_too_deep finds the first bracket past the limit, skipping strings", "[format]") {
  CHECK_FALSE(health::json_too_deep(R"({"a":[1,{"b":2}]})", 3));
  CHECK(health::json_too_deep(R"({"a":[1,{"b":2}]})", 2) == std::size_t{8});
  CHECK_FALSE(health::json_too_deep(R"({"a":"[[[[{{{{"})", 1));          // inside a string
  CHECK_FALSE(health::json_too_deep(R"({"a":"\"[[[[","b":1})", 1));      // an escaped quote
  CHECK(health::json_too_deep(std::string(100000, '['), 64) == std::size_t{64}); // no valid JSON needed
  CHECK(health::line_of("a\nb\nc", 4) == 3);
  CHECK(health::line_of("abc", 0) == 1);
}

TEST_CASE("format: UTF-8 is checked as RFC 3629 says, and JSON strings are always valid", "[format]") {
  CHECK(health::is_valid_utf8("plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80"));
  for (const char* bad : {"\xff", "bad \xff byte", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xe2\x82"}) {
    INFO(health::number_text(static_cast<unsigned char>(bad[0])));
    CHECK_FALSE(health::is_valid_utf8(bad));
  }
  std::string out;
  health::append_json_string(out, "bad \xff byte, caf\xc3\xa9, cut \xe2\x82");
  CHECK(out == "\"bad \xef\xbf\xbd byte, caf\xc3\xa9, cut \xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(health::is_valid_utf8(out));
}
