-- Meant for psql -f: nothing bounds how long the ALTER waits for its lock.
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
