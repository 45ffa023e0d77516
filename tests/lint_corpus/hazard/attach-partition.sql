-- source: PostgreSQL 15 docs, ALTER TABLE, ATTACH PARTITION: "a full table scan is performed on the table being attached" unless a valid CHECK implies the bound; SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition (measured)
-- expect: AD117
-- locks: events SHARE UPDATE EXCLUSIVE; events_2025 ACCESS EXCLUSIVE

ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
