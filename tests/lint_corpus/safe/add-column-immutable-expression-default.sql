-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: an immutable expression is a constant
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN currency varchar(3) DEFAULT upper('etb');
