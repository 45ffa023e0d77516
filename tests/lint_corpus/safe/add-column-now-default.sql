-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: now() is STABLE, evaluated once
-- expect: nothing
-- promise: catalog-only orders

ALTER TABLE orders ADD COLUMN updated_at timestamptz DEFAULT now();
