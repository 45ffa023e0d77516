ALTER TABLE tutoring_sessions
    ADD COLUMN IF NOT EXISTS reminder_sent boolean,
    ADD COLUMN IF NOT EXISTS reminder_sent_at timestamptz;
