ALTER TABLE tutoring_sessions ALTER COLUMN tutor_id SET NOT NULL;
