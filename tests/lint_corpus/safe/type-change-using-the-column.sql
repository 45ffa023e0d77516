-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: USING the column itself changes no value
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN nickname TYPE varchar(60) USING nickname;
