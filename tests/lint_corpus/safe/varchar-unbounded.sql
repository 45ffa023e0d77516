-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: dropping the length limit is binary coercible
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN email TYPE varchar;
