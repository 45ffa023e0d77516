-- One transaction, astegni-db's: both ALTERs and the record commit together.
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent_at timestamptz;
