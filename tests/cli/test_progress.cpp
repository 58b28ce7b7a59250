// Progress of long work on stderr: drawn only on a terminal whose TERM is
// set and not "dumb", never with -q, and cleared before the result.

#include "checks.hpp"

#include <catch2/catch.hpp>

namespace {

// A few samples of one series, as an NDJSON file in the sandbox.
std::string samples_file(const test::Sandbox& box) {
  std::string lines;
  for (int i = 0; i < 50; ++i)
    lines += R"({"ts_ms":)" + std::to_string(1700000000000 + i * 1000) + R"(,"component":"web","name":"hits","value":1})" + "\n";
  return box.write_file("samples.ndjson", lines);
}

bool has_escape(const std::string& text) {
  return text.find('\033') != std::string::npos || text.find('\r') != std::string::npos;
}

} // namespace

TEST_CASE("progress: ingest draws a line with the file's total on a terminal and clears it", "[cli][progress]") {
  test::Sandbox box;
  box.env["TERM"] = "xterm";
  const auto file = samples_file(box);
  const auto result = box.healthctl_on_terminal({"ingest", file});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::StartsWith("\rhealthctl: ingest: reading 100% ("));
  CHECK_THAT(result.err, Catch::EndsWith("\033[K\r\033[K"));
  CHECK_THAT(result.out, Catch::Contains("50 samples"));
  CHECK(result.out.find('\033') == std::string::npos);
}

TEST_CASE("progress: no escape codes under TERM=dumb, without TERM, with -q or off a terminal",
          "[cli][progress]") {
  test::Sandbox box;
  const auto file = samples_file(box);
  box.env["TERM"] = "dumb";
  auto result = box.healthctl_on_terminal({"ingest", file});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  box.env.erase("TERM");
  result = box.healthctl_on_terminal({"ingest", "--dry-run", file});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  box.env["TERM"] = "xterm";
  result = box.healthctl_on_terminal({"-q", "backup", "create"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  result = box.healthctl({"ingest", "--dry-run", file}); // stderr is a file
  CHECK(result.exit_code == 0);
  CHECK_FALSE(has_escape(result.err));
}

TEST_CASE("progress: backup create, restore and cleanup with vacuum draw their steps", "[cli][progress]") {
  test::Sandbox box;
  box.env["TERM"] = "xterm-256color";
  REQUIRE(box.healthctl({"record", "web", "hits", "--at", "-40d"}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "web", "hits"}).exit_code == 0);

  auto result = box.healthctl_on_terminal({"backup", "create"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("\rhealthctl: backup create: copying 0% (0 MB of "));
  CHECK_THAT(result.err, Catch::EndsWith("\r\033[K"));

  const auto listed = box.healthctl({"backup", "list", "--format", "json"});
  const auto at = listed.out.find("\"path\":\"");
  REQUIRE(at != std::string::npos);
  const auto path = listed.out.substr(at + 8, listed.out.find('"', at + 8) - at - 8);
  result = box.healthctl_on_terminal({"backup", "restore", "--yes", path});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("healthctl: backup restore: safety copy "));
  CHECK_THAT(result.err, Catch::Contains("healthctl: backup restore: restoring 100% ("));
  CHECK_THAT(result.out, Catch::Contains("restored"));

  result = box.healthctl_on_terminal({"cleanup", "--vacuum"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("healthctl: cleanup: removing samples 1"));
  CHECK_THAT(result.err, Catch::Contains("healthctl: cleanup: vacuum 0 s"));
  CHECK_THAT(result.err, Catch::EndsWith("\r\033[K"));
}
