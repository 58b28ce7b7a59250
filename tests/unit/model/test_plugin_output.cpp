// A monitoring plugin's output: the message and its performance data.

#include <health/perfdata.hpp>

#include <catch2/catch.hpp>

using health::parse_plugin_output;

TEST_CASE("plugin output: the first line is the message and what follows its bar is perfdata") {
  const auto out = parse_plugin_output("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n");
  CHECK(out.message == "DISK OK - free space: / 3326 MB (56%);");
  REQUIRE(out.perfdata.size() == 1);
  CHECK(out.perfdata[0].name == "_");
  CHECK(out.perfdata[0].value == 2643.0 * 1048576.0);
  CHECK(out.perfdata[0].unit == "bytes");
}

TEST_CASE("plugin output: units become healthctl's, quoted labels keep their words") {
  const auto out = parse_plugin_output(
      "OK | time=0.002s;1;2;0 'used space'=45% load1=0.5;; requests=1200c size=2KB");
  REQUIRE(out.perfdata.size() == 5);
  CHECK(out.perfdata[0].name == "time");
  CHECK(out.perfdata[0].unit == "s");
  CHECK(out.perfdata[0].value == 0.002);
  CHECK(out.perfdata[1].name == "used_space");
  CHECK(out.perfdata[1].unit == "percent");
  CHECK(out.perfdata[2].unit == "");
  CHECK(out.perfdata[3].unit == "count");
  CHECK(out.perfdata[4].value == 2048);
  CHECK(out.skipped.empty());
}

TEST_CASE("plugin output: perfdata on a later line of long text counts too") {
  const auto out = parse_plugin_output("WARNING - 3 jobs late | late=3\nlong text\nmore | queued=7;10;20\n");
  CHECK(out.message == "WARNING - 3 jobs late");
  REQUIRE(out.perfdata.size() == 2);
  CHECK(out.perfdata[1].name == "queued");
  CHECK(out.perfdata[1].value == 7);
}

TEST_CASE("plugin output: what cannot be read is skipped and listed, never thrown") {
  const auto out = parse_plugin_output("OK | a=U b c=1parsec d=nan e=1e999 =5 f=12");
  REQUIRE(out.perfdata.size() == 1);
  CHECK(out.perfdata[0].name == "f");
  CHECK(out.skipped == std::vector<std::string>{"a=U", "b", "c=1parsec", "d=nan", "e=1e999", "=5"});
  CHECK(parse_plugin_output("").message.empty());
  CHECK(parse_plugin_output("  no perfdata  ").message == "no perfdata");
  const auto bytes = parse_plugin_output(std::string("\0\xff|\xff=1", 6)); // a label of any bytes still names
  REQUIRE(bytes.perfdata.size() == 1);
  CHECK(bytes.perfdata[0].name == "_");
}
