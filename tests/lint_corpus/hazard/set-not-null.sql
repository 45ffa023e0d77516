-- source: PostgreSQL 15 docs, ALTER TABLE, SET NOT NULL: the table is scanned under ACCESS EXCLUSIVE unless a valid CHECK proves no NULL
-- expect: AD106
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ALTER COLUMN placed_at SET NOT NULL;
