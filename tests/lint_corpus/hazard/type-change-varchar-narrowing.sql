-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: a shorter varchar checks every value (a rewrite)
-- expect: AD107
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ALTER COLUMN name TYPE varchar(20);
