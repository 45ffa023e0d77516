-- source: PostgreSQL 15 docs, ALTER TABLE, RENAME COLUMN: catalog only; no query in queries/ reads legacy_code
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts RENAME COLUMN legacy_code TO old_code;
