-- Expand: the new column next to the old one; the application writes both,
-- reads switch later, and the old column is dropped once nothing reads it.
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS student_grade varchar(50);
