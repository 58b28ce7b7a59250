// kill -9 in the middle of every command that writes much: ingest (all or
// nothing, and with --batch-size), cleanup, backup create and backup
// restore. Each is started on a copy of one database and SIGKILLed after a
// seeded fraction of the time it takes uninterrupted; then the next
// healthctl must read the file, PRAGMA integrity_check must say ok, and the
// data must be what the command's contract allows:
//
//   ingest            all samples or none (one transaction)
//   ingest --batch-size N   whole batches only (each batch commits alone)
//   cleanup           every recent sample kept; of the old ones, each series
//                     keeps its newest (batches delete the oldest first) and
//                     no context outlives its sample; a second run finishes
//   backup create     the live data untouched; every named backup complete
//   backup restore    the old data or the backup's, never a mix; the backup
//                     file itself untouched
//
// The only leftovers allowed are SQLite's -wal/-shm and the documented
// backup temp files (.health-*.db.tmp-XXXXXX), which are counted, and which
// a later backup create removes once they are an hour old.

#include "checks.hpp"
#include "hostile.hpp"
#include "mutate.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace {

namespace fs = std::filesystem;
using hostile::Rng;
using hostile::Tally;
using Clock = std::chrono::steady_clock;

constexpr std::size_t k_kills = 8; // per operation
constexpr std::size_t k_series = 4;

// A short-lived connection for the checks, opened read-write so that it
// recovers a hot WAL as any later healthctl would.
class Db {
public:
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      m_error = m_db != nullptr ? sqlite3_errmsg(m_db) : "cannot open";
    } else {
      sqlite3_busy_timeout(m_db, 5000);
    }
  }
  ~Db() { sqlite3_close_v2(m_db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  const std::string& error() const { return m_error; }
  // The first column of the first row as text ("" when none).
  std::string text(const std::string& sql) const {
    sqlite3_stmt* statement = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    else if (statement == nullptr || sqlite3_errcode(m_db) != SQLITE_DONE)
      out = std::string("error: ") + sqlite3_errmsg(m_db);
    sqlite3_finalize(statement);
    return out;
  }
  std::int64_t number(const std::string& sql) const { return std::strtoll(text(sql).c_str(), nullptr, 10); }

private:
  sqlite3* m_db = nullptr;
  std::string m_error;
};

// The user's data (everything but healthctl's own metrics about itself):
// count, sums and series, as one comparable line.
std::string user_data(const std::string& path) {
  const Db db(path);
  if (!db.error().empty()) return "cannot open: " + db.error();
  return db.text("SELECT count(*) || ' samples, sum ' || total(s.value) || ', ts ' || total(s.ts_ms) FROM samples s "
                 "JOIN series r ON r.id = s.series_id WHERE r.component != 'healthctl'") +
         "; series " +
         db.text("SELECT group_concat(k, ',') FROM (SELECT component || '/' || name AS k FROM series "
                 "WHERE component != 'healthctl' ORDER BY 1)");
}

// A CSV of `rows` samples spread over the series c0..c3/m, one per
// `step_ms` from `first_ms`, every tenth with a context.
std::string samples_csv(std::size_t rows, std::int64_t first_ms, std::int64_t step_ms, const std::string& component) {
  std::string csv = "ts_ms,component,name,type,value,context\n";
  csv.reserve(rows * 48);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto series = i % k_series;
    const auto ts = first_ms + static_cast<std::int64_t>(i / k_series) * step_ms;
    csv += std::to_string(ts) + "," + component + std::to_string(series) + ",m,gauge," + std::to_string(i % 1000) + ",";
    if (i % 10 == 0) csv += "\"{\"\"i\"\":" + std::to_string(i) + "}\"";
    csv += '\n';
  }
  return csv;
}

