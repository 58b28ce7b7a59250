/*
 * The floor for one `healthctl record`: the least a process can do to add one
 * sample to a WAL SQLite file safely. It opens the file, sets a busy timeout,
 * inserts one row into a table shaped as healthctl's samples table inside a
 * BEGIN IMMEDIATE transaction, and exits. No names, no schema check, no
 * series lookup: what is left is process start-up and SQLite's own work.
 *
 * scripts/bench builds it with `cc -O2 -static` against Debian's
 * libsqlite3.a and times `healthctl record` against it.
 *
 *   record-floor FILE VALUE    (FILE made by `record-floor --init FILE`)
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(sqlite3 *db, const char *what) {
  fprintf(stderr, "record-floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close(db);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: record-floor FILE VALUE | record-floor --init FILE\n");
    return 2;
  }
  sqlite3 *db = NULL;
  if (strcmp(argv[1], "--init") == 0) {
    if (sqlite3_open(argv[2], &db) != SQLITE_OK) return fail(db, "open");
    const char *schema = "PRAGMA journal_mode = WAL;"
                         "CREATE TABLE IF NOT EXISTS samples (series_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
                         " seq INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series_id, ts_ms, seq))"
                         " WITHOUT ROWID;";
    if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "init");
    sqlite3_close(db);
    return 0;
  }
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return fail(db, "open");
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return fail(db, "begin");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const sqlite3_int64 ts = (sqlite3_int64)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  sqlite3_stmt *insert = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO samples (series_id, ts_ms, seq, value) SELECT 1, ?1, coalesce(max(seq) + 1, 0), ?2"
                         " FROM samples WHERE series_id = 1 AND ts_ms = ?1",
                         -1, &insert, NULL) != SQLITE_OK)
    return fail(db, "prepare");
  sqlite3_bind_int64(insert, 1, ts);
  sqlite3_bind_double(insert, 2, strtod(argv[2], NULL));
  if (sqlite3_step(insert) != SQLITE_DONE) return fail(db, "insert");
  sqlite3_finalize(insert);
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return fail(db, "commit");
  return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
