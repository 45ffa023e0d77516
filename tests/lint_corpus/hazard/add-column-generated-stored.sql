-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: a stored generated column is computed for every row (a rewrite)
-- expect: AD101
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (amount * quantity) STORED;
