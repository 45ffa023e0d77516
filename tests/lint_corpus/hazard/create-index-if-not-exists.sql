-- source: PostgreSQL 15 docs, CREATE INDEX: IF NOT EXISTS changes nothing about the lock
-- expect: AD104
-- locks: orders SHARE

CREATE INDEX IF NOT EXISTS orders_placed_at_idx ON orders (placed_at);
