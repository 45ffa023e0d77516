-- source: PostgreSQL 15 docs, ALTER TABLE, SET ACCESS METHOD: "changes the access method of the table by rewriting it"; ACCESS EXCLUSIVE
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts SET ACCESS METHOD heap;
