CREATE TABLE session_events (
    session_id integer NOT NULL,
    happened_at timestamptz NOT NULL
) PARTITION BY RANGE (happened_at);
-- Loaded apart, to be attached: one bare, one with a validated CHECK proving its bound.
CREATE TABLE session_events_2025 (session_id integer NOT NULL, happened_at timestamptz NOT NULL);
CREATE TABLE session_events_2026 (session_id integer NOT NULL, happened_at timestamptz NOT NULL);
ALTER TABLE session_events_2026 ADD CONSTRAINT session_events_2026_bound
    CHECK (happened_at >= '2026-01-01' AND happened_at < '2027-01-01');
