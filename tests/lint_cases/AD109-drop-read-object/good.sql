-- Nothing in checks/ reads legacy_notes any more.
ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS legacy_notes;
