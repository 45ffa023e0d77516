-- Scans every row of session_events_2025 under ACCESS EXCLUSIVE to check the bound.
ALTER TABLE session_events ATTACH PARTITION session_events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
