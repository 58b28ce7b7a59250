#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/export.hpp>
#include <health/ingest.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>

#include "store/sqlite.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

namespace {

constexpr health::Millis k_now = 1736937000000; // 2025-01-15T10:30:00Z

struct Fixture : test::StoreFixture {

  std::size_t rows_in_memory = health::IngestOptions{}.rows_in_memory;

  health::IngestReport ingest(const std::string& text, health::IngestFormat format,
                              std::size_t batch_size = 0, health::DryRun dry_run = health::DryRun::no) {
    std::istringstream in(text);
    health::IngestOptions options;
    options.format = format;
    options.default_node = "node-1";
    options.batch_size = batch_size;
    options.rows_in_memory = rows_in_memory;
    options.dry_run = dry_run;
    options.now = k_now;
    return health::ingest(&store, {{"input", &in}}, options);
  }

  // Every sample as an export would write it.
  std::string dump(health::Format format = health::Format::csv) {
    health::ExportOptions options;
    options.range = {-(health::Millis{1} << 60), health::Millis{1} << 60};
    std::string out;
    health::write_export(store, options, format, k_now, [&](std::string_view text) { out += text; });
    return out;
  }
};

// The single number `sql` answers.
std::int64_t count_of(health::Store& store, const char* sql) {
  health::sqlite::Statement query(store.handle(), sql);
  return query.step() ? query.int64(0) : -1;
}

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

} // namespace

TEST_CASE("ingest: CSV with the export columns, any order, quoting and defaults", "[ingest]") {
  Fixture f;
  const auto report = f.ingest("component,name,value,ts,labels,type,unit,context\n"
                               "database,query_ms,12.5,2025-01-15T10:00:00Z,,timer,,\n"
                               "database,query_ms,7,@1736935200.5,,timer,ms,\"{\"\"q\"\":\"\"a,b\"\"}\"\n"
                               "\n"
                               "web,requests,,-1h,route=/api,,,\n"
                               "web,requests,3,now,route=/api,counter,,\n",
                               health::IngestFormat::csv);
  CHECK(report.samples == 4);
  CHECK(report.series == 2);
  CHECK(report.new_series == 2);
  CHECK(report.batches == 1);
  CHECK(report.lines == 6);
  CHECK(f.dump() ==
        "ts,ts_ms,node,component,name,labels,type,unit,value,context\n"
        "2025-01-15T10:00:00.000Z,1736935200000,node-1,database,query_ms,,timer,ms,12.5,\n"
        "2025-01-15T10:00:00.500Z,1736935200500,node-1,database,query_ms,,timer,ms,7,\"{\"\"q\"\":\"\"a,b\"\"}\"\n"
        "2025-01-15T09:30:00.000Z,1736933400000,node-1,web,requests,route=/api,counter,,1,\n"
        "2025-01-15T10:30:00.000Z,1736937000000,node-1,web,requests,route=/api,counter,,3,\n");
}

TEST_CASE("ingest: NDJSON with the export fields, ts_ms wins over ts", "[ingest]") {
  Fixture f;
  f.ingest("{\"ts_ms\":1000,\"ts\":\"2025-01-15\",\"node\":\"web-1\",\"component\":\"c\",\"name\":\"g\","
           "\"type\":\"gauge\",\"value\":-2.5,\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"context\":{\"x\":[1,2]}}\n"
           "  \n"
           "{\"ts\":\"2025-01-15T10:30:00.123+01:00\",\"component\":\"c\",\"name\":\"n\"}\r\n",
           health::IngestFormat::ndjson);
  CHECK(f.dump(health::Format::ndjson) ==
        "{\"ts\":\"1970-01-01T00:00:01.000Z\",\"ts_ms\":1000,\"node\":\"web-1\",\"component\":\"c\","
        "\"name\":\"g\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"type\":\"gauge\",\"unit\":\"\","
        "\"value\":-2.5,\"context\":{\"x\":[1,2]}}\n"
        "{\"ts\":\"2025-01-15T09:30:00.123Z\",\"ts_ms\":1736933400123,\"node\":\"node-1\",\"component\":\"c\","
        "\"name\":\"n\",\"labels\":{},\"type\":\"counter\",\"unit\":\"\",\"value\":1}\n");
}

