-- source: PostgreSQL 15 docs, CREATE INDEX: CREATE INDEX CONCURRENTLY cannot run inside a transaction block
-- expect: AD105

CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_placed_at_idx ON orders (placed_at);
