-- transactional: false
-- source: PostgreSQL 15 docs, LOCK: "LOCK TABLE is useless outside a transaction block ... an error"; a `-- transactional: false` migration runs each statement on its own
-- expect: AD105

LOCK TABLE orders IN SHARE MODE;
