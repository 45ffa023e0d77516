-- source: PostgreSQL 15 docs, ALTER TABLE, VALIDATE CONSTRAINT: only SHARE UPDATE EXCLUSIVE, unless the ADD's ACCESS EXCLUSIVE is still held by the same transaction
-- expect: AD103
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD CONSTRAINT accounts_balance_positive CHECK (balance >= 0) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_positive;
