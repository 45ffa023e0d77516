-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE ... USING: an expression other than the column recomputes every row
-- expect: AD107
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ALTER COLUMN status TYPE varchar(20) USING upper(status);
