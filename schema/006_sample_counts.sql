-- 006: each series keeps the number of samples it holds, so that listing
-- series and components never counts samples: writers add what they insert
-- (once per series per transaction), cleanup subtracts what it removes.
ALTER TABLE series ADD COLUMN sample_count INTEGER NOT NULL DEFAULT 0;
UPDATE series SET sample_count = (SELECT count(*) FROM samples WHERE series_id = series.id);
