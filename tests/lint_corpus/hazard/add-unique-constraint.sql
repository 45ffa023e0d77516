-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint: UNIQUE builds its index under ACCESS EXCLUSIVE
-- expect: AD104
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD CONSTRAINT accounts_name_key UNIQUE (name);
