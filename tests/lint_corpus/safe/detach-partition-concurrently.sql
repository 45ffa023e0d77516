-- source: PostgreSQL 15 docs, ALTER TABLE, DETACH PARTITION CONCURRENTLY: SHARE UPDATE EXCLUSIVE, waits for older transactions
-- expect: nothing
-- promise: writes continue on events
-- transactional: false

-- astegni-db: ignore AD112 (its lock is the safe one; a failed run is finished by hand)
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
