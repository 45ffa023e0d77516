-- Switches off the lock_timeout astegni-db sets: the ALTER may queue behind a
-- long transaction and stall every query on the table.
SET LOCAL lock_timeout = 0;
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
