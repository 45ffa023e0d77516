-- source: PostgreSQL 15 docs, CREATE INDEX CONCURRENTLY: no lock that prevents inserts, updates or deletes
-- expect: nothing
-- promise: writes continue on orders
-- transactional: false

CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_placed_at_idx ON orders (placed_at);
