-- 008: where `push --remote-write` left off, per receiver. Prometheus takes
-- each series forward in time only, so a cursor is per series: the time of
-- the last point the receiver acknowledged. Before a request is sent, each
-- of its series notes the time of its last point in it (`pending_ts`); the
-- acknowledgement moves the cursor there and clears it. A pending time left
-- behind (the connection failed after the request was sent, or the process
-- died) marks points the receiver may hold: the next push sends exactly
-- those first, on their own, and a refusal as out of order then means held.
CREATE TABLE push_targets (
  target    TEXT    PRIMARY KEY, -- the URL, without credentials
  start_ms  INTEGER NOT NULL,    -- where its first push began (epoch ms, as every time below)
  last_push INTEGER,             -- the last acknowledged request
  samples   INTEGER NOT NULL DEFAULT 0 -- samples acknowledged, ever
);

CREATE TABLE push_cursors (
  target     TEXT    NOT NULL REFERENCES push_targets (target),
  series_id  INTEGER NOT NULL REFERENCES series (id),
  ts_ms      INTEGER, -- NULL until a first point is acknowledged
  pending_ts INTEGER, -- NULL unless a request is out with points up to it
  -- The running totals last acknowledged (a counter's total, a summary's
  -- _count and _sum): a push never sends less, which Prometheus would read
  -- as a reset, when the sum it works out again differs in its last bits.
  sent_total REAL,
  sent_sum   REAL,
  PRIMARY KEY (target, series_id)
) WITHOUT ROWID;
