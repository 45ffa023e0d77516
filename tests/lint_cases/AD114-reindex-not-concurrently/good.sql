-- transactional: false
REINDEX INDEX CONCURRENTLY tutoring_sessions_status_idx;
