-- 011: what `healthctl run` keeps per job between runs: the run of failures
-- that opens its issue, and the last success that `check` measures its grace
-- period (`--stale-after`) against. One row per (node, job name); the
-- component and labels are those of the job's series and issues.
CREATE TABLE job_runs (
  node                 TEXT    NOT NULL,
  name                 TEXT    NOT NULL,
  component            TEXT    NOT NULL,
  labels               TEXT    NOT NULL DEFAULT '', -- canonical k=v;k=v, job=NAME included
  created_at           INTEGER NOT NULL, -- first run (epoch ms, as every time below)
  last_run             INTEGER,          -- end of the last run
  last_success         INTEGER,          -- end of the last successful run
  last_exit            INTEGER,          -- its exit code (124 timeout, 128+N signal)
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  stale_after_ms       INTEGER,          -- NULL: check does not watch this job
  PRIMARY KEY (node, name)
) WITHOUT ROWID;
