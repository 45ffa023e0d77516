-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: clock_timestamp() is volatile, so every row gets its own value (a rewrite)
-- expect: AD101
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ADD COLUMN recorded_at timestamptz DEFAULT clock_timestamp();
