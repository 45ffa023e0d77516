-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint: without NOT VALID the table is scanned to check every row
-- expect: AD102
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD CONSTRAINT accounts_balance_positive CHECK (balance >= 0);
