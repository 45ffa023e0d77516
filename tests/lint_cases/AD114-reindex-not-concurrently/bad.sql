-- CONCURRENTLY false is a plain REINDEX: SHARE on tutoring_sessions (writes
-- wait) and ACCESS EXCLUSIVE on the index (queries using it wait).
REINDEX (CONCURRENTLY false) INDEX tutoring_sessions_status_idx;
