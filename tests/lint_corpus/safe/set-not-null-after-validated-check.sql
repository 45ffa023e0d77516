-- source: PostgreSQL 15 docs, ALTER TABLE, SET NOT NULL: a valid CHECK (status IS NOT NULL) from an earlier migration proves it, the scan is skipped
-- expect: nothing
-- promise: catalog-only orders

ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
