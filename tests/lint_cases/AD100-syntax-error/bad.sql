-- A missing comma: PostgreSQL's grammar refuses the statement, so the
-- migration fails at it every time it runs.
ALTER TABLE tutoring_sessions
    ADD COLUMN IF NOT EXISTS reminder_sent boolean
    ADD COLUMN IF NOT EXISTS reminder_sent_at timestamptz;
