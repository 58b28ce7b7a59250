-- 004: the log of backup work, for `backup status`: every backup created
-- (or that failed), every verification and every restore.
CREATE TABLE backup_log (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL, -- epoch milliseconds
  kind        TEXT    NOT NULL CHECK (kind IN ('create', 'verify', 'restore')),
  path        TEXT    NOT NULL,
  ok          INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER,
  detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX backup_log_by_kind ON backup_log (kind, at);
