-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: no default, nothing to write
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN phone text;
