-- transactional: false
-- Killed or timed out after it ran, this cannot run again: "already exists".
CREATE INDEX CONCURRENTLY tutoring_sessions_status_idx
    ON tutoring_sessions (status);
