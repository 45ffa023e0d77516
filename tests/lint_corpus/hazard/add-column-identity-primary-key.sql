-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: an identity fills every row, and PRIMARY KEY builds an index, both under ACCESS EXCLUSIVE
-- expect: AD101, AD104
-- locks: audit_log ACCESS EXCLUSIVE

ALTER TABLE audit_log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
