-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: a constant default
-- expect: nothing
-- promise: catalog-only orders

ALTER TABLE orders ADD COLUMN priority integer NOT NULL DEFAULT 0;
