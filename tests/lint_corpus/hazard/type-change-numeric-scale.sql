-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: a scale change is not binary coercible: the table and its indexes are rewritten
-- expect: AD107
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,4);
