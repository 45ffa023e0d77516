-- transactional: false
-- SHARE UPDATE EXCLUSIVE; if it is interrupted, finish it with
-- ALTER TABLE session_events DETACH PARTITION session_events_2024 FINALIZE.
ALTER TABLE session_events DETACH PARTITION session_events_2024 CONCURRENTLY;
