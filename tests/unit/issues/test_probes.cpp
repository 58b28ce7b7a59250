// Probes as the database keeps them: validation, add and replace,
// dependencies, enable, remove, and the import format.

#include <health/error.hpp>
#include <health/probes.hpp>
#include <health/render.hpp>

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

using health::k_minute_ms;
using health::k_second_ms;
using health::ProbeKind;
using health::ProbeSpec;

namespace {

ProbeSpec probe(const std::string& name, ProbeKind kind, const std::string& target) {
  ProbeSpec spec;
  spec.name = name;
  spec.kind = kind;
  spec.target = target;
  return spec;
}

std::string problem(const ProbeSpec& spec) {
  try {
    health::validate_probe(spec);
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    return error.what();
  }
  return {};
}

} // namespace

TEST_CASE("probes: validation names the first problem") {
  CHECK(problem(probe("web", ProbeKind::http, "https://example.org/health")).empty());
  CHECK(problem(probe("web", ProbeKind::http, "ftp://x")).find("http") != std::string::npos);
  CHECK(problem(probe("db", ProbeKind::tcp, "db:5432")).empty());
  CHECK(problem(probe("db", ProbeKind::tcp, "[::1]:5432")).empty());
  CHECK(problem(probe("db", ProbeKind::tcp, "db")) == "'db' is not HOST:PORT");
  CHECK(problem(probe("db", ProbeKind::tcp, "db:99999")) == "'db:99999' is not HOST:PORT");
  CHECK(problem(probe("bad name", ProbeKind::tcp, "db:1")).find("probe name") != std::string::npos);
  CHECK(problem(probe("q", ProbeKind::sqlite, "x.db")) == "a --sqlite probe needs --query");
  auto spec = probe("web", ProbeKind::http, "http://x/");
  spec.expect_status = "200-";
  CHECK(problem(spec).find("--expect-status '200-'") == 0);
  spec.expect_status = "200,301-308";
  spec.body_regex = "(";
  CHECK(problem(spec).find("--body-regex") == 0);
  spec.body_regex.clear();
  spec.headers = {"NoColon"};
  CHECK(problem(spec) == "--header 'NoColon' is not 'Name: value'");
  spec = probe("db", ProbeKind::tcp, "db:1");
  spec.max_age = k_minute_ms;
  CHECK(problem(spec) == "--max-age applies to --file probes only");
  spec = probe("db", ProbeKind::tcp, "db:1");
  spec.labels = {{"probe", "x"}};
  CHECK(problem(spec) == "the label 'probe' is the probe's name");
  spec = probe("db", ProbeKind::tcp, "db:1");
  spec.every = 10;
  CHECK(problem(spec) == "--every must be at least 1s");
  spec.every = k_minute_ms;
  spec.fail_after = 3;
  spec.critical_after = 2;
  CHECK(problem(spec) == "--critical-after must be 3 to 1000000, not 2");
  spec.critical_after.reset();
  spec.breaker_max = k_second_ms;
  CHECK(problem(spec) == "--breaker-max must be at least --breaker-open");
}

TEST_CASE("probes: expected status lists take codes and ranges") {
  auto spec = probe("web", ProbeKind::http, "http://x/");
  CHECK(health::status_expected(spec, 200));
  CHECK(health::status_expected(spec, 302));
  CHECK_FALSE(health::status_expected(spec, 404));
  spec.expect_status = "204,500-503";
  CHECK(health::status_expected(spec, 204));
  CHECK(health::status_expected(spec, 502));
  CHECK_FALSE(health::status_expected(spec, 200));
  CHECK_FALSE(health::parse_status_list("99"));
  CHECK_FALSE(health::parse_status_list("300-200"));
  CHECK_FALSE(health::parse_status_list(""));
}

TEST_CASE_METHOD(test::StoreFixture, "probes: add, replace keeping state, enable, disable and remove") {
  health::add_probe(store, probe("db", ProbeKind::tcp, "db:5432"), health::Replace::no, 1000);
  CHECK_THROWS_WITH(health::add_probe(store, probe("db", ProbeKind::tcp, "db:1"), health::Replace::no, 1000),
                    "probe db exists");
  auto changed = probe("db", ProbeKind::tcp, "db:6432");
  changed.every = 5 * k_minute_ms;
  health::add_probe(store, changed, health::Replace::yes, 2000);
  const auto stored = health::get_probe(store, "db");
  CHECK(stored.spec.target == "db:6432");
  CHECK(stored.spec.every == 5 * k_minute_ms);
  CHECK(stored.state.created_at == 1000);
  health::set_probe_enabled(store, "db", false);
  CHECK_FALSE(health::get_probe(store, "db").spec.enabled);
  health::remove_probe(store, "db");
  CHECK(health::list_probes(store).empty());
  CHECK_THROWS_AS(health::get_probe(store, "db"), health::Error);
  try {
    health::remove_probe(store, "db");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::not_found);
    CHECK(std::string(error.what()) == "no probe named db");
  }
}