long long milliseconds(Clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// A run that was started and, unless it ended first, SIGKILLed.
struct KillRun {
  bool killed = false;
  hostile::Outcome outcome;
};

KillRun run_and_kill(const test::Sandbox& box, const std::vector<std::string>& args, Clock::duration delay) {
  std::vector<std::string> argv{test::healthctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto start = Clock::now();
  const pid_t pid = box.start(argv);
  while (Clock::now() - start < delay && !hostile::has_ended(pid))
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  KillRun run;
  if (!hostile::has_ended(pid)) ::kill(pid, SIGKILL);
  run.outcome.result = box.finish(pid);
  run.killed = run.outcome.result.exit_code == 128 + SIGKILL;
  run.outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return run;
}

// The seeded delays: fractions of an uninterrupted run's length, from its
// start (process start-up, opening) to near its end (commit, rename); not
// all the way, as a run is often quicker than the first, timed one.
std::vector<Clock::duration> kill_delays(const std::string& part, Clock::duration full) {
  Rng rng(hostile::case_seed(part, 0));
  std::vector<Clock::duration> delays;
  std::string shown;
  for (std::size_t i = 0; i < k_kills; ++i) {
    const double fraction = 0.03 + 0.8 * static_cast<double>(rng.below(1001)) / 1000.0;
    delays.push_back(std::chrono::duration_cast<Clock::duration>(full * fraction));
    shown += (shown.empty() ? "" : ", ") + std::to_string(milliseconds(delays.back()));
  }
  std::printf("hostile: %s: uninterrupted %lld ms; SIGKILL after %s ms\n", part.c_str(), milliseconds(full),
              shown.c_str());
  return delays;
}

// What a killed command left behind beside the database and the backups.
struct Leftovers {
  std::vector<std::string> stray; // accounted for by no documentation
  std::size_t temps = 0;          // documented: .health-*.db.tmp-XXXXXX
  std::size_t journals = 0;       // the temp's -journal, removed with it
};

Leftovers leftovers(const test::Sandbox& box, const std::set<std::string>& inputs) {
  Leftovers found;
  for (const auto& entry : fs::recursive_directory_iterator(box.dir())) {
    if (!entry.is_regular_file()) continue;
    const auto name = entry.path().filename().string();
    const bool in_backups = entry.path().parent_path().filename() == "backups";
    const auto tmp = name.find(".db.tmp-");
    const bool temp_name = in_backups && name.rfind(".health-", 0) == 0 && tmp != std::string::npos;
    if (temp_name && name.size() == tmp + 8 + 6) ++found.temps;
    else if (temp_name && name.size() == tmp + 8 + 6 + 8 && name.substr(name.size() - 8) == "-journal") ++found.journals;
    else if (in_backups && name.rfind("health-", 0) == 0 && name.size() > 3 && name.substr(name.size() - 3) == ".db") {
    } else if (!in_backups && (name == "health.db" || name == "health.db-wal" || name == "health.db-shm" ||
                               inputs.count(name) > 0 || name.rfind("run-", 0) == 0)) {
    } else {
      found.stray.push_back(entry.path().string());
    }
  }
  return found;
}

// The checks every operation shares after a kill: the next healthctl reads
// the file, integrity_check is ok, nothing undocumented is left over.
// Returns the sample count healthctl read, or -1 after a failure.
std::int64_t common_checks(Tally& tally, const test::Sandbox& box, const KillRun& run, const std::string& what,
                           const std::set<std::string>& inputs) {
  if (!run.killed) {
    const auto problems = hostile::contract_problems(run.outcome, {{0}, {}, true});
    for (const auto& problem : problems) tally.fail(what + ": ended before the kill, but " + problem);
  }
  // The product's own read path first: a read-only open after the crash.
  const auto read = box.healthctl({"sql", "SELECT count(*) AS n FROM samples", "--format", "csv"});
  if (read.exit_code != 0) {
    tally.fail(what + ": the next read failed: exit " + std::to_string(read.exit_code) + ", " + read.err);
    return -1;
  }
  const auto check = hostile::integrity_check(box.db());
  if (check != "ok") {
    tally.fail(what + ": integrity_check says " + check);
    return -1;
  }
  const auto left = leftovers(box, inputs);
  for (const auto& file : left.stray) tally.fail(what + ": left an undocumented file " + file);
  tally.figures.temp_files += left.temps;
  tally.figures.temp_files += left.journals; // removed with their temp files after an hour
  return std::strtoll(read.out.substr(read.out.find('\n') + 1).c_str(), nullptr, 10);
}

// Samples to fill a database with: `rows` over the series <prefix>0..3/m,
// one per `step_ms` from `first_ms`, every tenth with a context.
struct Fill {
  std::string prefix;
  std::size_t rows;
  std::int64_t first_ms, step_ms;
};

// The bytes of a database healthctl created (init), filled with `fills`
// through SQL: far faster than ingesting them, for the large files the
// kills need.
std::string make_database(const std::vector<Fill>& fills) {
  test::Sandbox box;
  REQUIRE(box.healthctl({"init", "-q"}).exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(box.db().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  std::string sql = "BEGIN;";
  for (const auto& fill : fills) {
    const std::string series = "(SELECT id FROM series WHERE component = '" + fill.prefix + "' || (i % " +
                               std::to_string(k_series) + ") AND name = 'm')";
    const std::string numbers = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < " +
                                std::to_string(fill.rows) + ") ";
    const std::string ts = std::to_string(fill.first_ms) + " + (i / " + std::to_string(k_series) + ") * " +
                           std::to_string(fill.step_ms);
    sql += numbers + "INSERT OR IGNORE INTO series (node, component, name, labels, type, unit, created_at) SELECT 'test-node', '" +
           fill.prefix + "' || i, 'm', '', 'gauge', '', 0 FROM n WHERE i < " + std::to_string(k_series) + ";";
    sql += numbers + "INSERT INTO samples (series_id, ts_ms, seq, value) SELECT " + series + ", " + ts +
           ", 0, i % 1000 FROM n;";
    sql += numbers + "INSERT INTO sample_context (series_id, ts_ms, seq, context) SELECT " + series + ", " + ts +
           ", 0, '{\"i\":' || i || '}' FROM n WHERE i % 10 = 0;";
  }
  sql += "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);";
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error != nullptr ? error : ""));
  sqlite3_free(error);
  sqlite3_close_v2(db);
  REQUIRE(rc == SQLITE_OK);
  return test::slurp(box.db());
}

void install(const test::Sandbox& box, const std::string& bytes, const std::string& path = {}) {
  std::ofstream(path.empty() ? box.db() : path, std::ios::binary) << bytes;
}

// The user's data in a database file of these bytes.
std::string data_of(const std::string& bytes) {
  test::Sandbox box;
  install(box, bytes);
  return user_data(box.db());
}

Clock::duration timed(const std::function<void()>& action) {
  const auto start = Clock::now();
  action();
  return Clock::now() - start;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ingest killed: the count before or after, or (batched) whole batches.
void ingest_kills(Tally& tally, std::size_t batch_size) {
  constexpr std::size_t k_rows = 30000;
  const std::string csv = samples_csv(k_rows, now_ms() - 10 * 86400000LL, 1000, "c");
  const std::string start_db = make_database({{"old", 8, now_ms() - 86400000LL, 1000}});
  std::vector<std::string> args{"ingest", "big.csv", "-q"};
  if (batch_size > 0) args.insert(args.end(), {"--batch-size", std::to_string(batch_size)});

  Clock::duration full{};
  {
    test::Sandbox box;
    install(box, start_db);
    box.write_file("big.csv", csv);
    full = timed([&] { REQUIRE(box.healthctl(args).exit_code == 0); });
  }
  for (const auto delay : kill_delays(tally.part(), full)) {
    ++tally.figures.cases;
    test::Sandbox box;
    install(box, start_db);
    box.write_file("big.csv", csv);
    const auto run = run_and_kill(box, args, delay);
    const std::string what = tally.part() + " killed after " +
                             std::to_string(milliseconds(delay)) + " ms";
    tally.figures.kills += run.killed ? 1 : 0;
    const auto count = common_checks(tally, box, run, what, {"big.csv"});
    if (count < 0) continue;
    const auto added = static_cast<std::size_t>(count) - 8;
    const bool allowed = batch_size == 0 ? (added == 0 || added == k_rows)
                                         : (added % batch_size == 0 || added == k_rows);
    if (!allowed) {
      tally.fail(what + ": " + std::to_string(added) + " of " + std::to_string(k_rows) + " samples were kept");
      continue;
    }
    tally.figures.kills_survived += run.killed ? 1 : 0;
  }
}

} // namespace

TEST_CASE("kill: ingest killed with SIGKILL writes all samples or none", "[hostile][kill]") {
  Tally tally("kill: ingest");
  ingest_kills(tally, 0);
  tally.finish();
}

TEST_CASE("kill: ingest --batch-size killed with SIGKILL keeps whole batches only", "[hostile][kill]") {
  Tally tally("kill: ingest --batch-size");
  ingest_kills(tally, 5000);
  tally.finish();
}

TEST_CASE("kill: cleanup killed with SIGKILL keeps recent samples and the newest of the old", "[hostile][kill]") {
  Tally tally("kill: cleanup");
  constexpr std::size_t k_old = 50000;
  constexpr std::size_t k_recent = 2000;
  constexpr std::int64_t k_step = 10000; // 10 s between a series' samples
  const std::int64_t old_first = now_ms() - 60 * 86400000LL;
  const std::int64_t recent_first = now_ms() - 86400000LL;
  const std::string start_db = make_database({{"c", k_old, old_first, k_step}, {"c", k_recent, recent_first, 1000}});
  const std::int64_t old_last = old_first + static_cast<std::int64_t>(k_old / k_series - 1) * k_step;
  const std::vector<std::string> args{"cleanup", "-q"};

  Clock::duration full{};
  {
    test::Sandbox box;
    install(box, start_db);
    full = timed([&] { REQUIRE(box.healthctl(args).exit_code == 0); });
  }
  for (const auto delay : kill_delays(tally.part(), full)) {
    ++tally.figures.cases;
    test::Sandbox box;
    install(box, start_db);
    const auto run = run_and_kill(box, args, delay);
    const std::string what = tally.part() + " killed after " +
                             std::to_string(milliseconds(delay)) + " ms";
    tally.figures.kills += run.killed ? 1 : 0;
    if (common_checks(tally, box, run, what, {}) < 0) continue;
    bool sound = true;
    {
      const Db db(box.db());
      const auto cutoff = std::to_string(old_last + 1);
      if (db.number("SELECT count(*) FROM samples WHERE ts_ms >= " + cutoff) != static_cast<std::int64_t>(k_recent)) {
        tally.fail(what + ": recent samples were removed");
        sound = false;
      }
      // Each series keeps a run of its newest old samples: no gaps, ending at the last.
      const auto gaps = db.number("SELECT count(*) FROM (SELECT series_id, count(*) AS n, min(ts_ms) AS first, "
                                  "max(ts_ms) AS last FROM samples WHERE ts_ms < " + cutoff +
                                  " GROUP BY series_id) WHERE last != " + std::to_string(old_last) +
                                  " OR last - first != (n - 1) * " + std::to_string(k_step));
      if (gaps != 0) {
        tally.fail(what + ": " + std::to_string(gaps) + " series lost samples out of order");
        sound = false;
      }
      const auto orphans = db.number("SELECT count(*) FROM sample_context c WHERE NOT EXISTS (SELECT 1 FROM "
                                     "samples s WHERE s.series_id = c.series_id AND s.ts_ms = c.ts_ms AND s.seq = c.seq)");
      if (orphans != 0) {
        tally.fail(what + ": " + std::to_string(orphans) + " contexts outlived their samples");
        sound = false;
      }
    }
    // The next cleanup finishes the job.
    const auto again = box.healthctl(args);
    const Db db(box.db());
    if (again.exit_code != 0 || db.number("SELECT count(*) FROM samples") != static_cast<std::int64_t>(k_recent)) {
      tally.fail(what + ": the next cleanup did not finish: exit " + std::to_string(again.exit_code) + " " + again.err);
      sound = false;
    }
    if (sound && run.killed) ++tally.figures.kills_survived;
  }
  tally.finish();
}

namespace {

// Every backup healthctl named in `box` passes verify and holds `data`.
void check_backups(Tally& tally, const test::Sandbox& box, const std::string& data, const std::string& what,
                   bool& sound) {
  const fs::path dir = box.dir() / "backups";
  if (!fs::exists(dir)) return;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("health-", 0) != 0) continue;
    const auto verify = box.healthctl({"backup", "verify", entry.path().string()});
    const auto held = user_data(entry.path().string());
    if (verify.exit_code != 0 || (!data.empty() && held != data)) {
      tally.fail(what + ": backup " + name + " is not whole: " + verify.err + held);
      sound = false;
    }
  }
}

// Sets the modification time of the backup temp files in `box` two hours back.
std::size_t age_backup_temps(const test::Sandbox& box) {
  std::size_t aged = 0;
  const fs::path dir = box.dir() / "backups";
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".db.tmp-") == std::string::npos) continue;
    const timespec old = {static_cast<time_t>(now_ms() / 1000 - 7200), 0};
    const timespec times[2] = {old, old};
    if (::utimensat(AT_FDCWD, entry.path().c_str(), times, 0) == 0) ++aged;
  }
  return aged;
}

} // namespace

