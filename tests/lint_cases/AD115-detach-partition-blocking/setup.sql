CREATE TABLE session_events (
    session_id integer NOT NULL,
    happened_at timestamptz NOT NULL
) PARTITION BY RANGE (happened_at);
CREATE TABLE session_events_2024 PARTITION OF session_events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
