-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: varchar -> text is binary coercible
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN nickname TYPE text;