TEST_CASE("ingest: NDJSON reads the same whatever the JSON style", "[ingest]") {
  // The first line is the flat shape export writes; the others need the
  // general reader (escapes, nested labels order, spacing, nulls, exponents).
  const std::vector<std::string> styles{
      R"({"ts_ms":1000,"component":"c","name":"n","labels":{"a":"x"},"type":"gauge","unit":"ms","value":2.5,"context":{"k":"}{"}})",
      R"(  { "ts_ms" : 1000 , "component" : "c", "name":"n","labels":{ "a" : "x" },"type":"gauge","unit":"ms","value":25e-1,"context":{"k":"}{"} }  )",
      R"({"ts_ms":1000,"component":"c","name":"n","labels":{"a":"x"},"type":"gauge","unit":"ms","value":2.5,"context":{"k":"}{"}})",
      R"({"ts":"1970-01-01T00:00:01Z","ts_ms":null,"node":null,"component":"c","name":"n","labels":{"a":"x"},"type":"gauge","unit":"ms","value":2.5,"context":{"k":"}{"}})",
  };
  std::string first;
  for (const auto& line : styles) {
    Fixture f;
    INFO(line);
    f.ingest(line + "\n", health::IngestFormat::ndjson);
    const auto dump = f.dump(health::Format::ndjson);
    CHECK(dump == R"({"ts":"1970-01-01T00:00:01.000Z","ts_ms":1000,"node":"node-1","component":"c","name":"n","labels":{"a":"x"},"type":"gauge","unit":"ms","value":2.5,"context":{"k":"}{"}})"
                  "\n");
  }
  // What the flat reader declines is still checked by the general one.
  for (const std::string bad : {R"({"ts_ms":1,"component":"c","name":"n","value":01})",
                                R"({"ts_ms":1,"component":"c","name":"n"} x)",
                                R"({"ts_ms":1,"component":"c","name":"n","value":1.})",
                                R"({"ts_ms":1,"component":"c","name":"n",})"}) {
    Fixture f;
    INFO(bad);
    CHECK(error_text([&] { f.ingest(bad + "\n", health::IngestFormat::ndjson); }, health::ErrorKind::bad_data) ==
          "input:1: not valid JSON");
  }
}

TEST_CASE("ingest: an export ingested into a new file gives the same samples", "[ingest]") {
  Fixture source;
  source.ingest("{\"ts_ms\":5,\"component\":\"a\",\"name\":\"t\",\"type\":\"timer\",\"value\":0.1,"
                "\"context\":{\"s\":\"quote\\\" comma, newline\\n\"}}\n"
                "{\"ts_ms\":5,\"component\":\"a\",\"name\":\"t\",\"type\":\"timer\",\"value\":0.1}\n"
                "{\"ts_ms\":7,\"component\":\"a\",\"name\":\"r\",\"type\":\"rolling\",\"unit\":\"%\",\"value\":1e300,"
                "\"labels\":{\"k\":\"semi;colon\\\\slash\"}}\n",
                health::IngestFormat::ndjson);
  for (const auto format : {health::Format::csv, health::Format::ndjson}) {
    Fixture copy;
    copy.ingest(source.dump(format),
                format == health::Format::csv ? health::IngestFormat::csv : health::IngestFormat::ndjson);
    CHECK(copy.dump(health::Format::csv) == source.dump(health::Format::csv));
    CHECK(copy.dump(health::Format::ndjson) == source.dump(health::Format::ndjson));
  }
}

