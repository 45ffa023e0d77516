-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: integer -> bigint rewrites
-- expect: AD107
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;
