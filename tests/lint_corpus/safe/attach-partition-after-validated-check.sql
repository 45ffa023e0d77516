-- source: PostgreSQL 15 docs, ALTER TABLE, ATTACH PARTITION: the scan is skipped when "a valid CHECK constraint ... allows proving that the partition constraint holds"; 5.11.2.2 shows the CHECK
-- expect: nothing
-- promise: catalog-only events_2026
-- promise: writes continue on events

ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