TEST_CASE("ingest: times before 1970, after 9999 or over 10 minutes ahead are refused", "[ingest]") {
  Fixture f;
  const health::Millis now = 1736899200000; // 2025-01-15T00:00:00Z
  const auto line = [](health::Millis ts) {
    return "{\"ts_ms\":" + std::to_string(ts) + ",\"component\":\"a\",\"name\":\"n\"}\n";
  };
  const auto ingest_at = [&](const std::string& text, health::AllowFuture allow) {
    std::istringstream in(text);
    health::IngestOptions options;
    options.now = now;
    options.allow_future = allow;
    options.default_node = "n1";
    return health::ingest(&f.store, {{"t", &in}}, options);
  };
  const auto refused = [&](health::Millis ts, const std::string& why) {
    INFO("ts_ms " << ts);
    CHECK_THROWS_WITH(ingest_at(line(0) + line(ts), health::AllowFuture::yes), Catch::Contains("t:2: the time " + std::to_string(ts) + " ms " + why));
  };
  refused(-5, "is before 1970-01-01");
  refused(health::k_max_sample_ts + 1, "is after 9999-12-31");
  CHECK_THROWS_WITH(ingest_at(line(now + 11 * health::k_minute_ms), health::AllowFuture::no),
                    Catch::Contains("t:1: the time 2025-01-15T00:11:00.000Z is 11m in the future"));
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty()); // nothing was written
  // Up to 10 minutes ahead is clock skew; with the future allowed, any time to 9999.
  CHECK(ingest_at(line(now + 10 * health::k_minute_ms), health::AllowFuture::no).samples == 1);
  CHECK(ingest_at(line(health::k_max_sample_ts), health::AllowFuture::yes).samples == 1);
  CHECK(ingest_at(line(0), health::AllowFuture::no).samples == 1);
}

TEST_CASE("ingest: one bad line in the middle writes nothing", "[ingest]") {
  Fixture f;
  std::string text = "ts_ms,component,name,type,value\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + ",c,g,gauge,1\n";
  text += "100,c,g,gauge,oops\n";
  for (int i = 101; i < 200; ++i) text += std::to_string(i) + ",c,g,gauge,1\n";
  const auto message = error_text([&] { f.ingest(text, health::IngestFormat::csv); },
                                  health::ErrorKind::bad_data);
  CHECK(message == "input:102: value 'oops' is not a finite number");
  CHECK(f.dump() == "ts,ts_ms,node,component,name,labels,type,unit,value,context\n");
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty());
}

TEST_CASE("ingest: with a batch size, batches before the error stay committed", "[ingest]") {
  Fixture f;
  std::string text;
  for (int i = 0; i < 25; ++i)
    text += "{\"ts_ms\":" + std::to_string(i) + ",\"component\":\"c\",\"name\":\"n\"}\n";
  text += "{\"ts_ms\":25,\"component\":\"c\",\"name\":\"n\",\"value\":-1}\n";
  try {
    f.ingest(text, health::IngestFormat::ndjson, 10);
    FAIL("no error");
  } catch (const health::Error& error) {
    CHECK(std::string(error.what()) == "input:26: a counter increment must not be negative");
    CHECK(error.hint() == "20 samples in 2 batches were committed before this");
  }
  const auto series = health::list_series(f.store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 1);
  CHECK(series[0].count == 20);

  Fixture g;
  const auto report = g.ingest(text.substr(0, text.rfind("{\"ts_ms\":25")), health::IngestFormat::ndjson, 10);
  CHECK(report.batches == 3);
  CHECK(report.samples == 25);
}

TEST_CASE("ingest: dry run checks everything and writes nothing", "[ingest]") {
  Fixture f;
  health::record(f.store, {{"node-1", "c", "g", {}}, health::MetricType::gauge, {}}, {1, 1, {}});
  const auto report = f.ingest("ts_ms,component,name,type,value\n2,c,g,gauge,5\n3,c,h,gauge,6\n",
                               health::IngestFormat::csv, 0, health::DryRun::yes);
  CHECK(report.samples == 2);
  CHECK(report.batches == 0);
  CHECK(health::list_series(f.store, {}, health::WithStats::no).size() == 1);
  // A conflict with a stored series is found without writing.
  const auto message = error_text(
      [&] {
        f.ingest("ts_ms,component,name,type,value\n2,c,g,timer,5\n", health::IngestFormat::csv, 0,
                 health::DryRun::yes);
      },
      health::ErrorKind::bad_data);
  CHECK(message == "input:2: series c/g on node node-1 is a gauge, not a timer");
}

