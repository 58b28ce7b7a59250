#include <health/run.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <string>

using health::ProcessOutcome;
using Kind = ProcessOutcome::Kind;

namespace {

ProcessOutcome outcome(Kind kind, int status = 0, int error_number = 0) {
  ProcessOutcome out;
  out.kind = kind;
  out.exit_status = status;
  out.signal_number = status;
  out.error_number = error_number;
  return out;
}

} // namespace

TEST_CASE("run: the exit code is the command's, or what a shell and timeout give", "[run]") {
  CHECK(health::run_exit_code(outcome(Kind::exited, 0)) == 0);
  CHECK(health::run_exit_code(outcome(Kind::exited, 3)) == 3);
  CHECK(health::run_exit_code(outcome(Kind::signaled, SIGKILL)) == 128 + SIGKILL);
  CHECK(health::run_exit_code(outcome(Kind::timed_out)) == 124);
  CHECK(health::run_exit_code(outcome(Kind::not_started, 0, ENOENT)) == 127);
  CHECK(health::run_exit_code(outcome(Kind::not_started, 0, EACCES)) == 126);
  CHECK(health::run_exit_code(outcome(Kind::not_started, 0, ENOEXEC)) == 126);
  CHECK(health::run_exit_code(outcome(Kind::not_started, 0, EMFILE)) == 125);
  CHECK(health::run_exit_code(outcome(Kind::lost)) == 125);
}

TEST_CASE("run: the output context keeps the end that fits 4 KiB of JSON, on a character boundary", "[run]") {
  CHECK(health::output_context("").empty());
  CHECK(health::output_context("done\n") == R"({"output_tail":"done\n"})");

  // Escapes cost more than their byte: quotes, backslashes, control characters.
  for (const std::string& unit : {std::string("x"), std::string("\"\\"), std::string("\x01"), std::string("\xc3\xa9"),
                                 std::string("\xe2\x82\xac\n")}) {
    std::string output;
    while (output.size() < 10000) output += unit;
    output += "END";
    const std::string context = health::output_context(output);
    INFO("unit of " << unit.size() << " bytes");
    CHECK(context.size() <= health::k_max_context_bytes);
    CHECK(context.size() > health::k_max_context_bytes - 8); // as full as the characters allow
    const std::string tail = nlohmann::json::parse(context)["output_tail"];
    CHECK(output.compare(output.size() - tail.size(), tail.size(), tail) == 0);
    REQUIRE(!tail.empty());
    CHECK((static_cast<unsigned char>(tail[0]) & 0xc0) != 0x80); // no character cut in half
  }
}

TEST_CASE("run: invalid UTF-8 in the output becomes U+FFFD in the context", "[run]") {
  const std::string context = health::output_context("a\xff" "b\xc3" "c\xed\xa0\x80" "d");
  const std::string tail = nlohmann::json::parse(context)["output_tail"];
  CHECK(tail == "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d");
}

TEST_CASE("run: a job's series carry its component, the label job and the labels given", "[run]") {
  health::JobSpec job{"nightly", "web-1", "", {{"team", "ops"}, {"job", "other"}}};
  auto spec = health::job_series(job, "duration_s", health::MetricType::timer, "s");
  CHECK(spec.key.component == "nightly");
  CHECK(spec.key.node == "web-1");
  CHECK(spec.key.labels == health::Labels{{"job", "nightly"}, {"team", "ops"}});
  CHECK(spec.unit == "s");
  job.component = "backups";
  CHECK(health::job_series(job, "runs", health::MetricType::counter).key.component == "backups");
}
