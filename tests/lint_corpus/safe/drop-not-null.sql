-- source: PostgreSQL 15 docs, ALTER TABLE, DROP NOT NULL: nothing to check
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL;
