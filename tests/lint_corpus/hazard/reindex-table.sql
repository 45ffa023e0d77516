-- source: PostgreSQL 15 docs, REINDEX: TABLE rebuilds every index of the table the same way
-- expect: AD114
-- locks: orders SHARE

REINDEX TABLE orders;
