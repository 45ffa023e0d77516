-- Locks tutoring_sessions ACCESS EXCLUSIVE: every read and write waits.
DROP INDEX IF EXISTS tutoring_sessions_status_idx;
