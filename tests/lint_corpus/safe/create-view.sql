-- source: PostgreSQL 15 docs, CREATE VIEW: reads the definition's tables, ACCESS SHARE
-- expect: nothing
-- promise: writes continue on accounts

CREATE VIEW wealthy_accounts AS SELECT id, email FROM accounts WHERE balance > 100;