TEST_CASE("ingest: every kind of bad row is named with its line", "[ingest]") {
  const std::vector<std::pair<std::string, std::string>> csv_cases{
      {"ts,component,name,bogus\n", "input:1: unknown column 'bogus' (columns are ts, ts_ms, node, "
                                    "component, name, labels, type, unit, value, context)"},
      {"component,name\n", "input:1: the header has no ts or ts_ms column"},
      {"ts,name\n", "input:1: the header has no component column"},
      {"ts,ts,component,name\n", "input:1: column 'ts' appears twice"},
      {"ts,component,name\nnow,c\n", "input:2: expected 3 fields, found 2"},
      {"ts,component,name\nyesterday-ish,c,n\n", "input:2: invalid time 'yesterday-ish' in ts"},
      {"ts_ms,component,name\n1.5,c,n\n", "input:2: ts_ms '1.5' is not an integer"},
      {"ts_ms,component,name\n,c,n\n", "input:2: missing ts or ts_ms"},
      {"ts_ms,component,name,type\n1,c,n,histogram\n",
       "input:2: unknown type 'histogram' (use counter, gauge, timer or rolling)"},
      {"ts_ms,component,name,type\n1,c,n,gauge\n", "input:2: missing value (only a counter defaults to 1)"},
      {"ts_ms,component,name\n1,c,bad name\n",
       "input:2: metric name 'bad name' has a character outside [A-Za-z0-9_.:-]"},
      {"ts_ms,component,name,labels\n1,c,n,novalue\n", "input:2: label 'novalue' has no '='"},
      {"ts_ms,component,name,value\n1,c,n,nan\n", "input:2: value 'nan' is not a finite number"},
      {"ts_ms,component,name,context\n1,c,n,[1]\n", "input:2: the context must be a JSON object"},
      {"ts_ms,component,name,type\n1,c,n,gauge\n", "input:2: missing value (only a counter defaults to 1)"},
      {"ts_ms,component,name,value\n1,c,n,\"5\n", "input:2: a quoted field never ends"},
      {"ts_ms,component,name,value\n1,c,n,\"5\"x\n", "input:2: text after a closing quote"},
      {"ts_ms,component,name,value,type\n1,c,n,1,gauge\n2,c,n,1,timer\n",
       "input:3: series c/n is a gauge since input:2, not a timer"},
      {"ts_ms,component,name,value,type,unit\n1,c,n,1,gauge,s\n2,c,n,1,gauge,ms\n",
       "input:3: series c/n has unit 's' since input:2, not 'ms'"},
  };
  for (const auto& [text, expected] : csv_cases) {
    Fixture f;
    INFO(text);
    CHECK(error_text([&] { f.ingest(text, health::IngestFormat::csv); }, health::ErrorKind::bad_data) ==
          expected);
  }
  const std::vector<std::pair<std::string, std::string>> ndjson_cases{
      {"{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\"}\n{not json\n", "input:2: not valid JSON"},
      {"[1,2]\n", "input:1: a line must be a JSON object"},
      {"{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\",\"tz\":1}\n",
       "input:1: unknown field 'tz' (fields are ts or ts_ms, node, component, name, labels, type, "
       "unit, value, context)"},
      {"{\"ts_ms\":\"1\",\"component\":\"c\",\"name\":\"n\"}\n", "input:1: ts_ms must be an integer"},
      {"{\"ts\":5,\"component\":\"c\",\"name\":\"n\"}\n", "input:1: ts must be a string"},
      {"{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\",\"value\":\"5\"}\n", "input:1: value must be a number"},
      {"{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\",\"labels\":{\"a\":1}}\n",
       "input:1: label a must be a string"},
      {"{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\",\"context\":\"x\"}\n",
       "input:1: context must be a JSON object"},
      {"{\"ts_ms\":1,\"name\":\"n\"}\n", "input:1: empty component name"},
  };
  for (const auto& [text, expected] : ndjson_cases) {
    Fixture f;
    INFO(text);
    CHECK(error_text([&] { f.ingest(text, health::IngestFormat::ndjson); }, health::ErrorKind::bad_data) ==
          expected);
  }
}

