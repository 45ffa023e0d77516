-- source: PostgreSQL 15 docs, CREATE INDEX: a standard build locks out writes (SHARE) for the whole build
-- expect: AD104
-- locks: orders SHARE

CREATE INDEX orders_placed_at_idx ON orders (placed_at);
