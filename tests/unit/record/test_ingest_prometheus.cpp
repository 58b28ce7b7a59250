// ingest --format prometheus|openmetrics in-process: the exposition parser
// (names, labels and their escapes, special values, timestamps of both
// dialects, comments, exemplars, # EOF and every malformed line), and how
// samples become series (gauges, counters as increments between totals,
// summaries, histograms, units, nodes and components, times), all or nothing.

#include <health/error.hpp>
#include <health/export.hpp>
#include <health/ingest.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>

#include "record/exposition.hpp"
#include "store/sqlite.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using health::exposition::Dialect;
using health::exposition::Kind;

constexpr health::Millis k_now = 1736937000000; // 2025-01-15T10:30:00Z
constexpr health::Millis k_minute = 60000;

// A Point with its own copies of what the parser's string_views show.
struct Parsed {
  std::string family;
  Kind kind = Kind::unknown;
  std::string unit;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::optional<health::Millis> at;
  std::uint64_t line = 0;
};

std::vector<Parsed> parse(const std::string& text, Dialect dialect, std::uint64_t* lines = nullptr) {
  std::istringstream in(text);
  std::vector<Parsed> out;
  const auto read = health::exposition::read(in, "input", dialect, [&](const health::exposition::Point& p) {
    out.push_back({std::string(p.family), p.kind, std::string(p.unit), std::string(p.name), p.labels, p.value, p.at,
                   p.line});
  });
  if (lines != nullptr) *lines = read;
  return out;
}

using LabelList = std::vector<std::pair<std::string, std::string>>;

std::string error_text(const std::function<void()>& action, health::ErrorKind kind) {
  try {
    action();
  } catch (const health::Error& error) {
    CHECK(error.kind() == kind);
    return error.what();
  }
  FAIL("no health::Error thrown");
  return {};
}

struct Fixture : test::StoreFixture {
  health::IngestReport ingest(const std::string& text, health::IngestFormat format = health::IngestFormat::prometheus,
                              health::Millis now = k_now) {
    health::IngestOptions options = base_options(format, now);
    return ingest_with(text, options);
  }

  health::IngestReport ingest_with(const std::string& text, const health::IngestOptions& options) {
    std::istringstream in(text);
    return health::ingest(&store, {{"input", &in}}, options);
  }

  static health::IngestOptions base_options(health::IngestFormat format, health::Millis now = k_now) {
    health::IngestOptions options;
    options.format = format;
    options.default_node = "node-1";
    options.now = now;
    return options;
  }

  // The one series named `name` (and holding `labels`, when given).
  health::SeriesInfo series(const std::string& name, const health::Labels& labels = {}) {
    health::SeriesFilter filter;
    filter.metrics = {name};
    filter.labels = labels;
    const auto found = health::list_series(store, filter, health::WithStats::yes);
    REQUIRE(found.size() == 1);
    return found.front();
  }

  // The samples of that series as (time, value), in time order.
  std::vector<std::pair<health::Millis, double>> samples(const std::string& name, const health::Labels& labels = {}) {
    health::SeriesFilter filter;
    filter.metrics = {name};
    filter.labels = labels;
    std::vector<std::pair<health::Millis, double>> out;
    health::scan_samples(store, filter, {-(health::Millis{1} << 60), health::Millis{1} << 60},
                         [&](const health::SampleRow& row) { out.emplace_back(row.ts, row.value); });
    return out;
  }

  std::optional<double> scraped_total(std::int64_t id) {
    health::sqlite::Statement query(store.handle(), "SELECT scraped_total FROM series WHERE id = ?1");
    query.bind(1, id);
    REQUIRE(query.step());
    return query.optional_real(0);
  }

  // Everything a write could change: every series row with its counts,
  // totals and scraped state, and every sample.
  std::string state() {
    std::string out;
    health::sqlite::Statement series(
        store.handle(), "SELECT id || '|' || node || '|' || component || '|' || name || '|' || labels || '|' || "
                        "type || '|' || unit || '|' || sample_count || '|' || total_count || '|' || total_sum || "
                        "'|' || ifnull(scraped_total, '-') || '|' || ifnull(scraped_at, '-') FROM series ORDER BY id");
    while (series.step()) out += std::string(series.text(0)) + "\n";
    health::sqlite::Statement rows(store.handle(), "SELECT series_id || '|' || ts_ms || '|' || seq || '|' || value "
                                                   "FROM samples ORDER BY series_id, ts_ms, seq");
    while (rows.step()) out += std::string(rows.text(0)) + "\n";
    return out;
  }

