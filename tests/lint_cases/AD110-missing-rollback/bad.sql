-- No bad.rollback.sql next to this file.
COMMENT ON TABLE tutoring_sessions IS 'Sessions a tutor held or will hold with a student.';
