#include <health/error.hpp>
#include <health/render.hpp>

#include "csv.hpp"

#include <catch2/catch.hpp>

namespace {

// The text a SqlWriter of `format` writes for two rows of every kind of cell.
std::string written(health::Format format) {
  std::string out;
  health::SqlWriter writer(format, [&](std::string_view text) { out += text; });
  writer.columns({"n", "x", "text", "blob", "none"});
  writer.row({std::int64_t{1}, 2.5, std::string("a,\"b\""), health::Blob{"\x01\xff"}, std::monostate{}});
  writer.row({std::int64_t{-2}, 1e21, std::string("line\nbreak"), health::Blob{""}, std::monostate{}});
  writer.finish();
  return out;
}

} // namespace

TEST_CASE("sql: csv quotes text, leaves NULL empty and writes blobs as hex", "[render]") {
  const auto rows = test::parse_csv(written(health::Format::csv));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"n", "x", "text", "blob", "none"});
  CHECK(rows[1] == std::vector<std::string>{"1", "2.5", "a,\"b\"", "x'01ff'", ""});
  CHECK(rows[2] == std::vector<std::string>{"-2", "1e+21", "line\nbreak", "x''", ""});
}

TEST_CASE("sql: json is one array, ndjson one object a line", "[render]") {
  const std::string first = R"({"n":1,"x":2.5,"text":"a,\"b\"","blob":"01ff","none":null})";
  const std::string second = R"({"n":-2,"x":1e+21,"text":"line\nbreak","blob":"","none":null})";
  CHECK(written(health::Format::json) == "[" + first + "," + second + "]\n");
  CHECK(written(health::Format::ndjson) == first + "\n" + second + "\n");
}

TEST_CASE("sql: the table aligns every row and shows NULL", "[render]") {
  CHECK_THAT(written(health::Format::table), Catch::StartsWith("n   x      text        blob     none\n"
                                                               "1   2.5    a,\"b\"       x'01ff'  NULL\n"));
  CHECK_THROWS_AS(health::SqlWriter(health::Format::nagios, [](std::string_view) {}), health::Error);
}

TEST_CASE("sql: the table is written while rows come, not held to the end", "[render]") {
  std::string out;
  health::SqlWriter writer(health::Format::table, [&](std::string_view text) { out += text; });
  writer.columns({"n", "text"});
  for (std::int64_t n = 1; n <= 100000; ++n) writer.row({n, std::string("row")});
  // Of about 1.2 MB of table, all but the last piece (under 64 KiB and a row)
  // is out before finish.
  const auto written_before_finish = out.size();
  CHECK(out.rfind("n     text\n1     row\n", 0) == 0);
  writer.finish();
  CHECK(out.size() > 1000000);
  CHECK(out.size() - written_before_finish < 100000);
  CHECK(out.substr(out.size() - 12) == "100000  row\n");
}

TEST_CASE("sql: table widths come from the first 1000 rows, a wider value widens its column from its row on", "[render]") {
  std::string out;
  health::SqlWriter writer(health::Format::table, [&](std::string_view text) { out += text; });
  writer.columns({"n", "text"});
  for (std::int64_t n = 1; n <= 1000; ++n) writer.row({n, std::string("a")});
  writer.row({std::int64_t{1234567}, std::string("b")});
  writer.row({std::int64_t{1}, std::monostate{}});
  writer.finish();
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(out.substr(start, end - start));
  REQUIRE(lines.size() == 1003);
  CHECK(lines[0] == "n     text");
  CHECK(lines[1] == "1     a");
  CHECK(lines[1000] == "1000  a");
  CHECK(lines[1001] == "1234567  b");
  CHECK(lines[1002] == "1        NULL");
}