TEST_CASE("kill: backup create killed with SIGKILL leaves the data and every named backup whole",
          "[hostile][kill]") {
  Tally tally("kill: backup create");
  const std::string start_db = make_database({{"c", 100000, now_ms() - 10 * 86400000LL, 1000}});
  const std::string data = data_of(start_db);
  const std::vector<std::string> args{"backup", "create", "-q"};

  Clock::duration full{};
  {
    test::Sandbox box;
    install(box, start_db);
    full = timed([&] { REQUIRE(box.healthctl(args).exit_code == 0); });
  }
  bool aged_once = false;
  for (const auto delay : kill_delays(tally.part(), full)) {
    ++tally.figures.cases;
    test::Sandbox box;
    install(box, start_db);
    const auto run = run_and_kill(box, args, delay);
    const std::string what = tally.part() + " killed after " +
                             std::to_string(milliseconds(delay)) + " ms";
    tally.figures.kills += run.killed ? 1 : 0;
    if (common_checks(tally, box, run, what, {}) < 0) continue;
    bool sound = true;
    if (user_data(box.db()) != data) {
      tally.fail(what + ": the live data changed: " + user_data(box.db()));
      sound = false;
    }
    check_backups(tally, box, data, what, sound);
    // A temp file of the killed backup goes with the next create once an hour old.
    if (!aged_once && age_backup_temps(box) > 0) {
      aged_once = true;
      const auto next = box.healthctl(args);
      const auto left = leftovers(box, {});
      if (next.exit_code != 0 || left.temps != 0) {
        tally.fail(what + ": the next create left " + std::to_string(left.temps) + " hour-old temp files (exit " +
                   std::to_string(next.exit_code) + " " + next.err + ")");
        sound = false;
      }
    }
    if (sound && run.killed) ++tally.figures.kills_survived;
  }
  tally.finish();
}

