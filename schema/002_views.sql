-- 002: stable, documented views for reading the file with plain SQL
-- (`healthctl sql`, or sqlite3 itself). Their columns are a public interface:
-- later migrations may add columns but never rename or remove one.

-- One row per series.
CREATE VIEW series_view AS
SELECT s.id         AS series_id,
       s.node       AS node,
       s.component  AS component,
       s.name       AS name,
       s.labels     AS labels,
       s.type       AS type,
       s.unit       AS unit,
       strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at / 1000.0, 'unixepoch') AS created
FROM series s;

-- One row per sample, flat: ISO time (UTC, milliseconds), its epoch
-- milliseconds, the series it belongs to, its value and its context (NULL
-- when it has none). Filter on ts_ms for speed.
CREATE VIEW samples_view AS
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', x.ts_ms / 1000.0, 'unixepoch') AS ts,
       x.ts_ms      AS ts_ms,
       s.node       AS node,
       s.component  AS component,
       s.name       AS name,
       s.labels     AS labels,
       s.type       AS type,
       s.unit       AS unit,
       x.value      AS value,
       c.context    AS context
FROM samples x
JOIN series s ON s.id = x.series_id
LEFT JOIN sample_context c
       ON c.series_id = x.series_id AND c.ts_ms = x.ts_ms AND c.seq = x.seq;
