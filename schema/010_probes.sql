-- 010: probes, the checks `probe run` makes itself (an HTTP answer, a TCP
-- connect, a monitoring plugin, a file's freshness, a query's number), with
-- what each run left: its last result and message, its failure streak and
-- its circuit breaker. Their results are ordinary series and issues.
CREATE TABLE probes (
  name            TEXT    PRIMARY KEY,
  kind            TEXT    NOT NULL CHECK (kind IN ('http', 'tcp', 'exec', 'file', 'sqlite')),
  target          TEXT    NOT NULL, -- the URL, HOST:PORT, command, file or database file
  -- What the kind checks, each empty or NULL when it does not apply.
  expect_status   TEXT    NOT NULL DEFAULT '', -- http: "200-399", "200,204"
  body_contains   TEXT    NOT NULL DEFAULT '',
  body_regex      TEXT    NOT NULL DEFAULT '',
  headers         TEXT    NOT NULL DEFAULT '', -- http: "Name: value" lines
  tls_verify      INTEGER NOT NULL DEFAULT 1,
  max_age_ms      INTEGER,                     -- file
  min_size        INTEGER,                     -- file
  query           TEXT    NOT NULL DEFAULT '', -- sqlite
  warn_range      TEXT    NOT NULL DEFAULT '', -- sqlite: monitoring-plugin ranges
  crit_range      TEXT    NOT NULL DEFAULT '',
  -- Where its results go and how it runs.
  component       TEXT    NOT NULL,
  labels          TEXT    NOT NULL DEFAULT '', -- k=v;k=v, as series.labels
  depends_on      TEXT    NOT NULL DEFAULT '', -- names, one per line
  every_ms        INTEGER NOT NULL,
  timeout_ms      INTEGER NOT NULL,
  retries         INTEGER NOT NULL,
  fail_after      INTEGER NOT NULL,
  critical_after  INTEGER,                     -- NULL: never escalates by count
  breaker_after   INTEGER NOT NULL,            -- 0: no circuit breaker
  breaker_open_ms INTEGER NOT NULL,
  breaker_max_ms  INTEGER NOT NULL,
  breaker_trials  INTEGER NOT NULL,
  enabled         INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,            -- epoch ms, as every time here
  -- What its runs left.
  started_at      INTEGER, -- when its last run was claimed
  running_until   INTEGER, -- a run holds its claim until it writes its result, or until this passes
                           -- (it died): two `probe run`s never run one probe at once
  last_run_at     INTEGER,
  last_result     TEXT CHECK (last_result IN ('ok', 'warning', 'critical', 'unknown')),
  last_message    TEXT    NOT NULL DEFAULT '',
  last_latency_ms REAL,
  failures        INTEGER NOT NULL DEFAULT 0, -- consecutive
  circuit         TEXT    NOT NULL DEFAULT 'closed' CHECK (circuit IN ('closed', 'open', 'half-open')),
  circuit_until   INTEGER, -- open: not run before this
  circuit_open_ms INTEGER, -- open: the current recovery time, doubled on each reopening
  trial_successes INTEGER NOT NULL DEFAULT 0 -- half-open
) WITHOUT ROWID;
