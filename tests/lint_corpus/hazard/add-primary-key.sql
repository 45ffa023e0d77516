-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint: PRIMARY KEY builds its index under ACCESS EXCLUSIVE
-- expect: AD104
-- locks: audit_log ACCESS EXCLUSIVE

ALTER TABLE audit_log ADD PRIMARY KEY (entry_id);
