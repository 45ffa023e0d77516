-- astegni-db runs this with a short lock_timeout and retries on timeout.
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
