#include <health/format.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace {

std::string statistic(double value) {
  std::string out;
  health::append_statistic(out, value);
  return out;
}

} // namespace

TEST_CASE("format: statistics are written in full, shortest form first", "[format]") {
  CHECK(statistic(0.1 + 0.2) == "0.30000000000000004"); // not rounded to look nicer than it is
  CHECK(statistic(500500) == "500500");
  CHECK(statistic(950.05) == "950.05");
  CHECK(statistic(1.0 / 3) == "0.3333333333333333");
  CHECK(statistic(14.604395604395604) == "14.604395604395604");
  CHECK(statistic(1e21) == "1e+21");
  CHECK(statistic(std::numeric_limits<double>::infinity()) == "null");
  CHECK(statistic(-std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("format: every statistic reads back to the same double", "[format]") {
  std::uint64_t state = 0x9e3779b97f4a7c15u; // splitmix64: the same values on every run
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    double value = 0;
    std::memcpy(&value, &z, sizeof value);
    if (!std::isfinite(value)) continue;
    const std::string text = statistic(value);
    const std::string plain = health::plain_decimal_text(value);
    INFO(text);
    CHECK(std::strtod(text.c_str(), nullptr) == value);
    CHECK(std::strtod(plain.c_str(), nullptr) == value);
    CHECK(plain.find_first_of("eE") == std::string::npos);
  }
}

TEST_CASE("format: plain decimals have no exponent and carry every digit", "[format]") {
  CHECK(health::plain_decimal_text(1e9) == "1000000000");
  CHECK(health::plain_decimal_text(2.5e-05) == "0.000025");
  CHECK(health::plain_decimal_text(-1234.5) == "-1234.5");
  CHECK(health::plain_decimal_text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(health::plain_decimal_text(1.0 / 3) == "0.3333333333333333");
  CHECK(health::plain_decimal_text(1e21) == "1000000000000000000000");
  CHECK(health::plain_decimal_text(123456789012345678.0) == "123456789012345680");
  CHECK(health::plain_decimal_text(0.99999999999999999) == "1");
  CHECK(health::plain_decimal_text(5) == "5");
  CHECK(health::plain_decimal_text(0.5) == "0.5");
  CHECK(health::plain_decimal_text(-0.0) == "0");
  CHECK(health::plain_decimal_text(42) == "42");
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::infinity()).empty());
  CHECK(health::plain_decimal_text(-std::numeric_limits<double>::infinity()).empty());
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::quiet_NaN()).empty());
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::denorm_min()) == "0." + std::string(323, '0') + "5");
  CHECK(health::plain_decimal_text(std::numeric_limits<double>::max()) == "17976931348623157" + std::string(292, '0'));
}

TEST_CASE("format: numbers for people have at most 4 significant digits", "[format]") {
  CHECK(health::display_number(14.604395604395604) == "14.6");
  CHECK(health::display_number(14.6543956) == "14.65");
  CHECK(health::display_number(500) == "500");
  CHECK(health::display_number(123456) == "123456"); // whole numbers are data: never rounded
  CHECK(health::display_number(38.5) == "38.5");
  CHECK(health::display_number(1.0 / 3) == "0.3333");
  CHECK(health::display_number(0.0123456) == "0.01235");
  CHECK(health::display_number(0.001) == "0.001");
  CHECK(health::display_number(1234.567) == "1235");
  CHECK(health::display_number(12345.6) == "12346"); // never fewer digits than the whole part
  CHECK(health::display_number(9.99996) == "10");
  CHECK(health::display_number(-2.98765) == "-2.988");
  CHECK(health::display_number(0.00004) == "4e-05");
  CHECK(health::display_number(0.000012345) == "1.234e-05");
  CHECK(health::display_number(1e300) == "1e+300");
  CHECK(health::display_number(-0.0) == "-0");
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

TEST_CASE("format: numbers are plain from 1e-6 up to 1e21, as JavaScript writes them", "[format]") {
  CHECK(health::number_text(280000000) == "280000000"); // not the shorter "2.8e+08"
  CHECK(health::number_text(0.000025) == "0.000025");
  CHECK(health::number_text(0.000001) == "0.000001");
  CHECK(health::number_text(1.5e-7) == "1.5e-07");
  CHECK(health::number_text(123456789012345680000.0) == "123456789012345683968"); // the exact whole value
  CHECK(health::number_text(1e21) == "1e+21");
  CHECK(health::number_text(-45.7) == "-45.7");
  CHECK(health::number_text(0) == "0");
  CHECK(health::number_text(-0.0) == "-0");
}