TEST_CASE("ingest: a type conflict with a stored series names the line", "[ingest]") {
  Fixture f;
  health::record(f.store, {{"node-1", "c", "n", {}}, health::MetricType::timer, {}}, {1, 1, {}});
  const auto message = error_text(
      [&] { f.ingest("ts_ms,component,name,value\n1,c,n,1\n", health::IngestFormat::csv); },
      health::ErrorKind::bad_data);
  CHECK(message == "input:2: series c/n on node node-1 is a timer, not a counter");
}

TEST_CASE("ingest: many sources are one transaction", "[ingest]") {
  Fixture f;
  std::istringstream good("{\"ts_ms\":1,\"component\":\"c\",\"name\":\"n\"}\n");
  std::istringstream bad("{\"ts_ms\":2,\"component\":\"c\",\"name\":\"n\",\"value\":-3}\n");
  health::IngestOptions options;
  options.default_node = "node-1";
  CHECK_THROWS_WITH(health::ingest(&f.store, {{"good.ndjson", &good}, {"bad.ndjson", &bad}}, options),
                    "bad.ndjson:1: a counter increment must not be negative");
  CHECK(health::list_series(f.store, {}, health::WithStats::no).empty());
}

TEST_CASE("ingest: rows the series holds already are skipped and counted, equal samples in one millisecond stay",
          "[ingest]") {
  Fixture f;
  // Two equal increments in one millisecond, and a gauge.
  const std::string rows = "ts_ms,component,name,type,value\n"
                           "1000,web,hits,counter,1\n"
                           "1000,web,hits,counter,1\n"
                           "2000,web,load,gauge,0.5\n";
  auto report = f.ingest(rows, health::IngestFormat::csv);
  CHECK(report.samples == 3);
  CHECK(report.duplicates == 0);
  const auto once = f.dump();
  report = f.ingest(rows, health::IngestFormat::csv);
  CHECK(report.samples == 0);
  CHECK(report.duplicates == 3);
  CHECK(f.dump() == once);
  // A third increment in that millisecond, and another value there, are new.
  report = f.ingest("ts_ms,component,name,type,value\n"
                    "1000,web,hits,counter,1\n1000,web,hits,counter,1\n1000,web,hits,counter,1\n"
                    "2000,web,load,gauge,0.75\n",
                    health::IngestFormat::csv, 1);
  CHECK(report.samples == 2);
  CHECK(report.duplicates == 2);
  CHECK(report.batches == 4);
  CHECK(f.ingest(rows, health::IngestFormat::csv).duplicates == 3);
}

TEST_CASE("ingest: thousands of samples in one millisecond keep the duplicate rule", "[ingest]") {
  // Times with a second's resolution put every sample of a second in one
  // millisecond: past 16 distinct values the rows are counted in a map, and
  // a millisecond the series holds already is read once, not once a row.
  Fixture f;
  std::string crowded = "ts_ms,component,name,type,value\n";
  for (int i = 0; i < 3000; ++i) crowded += "5000,web,latency,timer," + std::to_string(i % 1000) + "\n";
  auto report = f.ingest(crowded, health::IngestFormat::csv);
  CHECK(report.samples == 3000);
  const auto once = f.dump();
  report = f.ingest(crowded, health::IngestFormat::csv);
  CHECK(report.samples == 0);
  CHECK(report.duplicates == 3000);
  CHECK(f.dump() == once);
  // A fourth copy of each value is new; the three before it are not.
  std::string more = crowded;
  for (int i = 0; i < 1000; ++i) more += "5000,web,latency,timer," + std::to_string(i) + "\n";
  report = f.ingest(more, health::IngestFormat::csv);
  CHECK(report.samples == 1000);
  CHECK(report.duplicates == 3000);
  // Every position in the millisecond is taken once.
  const auto seqs = count_of(f.store, "SELECT count(DISTINCT seq) FROM samples WHERE ts_ms = 5000");
  CHECK(seqs == 4000);
}

