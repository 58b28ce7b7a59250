// In-process hostile ingest: seeded mutations of whole NDJSON and CSV files
// through health::ingest into one database, fast enough for thousands of
// files. Whatever the bytes, ingest returns a report or throws
// health::Error(bad_data); all or nothing means a failure changes nothing
// and a success adds exactly the samples it reports; with a batch size, the
// samples a failure keeps are those its hint says were committed.

#include "hostile.hpp"
#include "mutate.hpp"
#include "seeds.hpp"
#include "temp_dir.hpp"

#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/store.hpp>
#include <health/time.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <sstream>

namespace {

using hostile::Rng;
using hostile::Tally;
using hostile::shell_quoted;

constexpr health::Millis k_now = 1736937000123; // 2025-01-15T10:30:00.123Z
constexpr std::size_t k_files = 2000;

// What the database holds, as numbers that any change would move.
struct Fingerprint {
  std::int64_t samples = 0, series = 0, contexts = 0;
  double value_sum = 0, ts_sum = 0;
  bool operator==(const Fingerprint& other) const {
    return samples == other.samples && series == other.series && contexts == other.contexts &&
           value_sum == other.value_sum && ts_sum == other.ts_sum;
  }
};

double number(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  double value = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW)
    value = sqlite3_column_double(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

Fingerprint fingerprint(const health::Store& store) {
  sqlite3* db = store.handle();
  Fingerprint f;
  f.samples = static_cast<std::int64_t>(number(db, "SELECT count(*) FROM samples"));
  f.series = static_cast<std::int64_t>(number(db, "SELECT count(*) FROM series"));
  f.contexts = static_cast<std::int64_t>(number(db, "SELECT count(*) FROM sample_context"));
  f.value_sum = number(db, "SELECT total(value) FROM samples");
  f.ts_sum = number(db, "SELECT total(ts_ms) FROM samples");
  return f;
}

struct IngestCase {
  std::string text;
  health::IngestOptions options;
  std::string mode;
};

IngestCase make_case(std::size_t index) {
  Rng rng(hostile::case_seed("in-process ingest", index));
  IngestCase c;
  const bool csv = rng.percent(50);
  c.options.format = csv ? health::IngestFormat::csv : health::IngestFormat::ndjson;
  const auto& seed = rng.pick(csv ? hostile::csv_seeds() : hostile::ndjson_seeds());
  c.text = rng.percent(5) ? seed : hostile::mutate(seed, rng, 4);
  c.options.default_node = "node-1";
  c.options.now = k_now;
  c.options.allow_future = rng.percent(20) ? health::AllowFuture::yes : health::AllowFuture::no;
  const auto mode = rng.below(10);
  if (mode < 2) {
    c.options.batch_size = rng.between(1, 3);
    c.mode = "--batch-size " + std::to_string(c.options.batch_size);
  } else if (mode < 4) {
    c.options.dry_run = health::DryRun::yes;
    c.mode = "--dry-run";
  }
  c.mode += csv ? " csv" : " ndjson";
  return c;
}

// The samples a batched ingest says it committed before failing.
std::int64_t committed_in_hint(const std::string& hint) {
  if (hint == "nothing was written" || hint == "dry run: nothing was written") return 0;
  return std::strtoll(hint.c_str(), nullptr, 10);
}

} // namespace

TEST_CASE("ingest: mutated NDJSON and CSV files are all or nothing in-process", "[hostile][ingest]") {
  Tally tally("in-process ingest");
  test::TempDir dir;
  health::StoreOptions store_options;
  store_options.path = dir.file("health.db");
  store_options.mode = health::OpenMode::create;
  auto store = health::Store::open(store_options);
  std::size_t accepted = 0;

  for (std::size_t i = 0; i < k_files; ++i) {
    const IngestCase c = make_case(i);
    ++tally.figures.cases;
    const std::string what = "case " + std::to_string(i) + " (" + c.mode + "): " + shell_quoted(c.text, 500);
    const Fingerprint before = fingerprint(store);
    std::istringstream in(c.text);
    try {
      const auto report = health::ingest(&store, {{"input", &in}}, c.options);
      ++accepted;
      const auto added = fingerprint(store).samples - before.samples;
      const auto expected = c.options.dry_run == health::DryRun::yes ? 0 : static_cast<std::int64_t>(report.samples);
      if (added != expected)
        tally.fail(what + ": reported " + std::to_string(report.samples) + " samples, added " + std::to_string(added));
    } catch (const health::Error& error) {
      const Fingerprint after = fingerprint(store);
      if (error.kind() != health::ErrorKind::bad_data) {
        ++tally.figures.breaks;
        tally.fail(what + ": an error of another kind than bad data: " + error.what());
      }
      if (c.options.batch_size == 0 && !(after == before)) {
        ++tally.figures.files_changed;
        tally.fail(what + ": failed with '" + error.what() + "' yet changed the database");
      }
      if (c.options.batch_size > 0 && after.samples - before.samples != committed_in_hint(error.hint())) {
        ++tally.figures.files_changed;
        tally.fail(what + ": kept " + std::to_string(after.samples - before.samples) + " samples, the hint says '" +
                   error.hint() + "'");
      }
    } catch (const std::exception& error) {
      ++tally.figures.breaks;
      tally.fail(what + ": threw " + error.what() + " instead of health::Error");
    }
  }
  std::printf("hostile: in-process ingest: %zu of %zu files accepted\n", accepted, k_files);
  tally.finish();
}
