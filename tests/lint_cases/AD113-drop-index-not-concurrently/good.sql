-- transactional: false
-- SHARE UPDATE EXCLUSIVE: reads and writes go on while the index is dropped.
DROP INDEX CONCURRENTLY IF EXISTS tutoring_sessions_status_idx;