TEST_CASE("ingest: more crowded milliseconds than one transaction remembers stay exact", "[ingest]") {
  Fixture f;
  std::string rows = "ts_ms,component,name,type,value\n";
  for (int i = 1; i <= 5000; ++i) rows += std::to_string(i) + ",web,hits,counter,1\n";
  CHECK(f.ingest(rows, health::IngestFormat::csv).samples == 5000);
  // Each of the 5000 milliseconds conflicts, more than the 4096 a Recorder keeps.
  auto report = f.ingest(rows, health::IngestFormat::csv);
  CHECK(report.samples == 0);
  CHECK(report.duplicates == 5000);
  std::string twice = "ts_ms,component,name,type,value\n";
  for (int i = 1; i <= 5000; ++i) twice += std::to_string(i) + ",web,hits,counter,1\n" + std::to_string(i) + ",web,hits,counter,1\n";
  report = f.ingest(twice, health::IngestFormat::csv);
  CHECK(report.samples == 5000); // the second of each pair
  CHECK(report.duplicates == 5000);
  CHECK(count_of(f.store, "SELECT count(*) FROM samples WHERE seq = 1") == 5000);
}

// Three series interleaved by time, as a collector writes them: minute m
// has one row per series, and minute 3 has a second, equal counter row.
std::string interleaved(int minutes) {
  std::string text = "ts_ms,component,name,type,value\n";
  for (int m = 0; m < minutes; ++m) {
    const auto ts = std::to_string(m * 60000);
    text += ts + ",web,hits,counter,1\n" + ts + ",web,load,gauge," + std::to_string(m) + ".5\n" + ts +
            ",db,query_ms,timer," + std::to_string(m * 2) + "\n";
    if (m == 3) text += ts + ",web,hits,counter,1\n";
  }
  return text;
}

TEST_CASE("ingest: rows interleaved by time across many chunks read back as in one", "[ingest]") {
  const std::string text = interleaved(40);
  Fixture whole; // every row in one chunk
  CHECK(whole.ingest(text, health::IngestFormat::csv).samples == 121);

  Fixture chunked;
  chunked.rows_in_memory = 4; // 31 chunks, each written series by series
  auto report = chunked.ingest(text, health::IngestFormat::csv);
  CHECK(report.samples == 121);
  CHECK(report.batches == 1);
  CHECK(report.new_series == 3);
  CHECK(chunked.dump() == whole.dump());
  // Again: every row is a duplicate, the two equal increments included,
  // though they fall in two chunks.
  report = chunked.ingest(text, health::IngestFormat::csv);
  CHECK(report.samples == 0);
  CHECK(report.duplicates == 121);

  // Batches of 10 rows written 3 at a time commit every 10 rows.
  Fixture batched;
  batched.rows_in_memory = 3;
  report = batched.ingest(text, health::IngestFormat::csv, 10);
  CHECK(report.batches == 13);
  CHECK(report.samples == 121);
  CHECK(batched.dump() == whole.dump());
}

