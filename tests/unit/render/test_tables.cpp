#include <health/error.hpp>
#include <health/render.hpp>

#include <catch2/catch.hpp>

using health::Sparklines;

TEST_CASE("tables: sparklines scale from lowest to highest, blank where no data", "[render]") {
  CHECK(health::sparkline({0.0, 1.0, 2.0, 3.0, 4.0}, Sparklines::ascii) == "_.-~^");
  CHECK(health::sparkline({1.0, std::nullopt, 1.0}, Sparklines::ascii) == "- -"); // flat sits in the middle
  CHECK(health::sparkline({0.0, 7.0}, Sparklines::unicode) == "\u2581\u2588");
  CHECK(health::sparkline({}, Sparklines::unicode).empty());
  CHECK(health::sparkline({0.0, 7.0}, Sparklines::none).empty());
}

TEST_CASE("tables: markdown tables escape the cell separator", "[render]") {
  CHECK(health::format_markdown_table({"a", "b"}, {{"1", "x|y"}}) == "| a | b |\n| --- | --- |\n| 1 | x\\|y |\n");
}

TEST_CASE("tables: columns align on code points and the last column is not padded", "[render]") {
  CHECK(health::format_table({"NAME", "TREND", "X"}, {{"\u00e9t\u00e9", "up", ""}, {"a", "downward", "1"}}) ==
        "NAME  TREND     X\n"
        "\u00e9t\u00e9   up\n"
        "a     downward  1\n");
}

TEST_CASE("tables: format names read back, and an unknown one is a usage error", "[render]") {
  for (const auto format : {health::Format::text, health::Format::table, health::Format::json, health::Format::ndjson,
                            health::Format::csv, health::Format::tsv, health::Format::markdown, health::Format::nagios})
    CHECK(health::parse_format(health::to_string(format)) == format);
  CHECK_THROWS_AS(health::parse_format("yaml"), health::Error);
}