  // What export --format prometheus prints now.
  std::string exposition() { return health::render_prometheus(health::current_series(store, {}, k_now)); }
};

} // namespace

// ---- the parser

TEST_CASE("prometheus parser: colons in names, escaped labels, special values and millisecond times",
          "[ingest][prometheus]") {
  const std::string text = "# HELP http:requests:rate5m Requests a second, over 5 minutes\n"
                           "# TYPE http:requests:rate5m gauge\n"
                           "# any other comment\n"
                           "#no space: not a keyword\n"
                           R"(http:requests:rate5m{path="C:\\dir",msg="say \"hi\"\nbye",} 1e3 1736937000123)"
                           "\r\n"
                           "\n"
                           "temp NaN\r\n"
                           "temp{x=\"1\"} +Inf\n"
                           "temp{x=\"2\"} -Inf 5\n"
                           "temp{} -2.5e-1\n";
  std::uint64_t lines = 0;
  const auto points = parse(text, Dialect::prometheus, &lines);
  CHECK(lines == 10);
  REQUIRE(points.size() == 5);

  CHECK(points[0].family == "http:requests:rate5m");
  CHECK(points[0].kind == Kind::gauge);
  CHECK(points[0].name == "http:requests:rate5m");
  CHECK(points[0].labels == LabelList{{"path", "C:\\dir"}, {"msg", "say \"hi\"\nbye"}});
  CHECK(points[0].value == 1000.0);
  CHECK(points[0].at == std::optional<health::Millis>(1736937000123));
  CHECK(points[0].line == 5);
  CHECK(points[0].unit.empty());

  CHECK(points[1].name == "temp");
  CHECK(points[1].family == "temp");
  CHECK(points[1].kind == Kind::unknown);
  CHECK(std::isnan(points[1].value));
  CHECK_FALSE(points[1].at.has_value());
  CHECK(points[1].line == 7);
  CHECK(points[1].labels.empty());

  CHECK(points[2].value == std::numeric_limits<double>::infinity());
  CHECK(points[2].labels == LabelList{{"x", "1"}});
  CHECK(points[3].value == -std::numeric_limits<double>::infinity());
  CHECK(points[3].at == std::optional<health::Millis>(5));
  CHECK(points[4].value == -0.25);
  CHECK(points[4].labels.empty());
  CHECK(points[4].line == 10);
}

TEST_CASE("prometheus parser: a family's suffixed samples belong to it, others stand alone", "[ingest][prometheus]") {
  const auto points = parse("# TYPE rpc_seconds summary\n"
                            "rpc_seconds{quantile=\"0.5\"} 1\n"
                            "rpc_seconds_sum 2\n"
                            "rpc_seconds_count 3\n"
                            "rpc_seconds_bucket 4\n" // not a summary's suffix
                            "# TYPE hits_total counter\n"
                            "hits_total 5\n",
                            Dialect::prometheus);
  REQUIRE(points.size() == 5);
  for (int i = 0; i < 3; ++i) {
    CHECK(points[static_cast<std::size_t>(i)].family == "rpc_seconds");
    CHECK(points[static_cast<std::size_t>(i)].kind == Kind::summary);
  }
  CHECK(points[1].name == "rpc_seconds_sum");
  CHECK(points[2].name == "rpc_seconds_count");
  CHECK(points[3].family == "rpc_seconds_bucket");
  CHECK(points[3].kind == Kind::unknown);
  CHECK(points[4].family == "hits_total");
  CHECK(points[4].kind == Kind::counter);
}

