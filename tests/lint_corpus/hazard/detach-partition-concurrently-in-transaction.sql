-- source: PostgreSQL 15 docs, ALTER TABLE, DETACH PARTITION: CONCURRENTLY cannot run inside a transaction block
-- expect: AD105

ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
