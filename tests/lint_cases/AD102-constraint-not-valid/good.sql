-- NOT VALID: catalog-only now; VALIDATE CONSTRAINT goes in the next migration.
ALTER TABLE tutoring_sessions
    ADD CONSTRAINT tutoring_sessions_rating_range CHECK (student_rating BETWEEN 1 AND 5) NOT VALID;