TEST_CASE("openmetrics parser: seconds with a fraction, UNIT, exemplars after a timestamp and EOF",
          "[ingest][prometheus]") {
  const auto points = parse("# TYPE job_seconds counter\r\n"
                            "# UNIT job_seconds seconds\n"
                            "# HELP job_seconds Time spent in jobs.\n"
                            "job_seconds_total{q=\"a\"} 5 1736937000.5 # {trace_id=\"a\"} 1 1.5\n"
                            "job_seconds_created{q=\"a\"} 1736930000\n"
                            "job_seconds_total{q=\"a\"} 7 1736937060\n"
                            "# EOF\n",
                            Dialect::openmetrics);
  REQUIRE(points.size() == 3);
  CHECK(points[0].family == "job_seconds");
  CHECK(points[0].kind == Kind::counter);
  CHECK(points[0].unit == "seconds");
  CHECK(points[0].name == "job_seconds_total");
  CHECK(points[0].labels == LabelList{{"q", "a"}});
  CHECK(points[0].value == 5);
  CHECK(points[0].at == std::optional<health::Millis>(1736937000500));
  CHECK(points[0].line == 4);
  CHECK(points[1].name == "job_seconds_created");
  CHECK(points[1].family == "job_seconds");
  CHECK(points[2].at == std::optional<health::Millis>(1736937060000));
  // In the text format the same time is milliseconds, and # EOF a comment.
  const auto text = parse("x 1 1736937000500\n# EOF\n", Dialect::prometheus);
  REQUIRE(text.size() == 1);
  CHECK(text[0].at == std::optional<health::Millis>(1736937000500));
}

TEST_CASE("openmetrics parser: an exemplar on a sample without a timestamp is ignored", "[ingest][prometheus]") {
  // OpenMetrics: sample = metricname [labels] SP value [SP timestamp] [exemplar]
  // and exemplar = SP "#" SP labelset SP number [SP timestamp].
  std::vector<Parsed> points;
  CHECK_NOTHROW(points = parse("# TYPE x counter\n"
                               "x_total 5 # {trace_id=\"a\"} 1 1.5\n"
                               "# EOF\n",
                               Dialect::openmetrics));
  REQUIRE(points.size() == 1);
  CHECK(points[0].name == "x_total");
  CHECK(points[0].value == 5);
  CHECK_FALSE(points[0].at.has_value());
}

TEST_CASE("prometheus parser: every malformed line is bad data named by its source and line",
          "[ingest][prometheus]") {
  struct Bad {
    std::string text;
    Dialect dialect;
    std::string prefix;
    std::string problem;
  };
  const std::vector<Bad> cases{
      {"ok 1\nmissing_value\n", Dialect::prometheus, "input:2: ", "expected a space before the value"},
      {"ok 1\n\nspace_only \n", Dialect::prometheus, "input:3: ", "a sample without a value"},
      {"bad_number 1.2.3\n", Dialect::prometheus, "input:1: ", "'1.2.3' is not a number"},
      {"bad_number{a=\"b\"} twelve\n", Dialect::prometheus, "input:1: ", "'twelve' is not a number"},
      {"unclosed{a=\"b} 1\n", Dialect::prometheus, "input:1: ", "without its closing quote"},
      {"escape{a=\"\\t\"} 1\n", Dialect::prometheus, "input:1: ", "unknown escape \\t"},
      {"no_close{a=\"b\" 1\n", Dialect::prometheus, "input:1: ", "expected '}'"},
      {"junk 1 1000 more\n", Dialect::prometheus, "input:1: ", "unexpected 'more' after the sample"},
      {"seconds 1 1736937000.5\n", Dialect::prometheus, "input:1: ", "not whole milliseconds"},
      {"# TYPE t bogus\nt 1\n", Dialect::prometheus, "input:1: ", "unknown metric type 'bogus'"},
      {"# TYPE t\n", Dialect::prometheus, "input:1: ", "needs a metric name and a value"},
      {"{a=\"b\"} 1\n", Dialect::prometheus, "input:1: ", "expected a metric name"},
      {"x 1 soon\n# EOF\n", Dialect::openmetrics, "input:1: ", "is not seconds"},
      {"x 1 2 junk\n# EOF\n", Dialect::openmetrics, "input:1: ", "unexpected 'junk'"},
      {"x 1\n# EOF\nx 2\n", Dialect::openmetrics, "input:3: ", "a line after # EOF"},
  };
  for (const auto& bad : cases) {
    CAPTURE(bad.text);
    const auto message =
        error_text([&] { parse(bad.text, bad.dialect); }, health::ErrorKind::bad_data);
    CHECK_THAT(message, Catch::StartsWith(bad.prefix));
    CHECK_THAT(message, Catch::Contains(bad.problem));
  }
  // OpenMetrics without its # EOF: cut short.
  const auto cut = error_text([] { parse("x 1\n", Dialect::openmetrics); }, health::ErrorKind::bad_data);
  CHECK_THAT(cut, Catch::StartsWith("input: "));
  CHECK_THAT(cut, Catch::Contains("# EOF"));
  // Empty lines after # EOF are no lines.
  CHECK(parse("x 1\n# EOF\n\n", Dialect::openmetrics).size() == 1);
}

