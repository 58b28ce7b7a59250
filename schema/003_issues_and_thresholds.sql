-- 003: health issues with their event history, thresholds with the state
-- `check` keeps between runs, and the delivery log of notification hooks.

-- At most one open (active or acknowledged) issue per (component, metric,
-- labels): the partial unique index below enforces it.
CREATE TABLE issues (
  id              INTEGER PRIMARY KEY,
  component       TEXT    NOT NULL,
  metric          TEXT    NOT NULL,
  labels          TEXT    NOT NULL DEFAULT '',
  severity        TEXT    NOT NULL CHECK (severity IN ('warning', 'critical')),
  status          TEXT    NOT NULL CHECK (status IN ('active', 'acknowledged', 'resolved')),
  reason          TEXT    NOT NULL,
  current_value   REAL,
  threshold_value REAL,
  first_detected  INTEGER NOT NULL, -- epoch milliseconds, as every time below
  last_updated    INTEGER NOT NULL,
  resolved_at     INTEGER,
  occurrences     INTEGER NOT NULL DEFAULT 1,
  source          TEXT    NOT NULL CHECK (source IN ('manual', 'threshold', 'run'))
);
CREATE UNIQUE INDEX issues_one_open ON issues (component, metric, labels)
  WHERE status <> 'resolved';
CREATE INDEX issues_by_time ON issues (last_updated);

CREATE TABLE issue_events (
  id                INTEGER PRIMARY KEY,
  issue_id          INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  at                INTEGER NOT NULL,
  kind              TEXT    NOT NULL CHECK (kind IN ('opened', 'updated', 'escalated', 'de-escalated',
                                                     'acknowledged', 'resolved', 'reopened', 'note')),
  actor             TEXT    NOT NULL DEFAULT '',
  note              TEXT    NOT NULL DEFAULT '',
  previous_severity TEXT,
  severity          TEXT,
  value             REAL
);
CREATE INDEX issue_events_by_issue ON issue_events (issue_id, id);

-- Thresholds, one per (component, metric, labels). The pending_* and last_*
-- columns are check's memory: when a breach began (for `for`), and what the
-- last evaluation saw (for status perfdata).
CREATE TABLE thresholds (
  id             INTEGER PRIMARY KEY,
  component      TEXT    NOT NULL,
  metric         TEXT    NOT NULL,
  labels         TEXT    NOT NULL DEFAULT '',
  warn           TEXT    NOT NULL DEFAULT '', -- a range, '' for none
  crit           TEXT    NOT NULL DEFAULT '',
  agg            TEXT    NOT NULL DEFAULT 'avg',
  window_ms      INTEGER NOT NULL DEFAULT 300000,
  for_ms         INTEGER NOT NULL DEFAULT 0,
  enabled        INTEGER NOT NULL DEFAULT 1,
  description    TEXT    NOT NULL DEFAULT '',
  pending_since  INTEGER,
  pending_severity TEXT,
  last_checked   INTEGER,
  last_state     TEXT, -- ok, warning, critical or no_data
  last_value     REAL,
  UNIQUE (component, metric, labels)
);

-- One row per attempt to run a notification hook for an event.
CREATE TABLE notifications (
  id       INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES issue_events (id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  command  TEXT    NOT NULL,
  outcome  TEXT    NOT NULL CHECK (outcome IN ('delivered', 'failed', 'timeout')),
  detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notifications_by_event ON notifications (event_id);

-- Issues flat, for plain SQL: ISO times and the computed duration.
CREATE VIEW issues_view AS
SELECT i.id, i.component, i.metric, i.labels, i.severity, i.status, i.reason,
       i.current_value, i.threshold_value,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.first_detected / 1000.0, 'unixepoch') AS first_detected,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.last_updated / 1000.0, 'unixepoch') AS last_updated,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.resolved_at / 1000.0, 'unixepoch') AS resolved_at,
       i.occurrences, i.source
FROM issues i;
