-- 005: the database's identity, a random UUID (version 4) chosen once, when
-- the file is created or first migrated to this version. A backup carries it,
-- so a backup can be told apart from another database's backup that sits in
-- the same folder, and a restore can refuse a backup of another database.
CREATE TABLE identity (
  singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
  database_id TEXT    NOT NULL
);
INSERT INTO identity (singleton, database_id)
SELECT 1, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
          substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) ||
          substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