TEST_CASE("prometheus ingest: a bad line late in the input writes nothing", "[ingest][prometheus]") {
  Fixture f;
  // A counter noted before, so that a scraped total that moves would show.
  f.ingest("# TYPE jobs_total counter\njobs_total 10\n");
  REQUIRE(f.ingest("g 1\n", health::IngestFormat::prometheus, k_now + k_minute).samples == 1);
  const auto before = f.state();
  const auto lines_of = [](const std::string& last, bool openmetrics) {
    std::string text = "# TYPE jobs_total counter\njobs_total 25\n";
    for (int i = 0; i < 200; ++i) text += "g{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
    text += "# TYPE new_total counter\nnew_total 3\n";
    text += last;
    if (openmetrics) text += "# EOF\n";
    return text;
  };
  // Lines 1 and 2 the counter, 3 to 202 gauges, 203 and 204 a new counter, 205 the bad line.
  for (const std::string last : {"g{a=\"\\q\"} 1\n", "g 1 2 3\n", "g\n", "g{a=\"b} 1\n", "# TYPE g bogus\n"}) {
    CAPTURE(last);
    const auto message = error_text(
        [&] { f.ingest(lines_of(last, false), health::IngestFormat::prometheus, k_now + 2 * k_minute); },
        health::ErrorKind::bad_data);
    CHECK_THAT(message, Catch::StartsWith("input:205: "));
    CHECK(f.state() == before);
  }
  // OpenMetrics cut short (no # EOF) writes nothing either.
  std::string cut = lines_of("", false);
  error_text([&] { f.ingest(cut, health::IngestFormat::openmetrics, k_now + 2 * k_minute); },
             health::ErrorKind::bad_data);
  CHECK(f.state() == before);
  // And the same input whole is taken.
  const auto report = f.ingest(lines_of("", true), health::IngestFormat::openmetrics, k_now + 2 * k_minute);
  CHECK(report.samples == 201); // 200 gauges and the increment of jobs_total
  CHECK(report.counters_started == 1);
  CHECK(f.state() != before);
}

// ---- samples as series

TEST_CASE("prometheus ingest: gauges and untyped samples are gauge values, labels node and component honoured",
          "[ingest][prometheus]") {
  Fixture f;
  auto options = Fixture::base_options(health::IngestFormat::prometheus);
  options.component = "scraped";
  const auto report = f.ingest_with("# TYPE room_temp gauge\n"
                                    "room_temp{node=\"web-2\",component=\"hvac\",room=\"a\"} 21.5\n"
                                    "room_temp{room=\"b\"} 19\n"
                                    "free_bytes 1024\n"
                                    "# TYPE load untyped\n"
                                    "load 0.5\n",
                                    options);
  CHECK(report.samples == 4);
  CHECK(report.series == 4);
  CHECK(report.new_series == 4);
  CHECK(report.counters_started == 0);
  CHECK(report.lines == 6);
  CHECK(report.batches == 1);

  const auto a = f.series("room_temp", {{"room", "a"}});
  CHECK(a.node == "web-2");
  CHECK(a.component == "hvac");
  CHECK(a.type == health::MetricType::gauge);
  CHECK(a.labels == health::Labels{{"room", "a"}});
  CHECK(f.samples("room_temp", {{"room", "a"}}) == std::vector<std::pair<health::Millis, double>>{{k_now, 21.5}});
  const auto b = f.series("room_temp", {{"room", "b"}});
  CHECK(b.node == "node-1");
  CHECK(b.component == "scraped");
  const auto free = f.series("free_bytes");
  CHECK(free.type == health::MetricType::gauge);
  CHECK(free.unit == "bytes");
  CHECK(free.component == "scraped");
  const auto load = f.series("load");
  CHECK(load.type == health::MetricType::gauge);
  CHECK(load.unit.empty());
  CHECK(f.samples("load") == std::vector<std::pair<health::Millis, double>>{{k_now, 0.5}});

  // The same gauge values at the same time again: duplicates, nothing doubled.
  const auto again = f.ingest_with("room_temp{node=\"web-2\",component=\"hvac\",room=\"a\"} 21.5\n", options);
  CHECK(again.samples == 0);
  CHECK(again.duplicates == 1);
  CHECK(f.samples("room_temp", {{"room", "a"}}).size() == 1);
}

