-- source: PostgreSQL 15 docs, ALTER TABLE, DROP CONSTRAINT: catalog only
-- expect: nothing
-- promise: catalog-only orders

ALTER TABLE orders DROP CONSTRAINT orders_amount_positive;
