-- transactional: false
-- SHARE UPDATE EXCLUSIVE; if it is interrupted, finish it with
-- ALTER TABLE session_events DETACH PARTITION session_events_2024 FINALIZE.
-- astegni-db: ignore AD112 (no re-runnable spelling exists; a failed run is finished by hand)
ALTER TABLE session_events DETACH PARTITION session_events_2024 CONCURRENTLY;
