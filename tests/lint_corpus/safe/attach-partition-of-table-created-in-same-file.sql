-- source: PostgreSQL 15 docs, ALTER TABLE, ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent; the scan is of the partition, here a new empty table
-- expect: nothing
-- promise: writes continue on events

CREATE TABLE events_2027 (id bigint NOT NULL, happened_on date NOT NULL, payload text);
ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
