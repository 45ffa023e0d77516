-- source: PostgreSQL 15 docs, ALTER TABLE, RENAME COLUMN: queries/account.sql reads accounts.email
-- expect: AD108

ALTER TABLE accounts RENAME COLUMN email TO email_address;
