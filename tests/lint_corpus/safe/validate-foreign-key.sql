-- source: PostgreSQL 15 docs, ALTER TABLE, VALIDATE CONSTRAINT: plus ROW SHARE on the referenced table
-- expect: nothing
-- promise: writes continue on orders
-- promise: writes continue on accounts

ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;
