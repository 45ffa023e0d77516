-- source: PostgreSQL 15 docs, ALTER TABLE, DROP DEFAULT: affects later inserts only
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;
