-- The COMMIT commits the first ALTER without the record that this migration
-- ran: if the second one fails, the migration is half applied and unrecorded.
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
COMMIT;
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent_at timestamptz;
