-- No transactional directive: yoyo runs this in a transaction, PostgreSQL refuses it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tutoring_sessions_session_date_idx
    ON tutoring_sessions (session_date);
