-- The naive plan for the seed's change, applied with plain psql (-1: one
-- transaction) and no lock_timeout: what astegni-db's 0002 is measured against.
-- - the CHECK is written inline, so ALTER TABLE validates it by scanning every
--   row while holding ACCESS EXCLUSIVE;
-- - package_duration gets a volatile default, so every existing row needs its
--   own value and the whole table (and every index) is rewritten under the lock.
ALTER TABLE tutoring_sessions
    ADD COLUMN session_frequency varchar(50) DEFAULT 'one-time'
        CHECK (session_frequency IN ('one-time', 'weekly', 'bi-weekly', 'monthly')),
    ADD COLUMN is_recurring boolean DEFAULT false,
    ADD COLUMN recurring_pattern json,
    ADD COLUMN package_duration integer DEFAULT (1 + floor(random() * 12))::integer,
    ADD COLUMN grade_level varchar(50);
