-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS tutoring_sessions_status_idx
    ON tutoring_sessions (status);
