-- transactional: false
-- Each statement commits on its own: the CHECK is added catalog-only, validated
-- without blocking writers, and SET NOT NULL then uses it instead of scanning.
-- A run stopped halfway runs every statement again (AD112): the first DROP ...
-- IF EXISTS makes the ADD safe to repeat.
ALTER TABLE tutoring_sessions DROP CONSTRAINT IF EXISTS tutoring_sessions_tutor_id_not_null;
ALTER TABLE tutoring_sessions
    ADD CONSTRAINT tutoring_sessions_tutor_id_not_null CHECK (tutor_id IS NOT NULL) NOT VALID;
ALTER TABLE tutoring_sessions VALIDATE CONSTRAINT tutoring_sessions_tutor_id_not_null;
ALTER TABLE tutoring_sessions ALTER COLUMN tutor_id SET NOT NULL;
ALTER TABLE tutoring_sessions DROP CONSTRAINT IF EXISTS tutoring_sessions_tutor_id_not_null;
