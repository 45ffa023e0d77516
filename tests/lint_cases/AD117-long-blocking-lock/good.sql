-- session_events_2026_bound (validated by an earlier migration) proves the bound:
-- ATTACH skips the scan, and holds SHARE UPDATE EXCLUSIVE on session_events.
ALTER TABLE session_events ATTACH PARTITION session_events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
