-- source: PostgreSQL 15 docs, 13.3: CREATE STATISTICS takes SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders

CREATE STATISTICS orders_account_status ON account_id, status FROM orders;
