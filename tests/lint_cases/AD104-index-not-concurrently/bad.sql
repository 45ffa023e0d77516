CREATE INDEX tutoring_sessions_session_date_idx ON tutoring_sessions (session_date);
