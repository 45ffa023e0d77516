COMMENT ON TABLE tutoring_sessions IS NULL;
