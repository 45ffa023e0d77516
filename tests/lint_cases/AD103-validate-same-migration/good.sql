-- The migration after the one that added the constraint NOT VALID: the scan
-- runs under SHARE UPDATE EXCLUSIVE and blocks nobody.
ALTER TABLE tutoring_sessions VALIDATE CONSTRAINT tutoring_sessions_rating_range;
