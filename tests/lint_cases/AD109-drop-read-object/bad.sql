ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS package_duration;
