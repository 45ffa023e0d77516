-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: more precision, same scale, no rewrite
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(16,2);
