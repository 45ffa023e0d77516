-- source: PostgreSQL 15 docs, ALTER TABLE, DETACH PARTITION CONCURRENTLY: "If FINALIZE is specified, a previous DETACH CONCURRENTLY invocation that was canceled or interrupted is completed"; a second run fails (measured: "is not a partition of"); squawk: prefer-robust-stmts
-- expect: AD112
-- transactional: false

ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
