-- source: PostgreSQL 15 docs, ALTER TABLE, DROP COLUMN: the column is only hidden, no rewrite; no query reads legacy_code
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts DROP COLUMN legacy_code;