TEST_CASE_METHOD(test::StoreFixture, "probes: dependencies must exist, make no cycle, and keep what they depend on") {
  health::add_probe(store, probe("db", ProbeKind::tcp, "db:5432"), health::Replace::no, 1);
  auto web = probe("web", ProbeKind::http, "http://web/");
  web.depends_on = {"cache"};
  CHECK_THROWS_WITH(health::add_probe(store, web, health::Replace::no, 1),
                    "probe web depends on cache, which is not a probe");
  CHECK(health::list_probes(store).size() == 1); // nothing half-added
  web.depends_on = {"db"};
  health::add_probe(store, web, health::Replace::no, 1);
  auto db = probe("db", ProbeKind::tcp, "db:5432");
  db.depends_on = {"web"};
  CHECK_THROWS_WITH(health::add_probe(store, db, health::Replace::yes, 1), "probe db's dependencies lead back to it");
  CHECK(health::get_probe(store, "db").spec.depends_on.empty());
  CHECK_THROWS_WITH(health::remove_probe(store, "db"), "probe web depends on db");
}

TEST_CASE_METHOD(test::StoreFixture, "probes: export and import round trip every field, all or nothing") {
  auto web = probe("web", ProbeKind::http, "https://web.internal/health");
  web.expect_status = "200-299";
  web.body_contains = "ok";
  web.body_regex = "\"status\":\\s*\"up\"";
  web.headers = {"Accept: application/json", "X-Token: t"};
  web.tls_verify = false;
  web.component = "frontend";
  web.labels = {{"env", "prod"}};
  web.every = 30 * k_second_ms;
  web.timeout = 5 * k_second_ms;
  web.retries = 2;
  web.fail_after = 2;
  web.critical_after = 4;
  web.breaker_after = 0;
  auto etl = probe("etl", ProbeKind::file, "/data/out.csv");
  etl.max_age = 26 * 60 * k_minute_ms;
  etl.min_size = 1024;
  etl.depends_on = {"web"};
  auto rows = probe("rows", ProbeKind::sqlite, "/data/app.db");
  rows.query = "SELECT count(*) FROM t";
  rows.warn_range = "10:";
  rows.crit_range = "1:";
  health::import_probes(store, {web, etl, rows}, 1);
  const std::string exported = health::render_probes_json(health::list_probes(store));
  const auto again = health::parse_probes_json(exported, "probes.json");
  REQUIRE(again.size() == 3);
  const auto& back = again[2];
  CHECK(back.name == "web");
  CHECK(back.expect_status == web.expect_status);
  CHECK(back.body_regex == web.body_regex);
  CHECK(back.headers == web.headers);
  CHECK_FALSE(back.tls_verify);
  CHECK(back.component == "frontend");
  CHECK(back.labels == web.labels);
  CHECK(back.every == web.every);
  CHECK(back.critical_after == 4);
  CHECK(back.breaker_after == 0);
  CHECK(again[0].max_age == etl.max_age);
  CHECK(again[0].min_size == 1024);
  CHECK(again[0].depends_on == etl.depends_on);
  CHECK(again[1].crit_range == "1:");
  CHECK(health::render_probes_json(health::list_probes(store)) == exported);

  auto broken = probe("later", ProbeKind::tcp, "nope");
  CHECK_THROWS_AS(health::import_probes(store, {probe("new", ProbeKind::tcp, "a:1"), broken}, 2), health::Error);
  CHECK(health::list_probes(store).size() == 3);
}

TEST_CASE("probes: a bad import file names the entry and changes nothing") {
  const auto message = [](const std::string& text) {
    try {
      health::parse_probes_json(text, "p.json");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::bad_data);
      return std::string(error.what());
    }
    return std::string();
  };
  CHECK(message("[]") == "p.json: expected {\"probes\":[...]}");
  CHECK(message("{") == "p.json: not JSON (byte 2)");
  CHECK(message(R"({"probes":[{"name":"a","kind":"tcp","target":"a:1","colour":"red"}]})") ==
        "p.json: probe 1: unknown field 'colour'");
  CHECK(message(R"({"probes":[{"name":"a","kind":"ping","target":"a"}]})") ==
        "p.json: probe 1: 'kind' is not one of http, tcp, exec, file, sqlite");
  CHECK(message(R"({"probes":[{"name":"a","kind":"tcp","target":"a:1"},{"name":"b","kind":"tcp","target":"b"}]})") ==
        "p.json: probe 2: 'b' is not HOST:PORT");
  CHECK(message(R"({"probes":[{"name":"a","kind":"tcp","target":"a:1"},{"name":"a","kind":"tcp","target":"a:2"}]})") ==
        "p.json: probe 2: probe a is listed twice");
  CHECK(message(R"({"probes":[{"name":"a","kind":"tcp","target":"a:1","retries":"2"}]})") ==
        "p.json: probe 1: 'retries' is not a whole number");
}
