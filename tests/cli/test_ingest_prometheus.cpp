// ingest --format prometheus|openmetrics and ingest --url end to end: an
// export --format prometheus ingested into a fresh database exports the same
// samples, .prom and .om files are known by their extension, a scrape of a
// server of the test's own on a loopback port turns a counter into an
// increment, and every error a user can hit exits with its code.

#include "checks.hpp"
#include "http_server.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <sstream>

using test::check_error;
using test::closed_port;
using Exporter = test::HttpServer;

namespace {

// The sample lines of an exposition: every line but comments.
std::vector<std::string> sample_lines(const std::string& exposition) {
  std::vector<std::string> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

void run_ok(const test::Sandbox& box, const std::vector<std::string>& args, const std::string& input = {}) {
  const auto result = box.healthctl(args, input);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
}

// The rows `sql` answers from the database at `path`, read in-process (no
// run of the binary): columns joined by '|', one row a line.
std::string query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  const int prepared = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  INFO(sqlite3_errmsg(db));
  std::string out;
  if (prepared == SQLITE_OK) {
    while (sqlite3_step(statement) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        if (i > 0) out += '|';
        const unsigned char* text = sqlite3_column_text(statement, i);
        out += text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
      }
      out += '\n';
    }
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  REQUIRE(prepared == SQLITE_OK);
  return out;
}

// What the database holds: every series with its totals and every sample.
std::string stored(const std::string& path) {
  return query(path, "SELECT s.component, s.name, s.labels, s.type, s.unit, s.sample_count, s.total_sum, "
                     "s.scraped_total, s.scraped_at, p.ts_ms, p.value FROM series s "
                     "LEFT JOIN samples p ON p.series_id = s.id ORDER BY s.id, p.ts_ms, p.seq");
}

} // namespace

TEST_CASE("ingest prometheus: an export ingested into a fresh database exports the same samples", "[cli][ingest]") {
  test::Sandbox box;
  // Counters with labels that need escaping, units that map to base units,
  // a camelCase gauge, a name with a reserved suffix, another node.
  run_ok(box, {"record", "api", "requests=3", "requests=2", "-l", "route=/a\"b"});
  run_ok(box, {"record", "api", "requests=7", "queueLength=4:gauge", "queueLength=6:gauge", "jobs_count=9:gauge"});
  run_ok(box, {"record", "db", "cpu_ms=1500:counter:ms", "size=12:gauge:MB"});
  run_ok(box, {"record", "system", "disk_used=71.4:gauge:percent", "--node", "db-1"});
  const auto original = box.healthctl({"export", "--format", "prometheus"});
  REQUIRE(original.exit_code == 0);
  REQUIRE(sample_lines(original.out).size() == 7);

  const std::string copy = (box.dir() / "copy.db").string();
  const auto ingested = box.healthctl({"--db", copy, "ingest", "--format", "prometheus"}, original.out);
  INFO(ingested.err);
  REQUIRE(ingested.exit_code == 0);
  CHECK(ingested.err.empty());
  CHECK(ingested.out == "ingested 4 samples into 7 series (7 new) from " +
                            std::to_string(std::count(original.out.begin(), original.out.end(), '\n')) +
                            " lines in 1 batch; 3 counters seen for the first time (their totals noted)\n");

  const auto again = box.healthctl({"--db", copy, "export", "--format", "prometheus"});
  REQUIRE(again.exit_code == 0);
  CHECK(sample_lines(again.out) == sample_lines(original.out));
  for (const char* line : {"requests_total{node=\"test-node\",component=\"api\",route=\"/a\\\"b\"} 5",
                           "requests_total{node=\"test-node\",component=\"api\"} 7",
                           "cpu_seconds_total{node=\"test-node\",component=\"db\"} 1.5",
                           "queue_length{node=\"test-node\",component=\"api\"} 6",
                           "size_bytes{node=\"test-node\",component=\"db\"} 12582912",
                           "disk_used_percent{node=\"db-1\",component=\"system\"} 71.4"}) {
    CAPTURE(line);
    CHECK_THAT(again.out, Catch::Contains(std::string(line) + "\n"));
  }
  // The copy's series are typed and their units read off the names; the
  // counters hold no sample yet, only the totals noted.
  CHECK(query(copy, "SELECT node, component, name, labels, type, unit, sample_count, total_sum, scraped_total "
                    "FROM series WHERE type = 'counter' OR unit != '' ORDER BY name, labels") ==
        "test-node|db|cpu_seconds_total||counter|s|0|1.5|1.5\n"
        "db-1|system|disk_used_percent||gauge|%|1|71.4|NULL\n"
        "test-node|api|requests_total||counter||0|7.0|7.0\n"
        "test-node|api|requests_total|route=/a\"b|counter||0|5.0|5.0\n"
        "test-node|db|size_bytes||gauge|bytes|1|12582912.0|NULL\n");
}

