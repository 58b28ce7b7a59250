// report end to end: every format, the file written atomically and the
// database left as it was, and the error paths with their exit codes.

#include "checks.hpp"
#include "occurrences.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

using nlohmann::json;
using test::occurrences;
using test::check_error;

namespace {

constexpr const char* k_until = "2026-11-20T12:00:00Z";
constexpr long long k_until_s = 1795176000;

// Two days of one sample a minute before k_until: api/latency_ms eight
// times higher for 20 minutes 6 hours before it, api/requests a counter,
// and a threshold on the latency.
void seed(const test::Sandbox& box) {
  std::string csv = "ts,component,name,type,unit,value\n";
  for (int minute = 2 * 1440; minute > 0; --minute) {
    const std::string ts = "@" + std::to_string(k_until_s - 60LL * minute);
    const int latency = (100 + (minute * 37) % 11) * (minute <= 360 && minute > 340 ? 8 : 1);
    csv += ts + ",api,latency_ms,timer,ms," + std::to_string(latency) + "\n";
    csv += ts + ",api,requests,counter,," + std::to_string(50 + minute % 7) + "\n";
  }
  REQUIRE(box.healthctl({"ingest", "--format", "csv", "-q", "-"}, csv).exit_code == 0);
  REQUIRE(box.healthctl({"threshold", "set", "api", "latency_ms", "--agg", "p95", "--warn", "150"}).exit_code == 0);
}

} // namespace

TEST_CASE("report: the HTML page to stdout or atomically to a file, the database untouched", "[cli][report]") {
  test::Sandbox box;
  seed(box);
  const auto before = test::slurp(box.db());
  const auto page = box.healthctl({"report", "--since", "1d", "--until", k_until});
  REQUIRE(page.exit_code == 0);
  CHECK(page.err.empty());
  CHECK_THAT(page.out, Catch::StartsWith("<!DOCTYPE html>\n"));
  CHECK_THAT(page.out, Catch::EndsWith("</html>\n"));
  CHECK(occurrences(page.out, "<svg class=\"chart\"") == 2);
  CHECK(occurrences(page.out, "<g class=\"bars\">") == 1);      // api/requests
  CHECK(occurrences(page.out, "<g class=\"finding anomaly\">") == 1); // the spike
  CHECK_THAT(page.out, Catch::Contains("warn p95 150"));

  const auto written = box.healthctl({"report", "--since", "1d", "--until", k_until, "-o", (box.dir() / "week.html").string()});
  REQUIRE(written.exit_code == 0);
  CHECK(written.out.empty());
  CHECK(test::slurp((box.dir() / "week.html").string()) == page.out); // a past --until gives the same page twice
  CHECK((std::filesystem::status((box.dir() / "week.html").string()).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::others_read); // made to be shared
  for (const auto& entry : std::filesystem::directory_iterator(box.dir()))
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  CHECK(test::slurp(box.db()) == before);

  // On a terminal, a last line says what was written.
  const auto told = box.healthctl_on_terminal({"report", "--format", "csv", "-o", (box.dir() / "week.csv").string()});
  CHECK(told.exit_code == 0);
  CHECK_THAT(told.err, Catch::Contains("wrote the csv report ("));
}

TEST_CASE("report: markdown, csv and json", "[cli][report]") {
  test::Sandbox box;
  seed(box);
  const auto md = box.healthctl({"report", "--since", "1d", "--until", k_until, "--format", "markdown"});
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, Catch::StartsWith("# Health report: HEALTHY\n"));
  CHECK_THAT(md.out, Catch::Contains("\n## Issue timeline\n\nNo issue was open in the period.\n"));
  CHECK_THAT(md.out, Catch::Contains("| api/latency_ms | healthy | timer | ms | 1440 |"));

  const auto csv = box.healthctl({"report", "--since", "1d", "--until", k_until, "--format", "csv", "-c", "api"});
  REQUIRE(csv.exit_code == 0);
  CHECK(occurrences(csv.out, "\n") == 3);
  CHECK_THAT(csv.out, Catch::Contains("\napi,requests,,"));

  const auto doc = box.healthctl({"report", "--since", "1d", "--until", k_until, "--format", "json"});
  REQUIRE(doc.exit_code == 0);
  const auto report = json::parse(doc.out);
  CHECK(report["generated_at"] == "2026-11-20T12:00:00.000Z");
  CHECK(report["history_step"] == "10m");
  CHECK(report["components"][0]["series"][0]["history"].size() == 144);
  CHECK(report["thresholds"][0]["warn"] == "150");
  CHECK(report["timeline"].empty());
}

TEST_CASE("report: errors name the problem and exit with its code", "[cli][report][errors]") {
  test::Sandbox box;
  check_error(box.healthctl({"report"}), 66, "no database at");
  seed(box);
  check_error(box.healthctl({"report", "-c", "nope"}), 66, "no component 'nope' in the database");
  check_error(box.healthctl({"report", "--format", "table"}), 2, "unsupported format 'table' for report");
  check_error(box.healthctl({"report", "--since", "2099-01-01"}), 2, "--since '2099-01-01' is not in the past");
  check_error(box.healthctl({"report", "--until", "2099-01-01"}), 2, "--until '2099-01-01' is in the future");
  check_error(box.healthctl({"report", "--since", "2026-11-21", "--until", k_until}), 2,
              "--since '2026-11-21' is not before --until");
  check_error(box.healthctl({"report", "--baseline", "3mo"}), 2, "3mo");
  check_error(box.healthctl({"report", "-o", (box.dir() / "missing/dir/week.html").string()}), 1, "missing/dir");
  CHECK_FALSE(std::filesystem::exists(box.dir() / "missing"));
}
