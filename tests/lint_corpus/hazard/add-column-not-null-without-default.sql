-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: NOT NULL without a default fails on any table with rows (tags is empty here, so the server runs it)
-- expect: AD106

ALTER TABLE tags ADD COLUMN label text NOT NULL;