TEST_CASE("ingest: a bad row after chunks were written leaves nothing, foreign keys on", "[ingest]") {
  Fixture f;
  f.rows_in_memory = 5;
  const std::string text = interleaved(20) + "1200000,web,hits,counter,-1\n";
  const auto message = error_text([&] { f.ingest(text, health::IngestFormat::csv); },
                                  health::ErrorKind::bad_data);
  CHECK(message == "input:63: a counter increment must not be negative");
  CHECK(count_of(f.store, "SELECT count(*) FROM samples") == 0);
  CHECK(count_of(f.store, "SELECT count(*) FROM series") == 0);
  CHECK(count_of(f.store, "PRAGMA foreign_keys") == 1);
  CHECK_FALSE(health::sqlite::in_transaction(f.store.handle()));

  // The same rows without the bad one: written, and the connection checks
  // foreign keys again afterwards.
  CHECK(f.ingest(interleaved(20), health::IngestFormat::csv).samples == 61);
  CHECK(count_of(f.store, "PRAGMA foreign_keys") == 1);
  CHECK_THROWS_AS(health::sqlite::exec(f.store.handle(), "INSERT INTO samples VALUES (999, 1, 0, 1)"),
                  health::Error);
}

// Series whose kept sample count differs from the samples they hold.
std::int64_t miscounted(health::Store& store) {
  return count_of(store, "SELECT count(*) FROM series "
                         "WHERE sample_count != (SELECT count(*) FROM samples WHERE series_id = series.id)");
}

TEST_CASE("ingest: each series keeps its sample count through record, ingest and cleanup", "[ingest]") {
  Fixture f;
  const health::SeriesSpec hits{{"node-1", "web", "hits", {}}, health::MetricType::counter, {}};
  const health::SeriesSpec load{{"node-1", "web", "load", {}}, health::MetricType::gauge, {}};
  health::record(f.store, hits, {1000, 1, {}});
  health::record(f.store, {{hits, {2000, 1, {}}}, {load, {2000, 0.5, {}}}, {hits, {3000, 1, {}}}});
  CHECK(count_of(f.store, "SELECT sample_count FROM series WHERE name = 'hits'") == 3);
  CHECK(miscounted(f.store) == 0);

  // Chunks of three rows, duplicates among them, a refused ingest too.
  f.rows_in_memory = 3;
  CHECK(f.ingest(interleaved(10), health::IngestFormat::csv).samples == 31);
  CHECK(f.ingest(interleaved(12), health::IngestFormat::csv).duplicates == 31);
  CHECK_THROWS(f.ingest(interleaved(15) + "1,web,hits,counter,-1\n", health::IngestFormat::csv));
  CHECK(miscounted(f.store) == 0);
  const auto series = health::list_series(f.store, {}, health::WithStats::yes);
  REQUIRE(series.size() == 3); // db/query_ms, web/hits, web/load
  CHECK(series[1].name == "hits");
  CHECK(series[1].count == 3 + 13);
  CHECK(series[1].first == 0);
  CHECK(series[1].last == 11 * 60000);

  // Cleanup in batches of two rows subtracts what it removes.
  health::CleanupOptions cleanup;
  cleanup.now = 10 * 60000;
  cleanup.retention_ms = 5 * 60000;
  cleanup.batch_rows = 2;
  const auto report = health::cleanup(f.store, cleanup);
  CHECK(report.samples_removed > 10);
  CHECK(miscounted(f.store) == 0);
  CHECK(count_of(f.store, "SELECT sum(sample_count) FROM series") == count_of(f.store, "SELECT count(*) FROM samples"));
}

