-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: a non-volatile default is stored in the catalog, not in every row
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';