TEST_CASE("kill: backup restore killed with SIGKILL leaves the old database or the new, never a mix",
          "[hostile][kill]") {
  Tally tally("kill: backup restore");
  const std::string live_db = make_database({{"live", 60000, now_ms() - 10 * 86400000LL, 1000}});
  const std::string backup_db = make_database({{"restored", 50000, now_ms() - 20 * 86400000LL, 1000}});
  const std::string old_data = data_of(live_db);
  const std::string new_data = data_of(backup_db);
  REQUIRE(old_data != new_data);
  const auto prepare = [&](const test::Sandbox& box) {
    install(box, live_db);
    fs::create_directories(box.dir() / "backups");
    const auto path = (box.dir() / "backups" / "health-20250101T000000Z.db").string();
    install(box, backup_db, path);
    return path;
  };

  Clock::duration full{};
  {
    test::Sandbox box;
    const auto path = prepare(box);
    // The backup is another database's (its own identity): --force.
    full = timed([&] { REQUIRE(box.healthctl({"backup", "restore", path, "--yes", "--force", "-q"}).exit_code == 0); });
    REQUIRE(user_data(box.db()) == new_data);
  }
  for (const auto delay : kill_delays(tally.part(), full)) {
    ++tally.figures.cases;
    test::Sandbox box;
    const auto path = prepare(box);
    const auto run = run_and_kill(box, {"backup", "restore", path, "--yes", "--force", "-q"}, delay);
    const std::string what = tally.part() + " killed after " +
                             std::to_string(milliseconds(delay)) + " ms";
    tally.figures.kills += run.killed ? 1 : 0;
    if (common_checks(tally, box, run, what, {}) < 0) continue;
    bool sound = true;
    const auto data = user_data(box.db());
    if (data != old_data && data != new_data) {
      tally.fail(what + ": the database is neither the old nor the backup: " + data);
      sound = false;
    }
    if (!run.killed && data != new_data) {
      tally.fail(what + ": the restore finished, but the data is not the backup's");
      sound = false;
    }
    if (test::slurp(path) != backup_db) {
      tally.fail(what + ": the backup file restored from was changed");
      sound = false;
    }
    check_backups(tally, box, {}, what, sound); // the safety copy, when it got that far
    if (sound && run.killed) ++tally.figures.kills_survived;
  }
  tally.finish();
}
