-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: an identity column fills every existing row (a rewrite)
-- expect: AD101
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ADD COLUMN line_number bigint GENERATED ALWAYS AS IDENTITY;
