-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN with an inline CHECK: validated at once by a scan
-- expect: AD102
-- locks: orders ACCESS EXCLUSIVE

ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);
