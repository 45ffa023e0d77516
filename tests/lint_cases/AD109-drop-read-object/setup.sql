ALTER TABLE tutoring_sessions ADD COLUMN legacy_notes text;