TEST_CASE("prometheus ingest: a counter's first total is noted, then increments, resets and duplicates",
          "[ingest][prometheus]") {
  Fixture f;
  const std::string head = "# HELP requests_total Requests.\n# TYPE requests_total counter\n";
  const auto first = f.ingest(head + "requests_total{code=\"200\"} 100\n");
  CHECK(first.samples == 0);
  CHECK(first.counters_started == 1);
  CHECK(first.series == 1);
  CHECK(first.new_series == 1);
  auto s = f.series("requests_total");
  CHECK(s.type == health::MetricType::counter);
  CHECK(s.unit.empty());
  CHECK(s.count == 0);
  CHECK(s.total_sum == 100);
  CHECK(f.scraped_total(s.id) == std::optional<double>(100));
  CHECK(f.samples("requests_total").empty());
  // export --format prometheus says what the exporter said.
  CHECK_THAT(f.exposition(), Catch::Contains("requests_total{node=\"node-1\",component=\"prometheus\",code=\"200\"} 100\n"));

  const auto second = f.ingest(head + "requests_total{code=\"200\"} 130\n", health::IngestFormat::prometheus,
                               k_now + k_minute);
  CHECK(second.samples == 1);
  CHECK(second.counters_started == 0);
  CHECK(second.new_series == 0);
  CHECK(f.samples("requests_total") == std::vector<std::pair<health::Millis, double>>{{k_now + k_minute, 30}});
  CHECK(f.series("requests_total").total_sum == 130);
  CHECK_THAT(f.exposition(), Catch::Contains("code=\"200\"} 130\n"));

  // A lower total: the exporter restarted, the increment is the new total.
  const auto reset = f.ingest(head + "requests_total{code=\"200\"} 20\n", health::IngestFormat::prometheus,
                              k_now + 2 * k_minute);
  CHECK(reset.samples == 1);
  CHECK(f.samples("requests_total").back() == std::pair<health::Millis, double>{k_now + 2 * k_minute, 20});
  CHECK(f.series("requests_total").total_sum == 150);
  CHECK(f.scraped_total(s.id) == std::optional<double>(20));

  // The same time again (or earlier): a duplicate, nothing recorded.
  const auto before = f.state();
  const auto same = f.ingest(head + "requests_total{code=\"200\"} 25\n", health::IngestFormat::prometheus,
                             k_now + 2 * k_minute);
  CHECK(same.samples == 0);
  CHECK(same.duplicates == 1);
  const auto older = f.ingest(head + "requests_total{code=\"200\"} 25\n", health::IngestFormat::prometheus,
                              k_now + k_minute);
  CHECK(older.duplicates == 1);
  CHECK(f.state() == before);

  // A new label set of the same family starts on its own.
  const auto other = f.ingest(head + "requests_total{code=\"200\"} 26\nrequests_total{code=\"500\"} 4\n",
                              health::IngestFormat::prometheus, k_now + 3 * k_minute);
  CHECK(other.samples == 1);
  CHECK(other.counters_started == 1);
  CHECK(f.series("requests_total", {{"code", "500"}}).total_sum == 4);
  CHECK(f.series("requests_total", {{"code", "200"}}).total_sum == 156);
}

