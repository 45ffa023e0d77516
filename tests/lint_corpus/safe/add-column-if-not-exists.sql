-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN IF NOT EXISTS: no default, nothing to write
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS phone text;
