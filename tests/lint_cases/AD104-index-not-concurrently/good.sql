-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS tutoring_sessions_session_date_idx
    ON tutoring_sessions (session_date);
