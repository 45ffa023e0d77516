-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint_using_index: the index exists, nothing is built
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_uidx;
