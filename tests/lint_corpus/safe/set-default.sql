-- source: PostgreSQL 15 docs, ALTER TABLE, SET DEFAULT: affects later inserts only
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN note SET DEFAULT '';
