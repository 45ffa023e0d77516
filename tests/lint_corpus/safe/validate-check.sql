-- source: PostgreSQL 15 docs, ALTER TABLE, VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE only (the constraint was added NOT VALID by an earlier migration)
-- expect: nothing
-- promise: writes continue on orders

ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;
