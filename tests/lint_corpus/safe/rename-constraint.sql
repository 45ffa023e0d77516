-- source: PostgreSQL 15 docs, ALTER TABLE, RENAME CONSTRAINT: catalog only
-- expect: nothing
-- promise: catalog-only orders

ALTER TABLE orders RENAME CONSTRAINT orders_amount_positive TO orders_amount_not_negative;
