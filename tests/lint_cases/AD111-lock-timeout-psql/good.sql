-- Meant for psql -f: give up quickly instead of stalling the table; retry later.
SET lock_timeout = '200ms';
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
