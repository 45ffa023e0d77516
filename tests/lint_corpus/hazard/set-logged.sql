-- source: PostgreSQL 15 docs, ALTER TABLE, SET LOGGED / UNLOGGED: "this form ... rewrites the table"; ACCESS EXCLUSIVE
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts SET LOGGED;
