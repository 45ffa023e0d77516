-- source: outside case / PostgreSQL 15 docs, ALTER TABLE, DETACH PARTITION: without CONCURRENTLY, ACCESS EXCLUSIVE on the parent and the partition
-- expect: AD115
-- locks: events ACCESS EXCLUSIVE; events_2023 ACCESS EXCLUSIVE

ALTER TABLE events DETACH PARTITION events_2023;
