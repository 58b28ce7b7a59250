-- 001: the schema version log, the series dictionary and the samples store.
-- Instants are integer milliseconds since the Unix epoch, UTC, everywhere.

CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY,
  description TEXT    NOT NULL,
  applied_at  INTEGER NOT NULL
);

-- One row per series: (node, component, name, labels) is its identity; type
-- and unit are fixed when the series is first recorded. `labels` is the
-- canonical text form `k=v;k=v` sorted by key ('' when there are none).
CREATE TABLE series (
  id         INTEGER PRIMARY KEY,
  node       TEXT    NOT NULL,
  component  TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  labels     TEXT    NOT NULL DEFAULT '',
  type       TEXT    NOT NULL CHECK (type IN ('counter', 'gauge', 'timer', 'rolling')),
  unit       TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (component, name, labels, node)
);

-- Samples clustered on (series, time): a range scan of one series reads
-- neighbouring pages, and a scan of all series by time is one range scan per
-- series. `seq` numbers samples of one series within one millisecond (0, 1, ...)
-- so both are kept; it is 0 almost always and then takes no bytes on disk.
-- Counter samples are increments, never running totals.
CREATE TABLE samples (
  series_id INTEGER NOT NULL REFERENCES series (id),
  ts_ms     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  value     REAL    NOT NULL,
  PRIMARY KEY (series_id, ts_ms, seq)
) WITHOUT ROWID;

-- The optional JSON context of a sample (a compact JSON object of at most
-- 4 KiB). Kept apart so that samples without context pay nothing for it.
CREATE TABLE sample_context (
  series_id INTEGER NOT NULL,
  ts_ms     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  context   TEXT    NOT NULL,
  PRIMARY KEY (series_id, ts_ms, seq)
) WITHOUT ROWID;