TEST_CASE("prometheus ingest: summaries and histograms, _created skipped, NaN counted", "[ingest][prometheus]") {
  Fixture f;
  const auto report = f.ingest("# TYPE rpc_duration_seconds summary\n"
                               "rpc_duration_seconds{quantile=\"0.5\"} 0.012\n"
                               "rpc_duration_seconds{quantile=\"0.99\"} NaN\n"
                               "rpc_duration_seconds_sum 17.5\n"
                               "rpc_duration_seconds_count 42\n"
                               "rpc_duration_seconds_created 1736930000\n"
                               "# TYPE req_seconds histogram\n"
                               "req_seconds_bucket{le=\"0.1\"} 3\n"
                               "req_seconds_bucket{le=\"+Inf\"} 5\n"
                               "req_seconds_sum 0.7\n"
                               "req_seconds_count 5\n"
                               "req_seconds_created 1736930000\n"
                               "odd +Inf\n");
  CHECK(report.not_numbers == 2);
  CHECK(report.samples == 1);          // the quantile 0.5
  CHECK(report.counters_started == 6); // _sum, _count and 2 buckets, _sum and _count
  CHECK(report.series == 7);
  CHECK(report.lines == 13);

  const auto quantile = f.series("rpc_duration_seconds");
  CHECK(quantile.type == health::MetricType::gauge);
  CHECK(quantile.labels == health::Labels{{"quantile", "0.5"}});
  CHECK(f.samples("rpc_duration_seconds") == std::vector<std::pair<health::Millis, double>>{{k_now, 0.012}});
  for (const char* name : {"rpc_duration_seconds_sum", "rpc_duration_seconds_count", "req_seconds_sum",
                           "req_seconds_count"}) {
    CAPTURE(name);
    const auto part = f.series(name);
    CHECK(part.type == health::MetricType::counter);
    CHECK(part.unit.empty());
    CHECK(part.labels.empty());
  }
  CHECK(f.series("rpc_duration_seconds_count").total_sum == 42);
  CHECK(f.series("rpc_duration_seconds_sum").total_sum == 17.5);
  const auto bucket = f.series("req_seconds_bucket", {{"le", "+Inf"}});
  CHECK(bucket.type == health::MetricType::counter);
  CHECK(bucket.total_sum == 5);
  CHECK(f.series("req_seconds_bucket", {{"le", "0.1"}}).total_sum == 3);
  health::SeriesFilter created;
  created.metrics = {"rpc_duration_seconds_created", "req_seconds_created", "odd"};
  CHECK(health::list_series(f.store, created, health::WithStats::no).empty());

  // The next scrape: increments of every part.
  const auto next = f.ingest("# TYPE req_seconds histogram\n"
                             "req_seconds_bucket{le=\"0.1\"} 4\n"
                             "req_seconds_bucket{le=\"+Inf\"} 8\n"
                             "req_seconds_sum 1.5\n"
                             "req_seconds_count 8\n",
                             health::IngestFormat::prometheus, k_now + k_minute);
  CHECK(next.samples == 4);
  CHECK(f.samples("req_seconds_bucket", {{"le", "+Inf"}}) ==
        std::vector<std::pair<health::Millis, double>>{{k_now + k_minute, 3}});
  CHECK(f.samples("req_seconds_count") == std::vector<std::pair<health::Millis, double>>{{k_now + k_minute, 3}});
}

TEST_CASE("prometheus ingest: units from the name's end and from OpenMetrics' UNIT", "[ingest][prometheus]") {
  Fixture f;
  f.ingest("# TYPE cpu_seconds_total counter\n"
           "cpu_seconds_total 12\n"
           "wait_seconds 0.5\n"
           "heap_bytes 2048\n"
           "disk_used_percent 71.5\n"
           "plain 1\n");
  CHECK(f.series("cpu_seconds_total").unit == "s");
  CHECK(f.series("wait_seconds").unit == "s");
  CHECK(f.series("heap_bytes").unit == "bytes");
  CHECK(f.series("disk_used_percent").unit == "%");
  CHECK(f.series("plain").unit.empty());
  f.ingest("# TYPE uptime_hours gauge\n"
           "# UNIT uptime_hours hours\n"
           "uptime_hours 5\n"
           "# TYPE io_seconds counter\n"
           "io_seconds_total 3\n"
           "# EOF\n",
           health::IngestFormat::openmetrics);
  CHECK(f.series("uptime_hours").unit == "hours");
  CHECK(f.series("io_seconds_total").unit == "s");
  CHECK(f.series("io_seconds_total").type == health::MetricType::counter);
}

