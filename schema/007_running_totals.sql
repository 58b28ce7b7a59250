-- 007: each series keeps the count and the sum of every sample it was ever
-- given, what Prometheus reads as a counter's running total and a summary's
-- _count and _sum. Writers add what they insert, as they do to sample_count;
-- unlike sample_count, cleanup never subtracts: a total only grows, since a
-- total that went down would read as a counter reset.
ALTER TABLE series ADD COLUMN total_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE series ADD COLUMN total_sum REAL NOT NULL DEFAULT 0;
UPDATE series SET total_count = sample_count,
                  total_sum = coalesce((SELECT sum(value) FROM samples WHERE series_id = series.id), 0);
