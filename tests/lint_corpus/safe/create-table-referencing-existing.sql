-- source: PostgreSQL 15 docs, CREATE TABLE ... REFERENCES: SHARE ROW EXCLUSIVE on the referenced table for a moment, nothing to scan
-- expect: nothing
-- promise: catalog-only accounts
-- promise: reads continue on accounts

CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