TEST_CASE("prometheus ingest: timestamps honoured, else now, the future refused unless allowed",
          "[ingest][prometheus]") {
  Fixture f;
  f.ingest("a 1 1736936000000\nb 2\n");
  CHECK(f.samples("a") == std::vector<std::pair<health::Millis, double>>{{1736936000000, 1}});
  CHECK(f.samples("b") == std::vector<std::pair<health::Millis, double>>{{k_now, 2}});
  f.ingest("c 3 1736936000.25\n# EOF\n", health::IngestFormat::openmetrics);
  CHECK(f.samples("c") == std::vector<std::pair<health::Millis, double>>{{1736936000250, 3}});

  const auto before = f.state();
  const auto ahead = std::to_string(k_now + 11 * k_minute);
  const auto message = error_text([&] { f.ingest("d 1\nd 4 " + ahead + "\n"); }, health::ErrorKind::bad_data);
  CHECK_THAT(message, Catch::StartsWith("input:2: "));
  CHECK(f.state() == before);
  // Within 10 minutes is fine; beyond with allow_future too.
  f.ingest("e 5 " + std::to_string(k_now + 9 * k_minute) + "\n");
  CHECK(f.samples("e").size() == 1);
  auto options = Fixture::base_options(health::IngestFormat::prometheus);
  options.allow_future = health::AllowFuture::yes;
  f.ingest_with("d 4 " + ahead + "\n", options);
  CHECK(f.samples("d") == std::vector<std::pair<health::Millis, double>>{{k_now + 11 * k_minute, 4}});
}

TEST_CASE("prometheus ingest: a batch size is a usage error", "[ingest][prometheus]") {
  Fixture f;
  for (const auto format : {health::IngestFormat::prometheus, health::IngestFormat::openmetrics}) {
    auto options = Fixture::base_options(format);
    options.batch_size = 5;
    const auto message = error_text([&] { f.ingest_with("x 1\n# EOF\n", options); }, health::ErrorKind::usage);
    CHECK_THAT(message, Catch::Contains("--batch-size"));
  }
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty());
}

TEST_CASE("prometheus ingest: a type conflict with a stored series is bad data and writes nothing",
          "[ingest][prometheus]") {
  Fixture f;
  health::record(f.store, {{"node-1", "prometheus", "hits", {}}, health::MetricType::gauge, {}}, {k_now - 1000, 1, {}});
  const auto before = f.state();
  const auto message = error_text([&] { f.ingest("fine 1\n# TYPE hits counter\nhits 5\n"); },
                                  health::ErrorKind::bad_data);
  CHECK_THAT(message, Catch::Contains("gauge"));
  CHECK_THAT(message, Catch::Contains("counter"));
  CHECK(f.state() == before);
}

TEST_CASE("prometheus ingest: a type conflict names its source and line", "[ingest][prometheus]") {
  // ingest.hpp: "Throws Error(bad_data) with "name:line: problem" for a bad
  // row, a type or unit conflict", as the NDJSON and CSV paths do.
  Fixture f;
  health::record(f.store, {{"node-1", "prometheus", "hits", {}}, health::MetricType::gauge, {}}, {k_now - 1000, 1, {}});
  const auto message = error_text([&] { f.ingest("fine 1\n# TYPE hits counter\nhits 5\n"); },
                                  health::ErrorKind::bad_data);
  CHECK_THAT(message, Catch::StartsWith("input:3: "));
}

TEST_CASE("prometheus ingest: a dry run checks series against the stored ones", "[ingest][prometheus]") {
  // ingest.hpp: with DryRun::yes and a store, "series are also checked
  // against it"; healthctl-ingest(1) --dry-run: "every series against it".
  Fixture f;
  health::record(f.store, {{"node-1", "prometheus", "hits", {}}, health::MetricType::gauge, {}}, {k_now - 1000, 1, {}});
  auto options = Fixture::base_options(health::IngestFormat::prometheus);
  options.dry_run = health::DryRun::yes;
  const auto before = f.state();
  const auto message =
      error_text([&] { f.ingest_with("# TYPE hits counter\nhits 5\n", options); }, health::ErrorKind::bad_data);
  CHECK_THAT(message, Catch::StartsWith("input:2: "));
  CHECK_THAT(message, Catch::Contains("is a gauge, not a counter"));
  // Without a conflict it checks, counts and writes nothing.
  const auto checked = f.ingest_with("hits 5\nother 1\n", options);
  CHECK(checked.samples == 2);
  CHECK(checked.batches == 0);
  CHECK(f.state() == before);
}

// ---- OpenMetrics history