TEST_CASE("ingest prometheus: .prom and .om files are known by their extension, --component applies",
          "[cli][ingest]") {
  test::Sandbox box;
  box.write_file("scrape.prom", "# HELP app_requests_total Requests.\n"
                                "# TYPE app_requests_total counter\n"
                                "app_requests_total{code=\"200\"} 10\n"
                                "app_requests_total{code=\"500\",component=\"edge\"} 2\n"
                                "# TYPE app_temp_celsius gauge\n"
                                "app_temp_celsius 21.5\n");
  const auto first = box.healthctl({"ingest", "scrape.prom", "--component", "web"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "ingested 1 samples into 3 series (3 new) from 6 lines in 1 batch; "
                     "2 counters seen for the first time (their totals noted)\n");
  CHECK(query(box.db(), "SELECT node, component, name, labels, type, total_sum FROM series ORDER BY id") ==
        "test-node|web|app_requests_total|code=200|counter|10.0\n"
        "test-node|edge|app_requests_total|code=500|counter|2.0\n"
        "test-node|web|app_temp_celsius||gauge|21.5\n");

  // OpenMetrics by .om: seconds with a fraction, history as increments.
  // Times after the first ingest's, within the 10 minutes ahead allowed.
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() + 2;
  box.write_file("history.om", "# TYPE app_requests counter\n"
                               "app_requests_total{code=\"200\"} 14 " + std::to_string(now_s) + ".5\n"
                               "app_requests_total{code=\"200\"} 19 " + std::to_string(now_s + 60) + "\n"
                               "# EOF\n");
  const auto history = box.healthctl({"ingest", "history.om", "--component", "web"});
  INFO(history.err);
  REQUIRE(history.exit_code == 0);
  CHECK(history.out == "ingested 2 samples into 1 series (0 new) from 4 lines in 1 batch\n");
  CHECK(query(box.db(), "SELECT ts_ms, value FROM samples JOIN series ON series.id = series_id "
                        "WHERE name = 'app_requests_total' ORDER BY ts_ms") ==
        std::to_string(now_s) + "500|4.0\n" + std::to_string(now_s + 60) + "000|5.0\n");
  CHECK(query(box.db(), "SELECT total_sum, scraped_total, scraped_at FROM series WHERE labels = 'code=200'") ==
        "19.0|19.0|" + std::to_string(now_s + 60) + "000\n");

  // .om is OpenMetrics: without its # EOF it is refused, and nothing written.
  const auto before = test::slurp(box.db());
  box.write_file("cut.om", "app_temp_celsius 20\n");
  check_error(box.healthctl({"ingest", "cut.om"}), 65, "# EOF");
  CHECK(test::slurp(box.db()) == before);
}

TEST_CASE("ingest prometheus: a scrape of --url twice records the counter's increment", "[cli][ingest]") {
  if (test::without_net()) return;
  test::Sandbox box;
  Exporter exporter(200, "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 5\n"
                         "# TYPE queue_depth gauge\nqueue_depth 3\n");
  const auto first = box.healthctl({"ingest", "--url", exporter.url("/metrics"), "--component", "worker"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "ingested 1 samples into 2 series (2 new) from 5 lines in 1 batch; "
                     "1 counter seen for the first time (its total noted)\n");
  CHECK(exporter.heads().size() == 1);

  exporter.set_body("# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 12\n# TYPE queue_depth gauge\nqueue_depth 1\n");
  const auto second = box.healthctl({"ingest", "--url", exporter.url("/metrics"), "--component", "worker"});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out == "ingested 2 samples into 2 series (0 new) from 4 lines in 1 batch\n");
  CHECK(exporter.heads().size() == 2);
  CHECK(query(box.db(), "SELECT s.component, s.labels, value, scraped_total, total_sum FROM samples "
                        "JOIN series s ON s.id = series_id WHERE name = 'jobs_total'") ==
        "worker|queue=mail|7.0|12.0|12.0\n");
  CHECK(query(box.db(), "SELECT value FROM samples JOIN series s ON s.id = series_id WHERE name = 'queue_depth' "
                        "ORDER BY ts_ms") == "3.0\n1.0\n");

  // A bad line of a scrape is named by the URL and its line; nothing written.
  const auto before = test::slurp(box.db());
  exporter.set_body("# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 13\nqueue_depth{x=\"1} 2\n");
  check_error(box.healthctl({"ingest", "--url", exporter.url("/metrics"), "--component", "worker"}), 65,
              exporter.url("/metrics") + ":3: ");
  CHECK(test::slurp(box.db()) == before);
}

TEST_CASE("ingest prometheus: a scrape answered 404, 503 or not at all exits 1 or 75", "[cli][ingest]") {
  if (test::without_net()) return;
  test::Sandbox box;
  {
    const Exporter missing(404, "no such page\n");
    check_error(box.healthctl({"ingest", "--url", missing.url("/metrics")}), 1, "HTTP 404");
  }
  {
    const Exporter busy(503, "overloaded\n");
    check_error(box.healthctl({"ingest", "--url", busy.url("/metrics")}), 75, "HTTP 503");
  }
  const auto closed = "http://127.0.0.1:" + std::to_string(closed_port()) + "/metrics";
  check_error(box.healthctl({"ingest", "--url", closed, "--timeout", "2s"}), 75, closed);
  // A failed scrape comes before the database: none was made.
  CHECK_FALSE(std::filesystem::exists(box.db()));
}

TEST_CASE("ingest prometheus: --url with files, another scheme, or a batch size is a usage error",
          "[cli][ingest]") {
  test::Sandbox box;
  const auto file = box.write_file("x.prom", "x 1\n");
  check_error(box.healthctl({"ingest", "--url", "http://127.0.0.1:9/metrics", file}), 2, "not both");
  check_error(box.healthctl({"ingest", "--url", "ftp://x"}), 2, "ftp://x");
  check_error(box.healthctl({"ingest", "--batch-size", "5", "--format", "prometheus"}, "x 1\n"), 2, "--batch-size");
}

TEST_CASE("ingest prometheus: a malformed line exits 65 naming file and line, nothing written", "[cli][ingest]") {
  test::Sandbox box;
  box.write_file("good.prom", "# TYPE hits_total counter\nhits_total 4\ntemp 20\n");
  run_ok(box, {"ingest", "good.prom"});
  const auto before = test::slurp(box.db());
  const auto state = stored(box.db());
  CHECK_THAT(state, Catch::StartsWith("prometheus|hits_total||counter||0|4.0|4.0|"));
  CHECK_THAT(state, Catch::Contains("\nprometheus|temp||gauge||1|20.0|NULL|NULL|"));

  // Lines 1 and 2 a counter's next total, 3 to 52 gauges, 53 the bad line.
  std::string text = "# TYPE hits_total counter\nhits_total 9\n";
  for (int i = 0; i < 50; ++i) text += "temp{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
  box.write_file("bad.prom", text + "temp{i=\"x\"} 1 2 3\n");
  check_error(box.healthctl({"ingest", "bad.prom"}), 65, "bad.prom:53: ");
  // From standard input, and a bad line in a second file after a good one.
  check_error(box.healthctl({"ingest", "--format", "prometheus"}, text + "temp{i=\"\\x\"} 1\n"), 65, "<stdin>:53: ");
  box.write_file("second.prom", "temp 21\nNaN\n");
  check_error(box.healthctl({"ingest", "--format", "prometheus", "bad.prom", "second.prom"}), 65, "bad.prom:53: ");
  check_error(box.healthctl({"ingest", "good.prom", "second.prom"}), 65, "second.prom:2: ");

  CHECK(test::slurp(box.db()) == before);
  CHECK(stored(box.db()) == state);
}

TEST_CASE("ingest: --url asks for the format it reads", "[cli][ingest]") {
  if (test::without_net()) return;
  test::Sandbox box;
  Exporter exporter(200, "# TYPE up gauge\nup 1\n# EOF\n");
  REQUIRE(box.healthctl({"ingest", "--url", exporter.url("/metrics"), "--format", "openmetrics"}).exit_code == 0);
  REQUIRE(box.healthctl({"ingest", "--url", exporter.url("/metrics"), "-q"}).exit_code == 0); // # EOF: a comment here
  const auto heads = exporter.heads();
  REQUIRE(heads.size() == 2);
  CHECK_THAT(heads[0], Catch::Contains("Accept: application/openmetrics-text;version=1.0.0"));
  CHECK_THAT(heads[1], Catch::Contains("Accept: text/plain;version=0.0.4"));
}