TEST_CASE("ingest: series listed by one component and metric, as check asks, in order", "[ingest]") {
  Fixture f;
  CHECK(f.ingest("ts_ms,node,component,name,labels,type,value\n"
                 "1,b,web,hits,,counter,1\n1,a,web,hits,,counter,1\n1,a,web,hits,route=/x,counter,1\n"
                 "1,a,web,load,,gauge,1\n1,a,db,hits,,counter,1\n",
                 health::IngestFormat::csv)
            .samples == 5);
  const auto names = [&](health::SeriesFilter filter) {
    std::string out;
    for (const auto& series : health::list_series(f.store, filter, health::WithStats::no))
      out += series.component + "/" + series.name + "{" + series.labels_text + "}@" + series.node + " ";
    return out;
  };
  health::SeriesFilter filter;
  filter.components = {"web"};
  filter.metrics = {"hits"};
  CHECK(names(filter) == "web/hits{}@a web/hits{}@b web/hits{route=/x}@a ");
  filter.labels = {{"route", "/x"}};
  CHECK(names(filter) == "web/hits{route=/x}@a ");
  filter = {};
  filter.components = {"web"};
  filter.metrics = {"hits", "load"};
  CHECK(names(filter) == "web/hits{}@a web/hits{}@b web/hits{route=/x}@a web/load{}@a ");
  filter.components = {"db", "web"};
  filter.metrics = {"hits"};
  CHECK(names(filter) == "db/hits{}@a web/hits{}@a web/hits{}@b web/hits{route=/x}@a ");
}

// A source that runs `action` when it is first read, then yields `text`.
class ActOnFirstRead : public std::streambuf {
public:
  ActOnFirstRead(std::string text, std::function<void()> action)
      : m_text(std::move(text)), m_action(std::move(action)) {}

protected:
  int_type underflow() override {
    if (m_read || m_text.empty()) return traits_type::eof();
    m_read = true;
    m_action();
    setg(m_text.data(), m_text.data(), m_text.data() + m_text.size());
    return traits_type::to_int_type(m_text[0]);
  }

private:
  std::string m_text;
  std::function<void()> m_action;
  bool m_read = false;
};

TEST_CASE("ingest: series ids are looked up again in each batch's transaction", "[ingest]") {
  // Between two batches another writer may remove a series (a cleanup of
  // everything it held): the next batch must create it again, not write
  // samples under an id that is gone.
  Fixture f;
  auto other = test::StoreFixture::open(f.dir); // another writer, as another process would be
  std::istringstream first("ts_ms,component,name,type,value\n1,web,load,gauge,1\n2,web,load,gauge,1\n");
  ActOnFirstRead later("ts_ms,component,name,type,value\n3,web,load,gauge,1\n4,web,load,gauge,1\n", [&] {
    // The first batch is written on the ingest's own thread: once it is
    // committed, remove everything.
    for (int wait = 0; wait < 1000 && count_of(other, "SELECT count(*) FROM samples") < 2; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    health::sqlite::exec(other.handle(), "DELETE FROM samples; DELETE FROM series");
  });
  std::istream second(&later);
  health::IngestOptions options;
  options.format = health::IngestFormat::csv;
  options.default_node = "node-1";
  options.batch_size = 2;
  options.now = k_now;
  const auto report = health::ingest(&f.store, {{"first.csv", &first}, {"second.csv", &second}}, options);
  CHECK(report.batches == 2);
  CHECK(count_of(f.store, "SELECT count(*) FROM samples") == 2);
  CHECK(count_of(f.store, "SELECT count(*) FROM samples JOIN series ON series.id = samples.series_id") == 2);
}

TEST_CASE("ingest: TSV and the json document of export read back what export wrote", "[ingest]") {
  Fixture f;
  f.ingest("ts_ms,component,name,labels,type,unit,value,context\n"
           "1000,web,hits,route=/a\\;b;zone=eu,counter,,2,\"{\"\"k\"\":\"\"x\\ty\"\"}\"\n"
           "1500,web,lat,,timer,ms,12.5,\n",
           health::IngestFormat::csv);
  const auto csv = f.dump();
  for (const auto format : {health::Format::tsv, health::Format::json}) {
    Fixture copy;
    std::istringstream in(f.dump(format));
    health::IngestOptions options;
    options.format = format == health::Format::tsv ? health::IngestFormat::tsv : health::IngestFormat::json;
    options.now = k_now;
    const auto report = health::ingest(&copy.store, {{"input", &in}}, options);
    CHECK(report.samples == 2);
    CHECK(copy.dump() == csv);
  }
}
