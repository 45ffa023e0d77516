-- Roll back 0003: drop the index, concurrently (reads and writes go on). No
-- data depends on it; the sessions endpoint only gets slower again.
DROP INDEX CONCURRENTLY IF EXISTS tutoring_sessions_tutor_date_idx;
