-- 009: what a counter read from Prometheus' formats (ingest --format
-- prometheus|openmetrics, ingest --url) was last given: the source's running
-- total and its time. The next total is recorded as the increment since it
-- (or, a total that went down, as a counter reset, the new total itself).
-- NULL for series never read from those formats.
ALTER TABLE series ADD COLUMN scraped_total REAL;
ALTER TABLE series ADD COLUMN scraped_at INTEGER;
