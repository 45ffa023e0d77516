-- Baseline: the six tables Astegni's tutoring features rely on, exactly as the
-- legacy scripts created them (types, defaults, foreign keys, checks, indexes).
--
-- Real databases already have some or all of these tables, filled with rows, so
-- each table is created only where to_regclass() finds nothing under that name
-- on the search_path (the same lookup the application's unqualified queries
-- use). An existing table is never touched, and indexes are created only
-- together with a table this migration creates: an existing table keeps the
-- indexes it has, whatever they are called. Re-running this file on a database
-- that already has the tables does nothing, so a crash between the DDL and
-- yoyo's bookkeeping is harmless.
--
-- Column and constraint names follow what PostgreSQL generates for the legacy
-- CREATE TABLE statements (tutoring_sessions_pkey, ..._fkey, ..._check), and
-- the index names are those of the legacy tutor_teaching_schedules script, so
-- a baseline-created table matches a legacy one name for name.

DO $$
BEGIN
    IF to_regclass('users') IS NULL THEN
        -- Only the key: real databases have many more columns here, none of
        -- which this toolkit reads.
        CREATE TABLE users (
            id serial PRIMARY KEY
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('tutor_profiles') IS NULL THEN
        CREATE TABLE tutor_profiles (
            id serial PRIMARY KEY,
            user_id integer NOT NULL UNIQUE REFERENCES users (id)
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('student_profiles') IS NULL THEN
        CREATE TABLE student_profiles (
            id serial PRIMARY KEY,
            user_id integer NOT NULL UNIQUE REFERENCES users (id)
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('tutor_student_enrollments') IS NULL THEN
        CREATE TABLE tutor_student_enrollments (
            id serial PRIMARY KEY,
            tutor_id integer REFERENCES tutor_profiles (id),
            student_id integer REFERENCES student_profiles (id)
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('tutoring_sessions') IS NULL THEN
        -- tutor_id is a tutor_profiles.id here, unlike tutor_teaching_schedules
        -- where it is a users.id: the mismatch is historical and kept.
        CREATE TABLE tutoring_sessions (
            id serial PRIMARY KEY,
            enrollment_id integer REFERENCES tutor_student_enrollments (id),
            tutor_id integer REFERENCES tutor_profiles (id),
            student_id integer REFERENCES student_profiles (id),
            subject varchar NOT NULL,
            topic varchar,
            session_date date NOT NULL,
            start_time time NOT NULL,
            end_time time,
            duration integer DEFAULT 60,
            mode varchar DEFAULT 'online',
            location varchar,
            meeting_link varchar,
            objectives text,
            topics_covered json DEFAULT '[]',
            materials_used json DEFAULT '[]',
            homework_assigned text,
            status varchar DEFAULT 'scheduled',
            student_attended boolean,
            tutor_attended boolean,
            tutor_notes text,
            student_feedback text,
            student_rating double precision,
            amount double precision,
            payment_status varchar DEFAULT 'pending',
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('tutor_teaching_schedules') IS NULL THEN
        CREATE TABLE tutor_teaching_schedules (
            id serial PRIMARY KEY,
            tutor_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            title varchar(255) NOT NULL,
            description text,
            subject varchar(255) NOT NULL,
            subject_type varchar(100) NOT NULL,
            grade_level varchar(100) NOT NULL,
            year integer NOT NULL,
            schedule_type varchar(20) DEFAULT 'recurring'
                CHECK (schedule_type IN ('recurring', 'specific')),
            months text[] NOT NULL DEFAULT '{}',
            days text[] NOT NULL DEFAULT '{}',
            specific_dates text[] DEFAULT '{}',
            start_time time NOT NULL,
            end_time time NOT NULL,
            notes text,
            status varchar(20) DEFAULT 'active'
                CHECK (status IN ('active', 'draft')),
            alarm_enabled boolean DEFAULT false,
            alarm_before_minutes integer,
            notification_browser boolean DEFAULT false,
            notification_sound boolean DEFAULT false,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp
        );
        CREATE INDEX idx_teaching_schedules_tutor_id
            ON tutor_teaching_schedules (tutor_id);
        CREATE INDEX idx_teaching_schedules_status
            ON tutor_teaching_schedules (status);
        CREATE INDEX idx_teaching_schedules_created_at
            ON tutor_teaching_schedules (created_at DESC);
    END IF;
END
$$;
