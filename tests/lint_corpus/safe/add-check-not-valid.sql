-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint NOT VALID: the scan is skipped
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD CONSTRAINT accounts_balance_positive CHECK (balance >= 0) NOT VALID;