TEST_CASE("openmetrics ingest: a history of totals becomes increments, once", "[ingest][prometheus]") {
  Fixture f;
  const std::string history = "# TYPE jobs counter\n"
                              "# HELP jobs Jobs done.\n"
                              "jobs_total{q=\"a\"} 10 1736930000\n"
                              "jobs_total{q=\"a\"} 15 1736930060\n"
                              "jobs_total{q=\"a\"} 15 1736930120\n"
                              "jobs_total{q=\"a\"} 4 1736930180\n"
                              "jobs_total{q=\"b\"} 1 1736930000.5\n"
                              "jobs_total{q=\"b\"} 3.5 1736930060.5\n"
                              "jobs_created{q=\"a\"} 1736920000\n"
                              "# TYPE temp gauge\n"
                              "temp 20 1736930000\n"
                              "temp 21 1736930060\n"
                              "# EOF\n";
  const auto report = f.ingest(history, health::IngestFormat::openmetrics);
  CHECK(report.counters_started == 2);
  CHECK(report.samples == 6); // 3 increments of a, 1 of b, 2 temperatures
  CHECK(report.series == 3);
  CHECK(report.duplicates == 0);
  CHECK(f.samples("jobs_total", {{"q", "a"}}) == std::vector<std::pair<health::Millis, double>>{
                                                     {1736930060000, 5}, {1736930120000, 0}, {1736930180000, 4}});
  CHECK(f.samples("jobs_total", {{"q", "b"}}) ==
        std::vector<std::pair<health::Millis, double>>{{1736930060500, 2.5}});
  CHECK(f.series("jobs_total", {{"q", "a"}}).total_sum == 19);
  CHECK(f.series("jobs_total", {{"q", "b"}}).total_sum == 3.5);
  CHECK(f.samples("temp") ==
        std::vector<std::pair<health::Millis, double>>{{1736930000000, 20}, {1736930060000, 21}});

  // The same file again adds nothing.
  const auto before = f.state();
  const auto again = f.ingest(history, health::IngestFormat::openmetrics);
  CHECK(again.samples == 0);
  CHECK(again.counters_started == 0);
  CHECK(again.new_series == 0);
  CHECK(again.duplicates == 8);
  CHECK(f.state() == before);

  // A later point continues from the last total of the history.
  f.ingest("# TYPE jobs counter\njobs_total{q=\"a\"} 9 1736930240\n# EOF\n", health::IngestFormat::openmetrics);
  CHECK(f.samples("jobs_total", {{"q", "a"}}).back() == std::pair<health::Millis, double>{1736930240000, 5});
  CHECK(f.series("jobs_total", {{"q", "a"}}).total_sum == 24);
}

TEST_CASE("openmetrics ingest: export --format openmetrics of a store ingested into another keeps its totals",
          "[ingest][prometheus]") {
  Fixture source;
  for (int i = 1; i <= 4; ++i) {
    health::record(source.store, {{"node-1", "api", "requests", {{"route", "/a"}}}, health::MetricType::counter, {}},
                   {k_now - 10 * k_minute + i * k_minute, static_cast<double>(i), {}});
    health::record(source.store, {{"node-1", "api", "queue", {}}, health::MetricType::gauge, {}},
                   {k_now - 10 * k_minute + i * k_minute, static_cast<double>(10 * i), {}});
  }
  std::string om;
  health::write_openmetrics(source.store, {}, {-(health::Millis{1} << 60), health::Millis{1} << 60},
                            [&](std::string_view text) { om += text; });
  Fixture copy;
  const auto report = copy.ingest(om, health::IngestFormat::openmetrics);
  CHECK(report.counters_started == 1);
  CHECK(report.samples == 3 + 4);
  const auto requests = copy.series("requests_total");
  CHECK(requests.component == "api");
  CHECK(requests.total_sum == 10);
  CHECK(copy.samples("queue").size() == 4);
  CHECK(copy.samples("requests_total") == std::vector<std::pair<health::Millis, double>>{
                                              {k_now - 8 * k_minute, 2}, {k_now - 7 * k_minute, 3},
                                              {k_now - 6 * k_minute, 4}});
  // Its current state reads back as the source's.
  CHECK_THAT(copy.exposition(),
             Catch::Contains("requests_total{node=\"node-1\",component=\"api\",route=\"/a\"} 10\n"));
  CHECK_THAT(copy.exposition(), Catch::Contains("queue{node=\"node-1\",component=\"api\"} 40\n"));
}
