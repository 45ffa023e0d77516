-- Baseline of Astegni's admin database (astegni_admin_db): the fifteen tables
-- of the application's admin models (admin_models.py @bcf2d55), and the
-- subscription_plans table that system_media_settings points at. The choices
-- and their reasons are in docs/admin-target.md; in short:
--
-- Two creators disagree. The split script's create_admin_tables.sql (13
-- tables) uses jsonb, server defaults, UNIQUE (date, metric_name, dimensions)
-- on platform_analytics and the constraint admin_users_email_key; SQLAlchemy's
-- create_all uses json, no server defaults (its defaults are Python-side), a
-- unique index ix_admin_users_email and a redundant ix_<table>_id on every
-- table. Later scripts made base_price_rules and system_media_settings in
-- production in a third shape (the dumps). Whichever ran first won. The one
-- shape every state converges to:
-- - where production's dump has the table (base_price_rules,
--   system_media_settings, subscription_plans), the dump's shape, quirks
--   included, so the database the business runs on changes least;
-- - elsewhere, the models' columns and types (json: jsonb -> json loses
--   nothing, json -> jsonb can fail or fold duplicate keys) with the SQL
--   file's server defaults and idx_* indexes (so inserts that omit a column
--   get the value the models would have written);
-- - no seed rows: the SQL file's default admin has a published password.
--
-- This file creates each table only where to_regclass() finds nothing under
-- its name on the search_path, exactly in that shape. A table that exists is
-- then adopted in place by the last block, which reads the catalog and
-- changes only what differs, table by table, in one ALTER TABLE each:
-- - a missing column is added (catalog-only: no default, or a constant one);
-- - a jsonb column the shape wants as json is converted (this rewrites that
--   table under ACCESS EXCLUSIVE: only the SQL file's 13 tables, which no
--   code queries; a UNIQUE constraint on such a column is dropped first,
--   json having no equality: platform_analytics' (date, metric_name,
--   dimensions));
-- - a missing or different server default is set, catalog-only;
-- - a missing NOT NULL, CHECK or foreign key is added after the rows were
--   checked to satisfy it (it scans the table: only ever base_price_rules and
--   system_media_settings, admin-configured tables of a few dozen rows);
-- - a unique index the models made on admin_users(email) becomes the
--   constraint the other states have (USING INDEX: catalog-only).
-- What cannot be done without losing or inventing data (a column of another
-- type, rows that break a constraint, a table of another shape under one of
-- these names) stops the migration before anything is changed, with every
-- such problem named. Indexes on existing tables are left to 0002 (built
-- and dropped CONCURRENTLY), and the unique constraints 0002's indexes back
-- to 0003.
--
-- Nothing else in the database is touched: the dumps' other tables (admin_*,
-- manage_*, system_*, otps, ...) stay as they are. Re-running this file on a
-- database it has converged changes nothing and locks no table.

DO $$
BEGIN
    IF to_regclass('subscription_plans') IS NULL THEN
        -- As production's dump has it (the scripts that made it query these
        -- columns). The spec checks only its key: system_media_settings
        -- references it.
        CREATE TABLE subscription_plans (
            id serial PRIMARY KEY,
            currency varchar(10) DEFAULT 'ETB',
            discount_yearly numeric(5,2) DEFAULT 0,
            is_active boolean DEFAULT true,
            display_order integer DEFAULT 0,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP,
            package_title varchar(255) NOT NULL DEFAULT 'Untitled',
            package_price numeric(10,2) DEFAULT 0,
            is_base_package boolean DEFAULT false,
            discount_3_months numeric(5,2) DEFAULT 0,
            discount_6_months numeric(5,2) DEFAULT 0,
            label varchar(50) DEFAULT 'none',
            duration_days integer DEFAULT 30,
            country varchar(100) DEFAULT 'all'
        );
        CREATE INDEX idx_subscription_plans_active ON subscription_plans (is_active);
        CREATE INDEX idx_subscription_plans_country ON subscription_plans (country);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('admin_users') IS NULL THEN
        CREATE TABLE admin_users (
            id serial PRIMARY KEY,
            email varchar(255) NOT NULL UNIQUE,
            password_hash varchar(255) NOT NULL,
            full_name varchar(255) NOT NULL,
            role varchar(50) DEFAULT 'admin',
            permissions json DEFAULT '[]',
            is_active boolean DEFAULT true,
            last_login timestamp,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('admin_activity_logs') IS NULL THEN
        CREATE TABLE admin_activity_logs (
            id serial PRIMARY KEY,
            admin_id integer REFERENCES admin_users (id),
            action varchar(255) NOT NULL,
            entity_type varchar(100),
            entity_id integer,
            details json,
            ip_address varchar(45),
            user_agent text,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
        CREATE INDEX idx_activity_logs_admin ON admin_activity_logs (admin_id);
        CREATE INDEX idx_activity_logs_date ON admin_activity_logs (created_at);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('system_settings') IS NULL THEN
        CREATE TABLE system_settings (
            id serial PRIMARY KEY,
            setting_key varchar(100) NOT NULL UNIQUE,
            setting_value text,
            setting_type varchar(50) DEFAULT 'string',
            category varchar(100),
            description text,
            is_public boolean DEFAULT false,
            updated_by integer REFERENCES admin_users (id),
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('moderation_queue') IS NULL THEN
        -- content_id and user_id are ids in the user database: no foreign key.
        CREATE TABLE moderation_queue (
            id serial PRIMARY KEY,
            content_type varchar(100) NOT NULL,
            content_id integer NOT NULL,
            user_id integer NOT NULL,
            reason varchar(255),
            status varchar(50) DEFAULT 'pending',
            reviewed_by integer REFERENCES admin_users (id),
            review_notes text,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            reviewed_at timestamp
        );
        CREATE INDEX idx_moderation_status ON moderation_queue (status);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('user_reports') IS NULL THEN
        CREATE TABLE user_reports (
            id serial PRIMARY KEY,
            reporter_id integer NOT NULL,
            reported_user_id integer NOT NULL,
            report_type varchar(100) NOT NULL,
            description text,
            evidence json,
            status varchar(50) DEFAULT 'open',
            assigned_to integer REFERENCES admin_users (id),
            resolution_notes text,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            resolved_at timestamp
        );
        CREATE INDEX idx_reports_status ON user_reports (status);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('platform_analytics') IS NULL THEN
        -- No UNIQUE (date, metric_name, dimensions): json has no equality.
        CREATE TABLE platform_analytics (
            id serial PRIMARY KEY,
            date date NOT NULL,
            metric_name varchar(100) NOT NULL,
            metric_value numeric,
            dimensions json,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
        CREATE INDEX idx_analytics_date ON platform_analytics (date);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('feature_flags') IS NULL THEN
        CREATE TABLE feature_flags (
            id serial PRIMARY KEY,
            flag_name varchar(100) NOT NULL UNIQUE,
            is_enabled boolean DEFAULT false,
            rollout_percentage integer DEFAULT 0,
            target_users json,
            description text,
            created_by integer REFERENCES admin_users (id),
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('announcements') IS NULL THEN
        CREATE TABLE announcements (
            id serial PRIMARY KEY,
            title varchar(255) NOT NULL,
            content text NOT NULL,
            target_audience json DEFAULT '["all"]',
            priority varchar(50) DEFAULT 'normal',
            is_active boolean DEFAULT true,
            start_date timestamp,
            end_date timestamp,
            created_by integer REFERENCES admin_users (id),
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('email_templates') IS NULL THEN
        CREATE TABLE email_templates (
            id serial PRIMARY KEY,
            template_name varchar(100) NOT NULL UNIQUE,
            subject varchar(255) NOT NULL,
            body_html text NOT NULL,
            body_text text,
            variables json,
            category varchar(100),
            is_active boolean DEFAULT true,
            created_by integer REFERENCES admin_users (id),
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('scheduled_jobs') IS NULL THEN
        CREATE TABLE scheduled_jobs (
            id serial PRIMARY KEY,
            job_name varchar(100) NOT NULL,
            job_type varchar(100) NOT NULL,
            schedule varchar(100),
            parameters json,
            is_active boolean DEFAULT true,
            last_run timestamp,
            next_run timestamp,
            status varchar(50) DEFAULT 'idle',
            last_error text,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('audit_trail') IS NULL THEN
        -- changed_by is an admin's or a user's id: no foreign key.
        CREATE TABLE audit_trail (
            id serial PRIMARY KEY,
            table_name varchar(100) NOT NULL,
            record_id integer NOT NULL,
            action varchar(50) NOT NULL,
            old_values json,
            new_values json,
            changed_by integer,
            changed_by_type varchar(20),
            ip_address varchar(45),
            created_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
        CREATE INDEX idx_audit_table ON audit_trail (table_name, record_id);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('support_tickets') IS NULL THEN
        CREATE TABLE support_tickets (
            id serial PRIMARY KEY,
            user_id integer NOT NULL,
            subject varchar(255) NOT NULL,
            description text NOT NULL,
            category varchar(100),
            priority varchar(50) DEFAULT 'normal',
            status varchar(50) DEFAULT 'open',
            assigned_to integer REFERENCES admin_users (id),
            resolution text,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP,
            resolved_at timestamp
        );
        CREATE INDEX idx_tickets_status ON support_tickets (status);
        CREATE INDEX idx_tickets_user ON support_tickets (user_id);
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('support_ticket_messages') IS NULL THEN
        CREATE TABLE support_ticket_messages (
            id serial PRIMARY KEY,
            ticket_id integer REFERENCES support_tickets (id) ON DELETE CASCADE,
            sender_type varchar(20) NOT NULL,
            sender_id integer NOT NULL,
            message text NOT NULL,
            attachments json,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP
        );
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('base_price_rules') IS NULL THEN
        -- Production's shape (migration_new_tables_admin_db.sql and the
        -- scripts after it). The one active rule per (subject_category,
        -- session_format) ignores country: kept as production has it.
        CREATE TABLE base_price_rules (
            id serial PRIMARY KEY,
            rule_name varchar(200) NOT NULL,
            subject_category varchar(100) NOT NULL,
            session_format varchar(50) NOT NULL,
            base_price_per_hour numeric(10,2) NOT NULL CHECK (base_price_per_hour > 0),
            credential_bonus numeric(10,2) DEFAULT 0 CHECK (credential_bonus >= 0),
            priority integer DEFAULT 2 CHECK (priority >= 1 AND priority <= 3),
            is_active boolean DEFAULT true,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp,
            experience_bonus_per_year numeric(10,2) NOT NULL DEFAULT 0,
            min_grade_level integer DEFAULT 1,
            max_grade_level integer DEFAULT 12,
            country varchar(100) DEFAULT 'all',
            currency varchar(10) DEFAULT 'ETB',
            CONSTRAINT check_grade_level_range CHECK (
                min_grade_level <= max_grade_level AND min_grade_level >= 1 AND max_grade_level <= 14
            )
        );
        CREATE INDEX idx_base_price_active ON base_price_rules (is_active) WHERE is_active = true;
        CREATE INDEX idx_base_price_lookup
            ON base_price_rules (subject_category, session_format, is_active);
        CREATE INDEX idx_base_price_priority ON base_price_rules (priority, created_at DESC);
        CREATE INDEX idx_base_price_rules_country ON base_price_rules (country);
        CREATE INDEX idx_base_price_rules_currency ON base_price_rules (currency);
        CREATE UNIQUE INDEX idx_unique_active_rules
            ON base_price_rules (subject_category, session_format) WHERE is_active = true;
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('system_media_settings') IS NULL THEN
        -- Production's shape, quirks included: json columns whose defaults
        -- are jsonb literals, and an explicit DEFAULT NULL.
        CREATE TABLE system_media_settings (
            id serial PRIMARY KEY,
            max_image_size_mb integer DEFAULT 5,
            max_video_size_mb integer DEFAULT 200,
            max_document_size_mb integer DEFAULT 10,
            max_audio_size_mb integer DEFAULT 50,
            storage_limit_gb integer DEFAULT 10,
            allowed_video_formats json DEFAULT '["mp4", "mov", "avi", "webm"]'::jsonb,
            allowed_image_formats json DEFAULT '["jpg", "jpeg", "png", "gif", "webp"]'::jsonb,
            allowed_document_formats json DEFAULT '["pdf", "doc", "docx", "txt"]'::jsonb,
            allowed_audio_formats json DEFAULT '["mp3", "wav", "ogg", "m4a"]'::jsonb,
            auto_optimize_images boolean DEFAULT true,
            auto_generate_thumbnails boolean DEFAULT true,
            created_at timestamp DEFAULT CURRENT_TIMESTAMP,
            updated_at timestamp DEFAULT CURRENT_TIMESTAMP,
            max_image_storage_mb integer DEFAULT 0,
            max_video_storage_mb integer DEFAULT 0,
            auto_optimize_videos boolean DEFAULT false,
            video_quality_max varchar(20) DEFAULT NULL,
            subscription_plan_id integer,
            CONSTRAINT system_media_settings_subscription_plan_id_unique
                UNIQUE (subscription_plan_id),
            CONSTRAINT fk_subscription_plan FOREIGN KEY (subscription_plan_id)
                REFERENCES subscription_plans (id) ON DELETE CASCADE
        );
    END IF;
END
$$;

-- Adopt the tables that existed before this migration (on a fresh database
-- every check below finds nothing to do). First every difference is read
-- from the catalog and, where a constraint would be added, the rows are
-- checked; any problem stops the migration here, before anything changed.
-- Then each table that differs gets one ALTER TABLE.
DO $$
DECLARE
    problems text[] := '{}';
    foreign_shaped text[] := '{}';
    actions text[] := '{}';  -- 'table<TAB>action', in the order they were found
    converted text[] := '{}';  -- 'table<TAB>column' of jsonb columns made json
    col record;
    wanted record;
    violating bigint;
    examples text;
    found_index regclass;
    statement record;
BEGIN
    -- Every column of the fifteen tables but id (serial in every state):
    -- type as format_type() prints it, default as pg_get_expr() prints it.
    FOR col IN
        WITH wanted (tbl, col, type_name, default_expr, not_null) AS (
            VALUES
                ('admin_users', 'email', 'character varying(255)', NULL, true),
                ('admin_users', 'password_hash', 'character varying(255)', NULL, true),
                ('admin_users', 'full_name', 'character varying(255)', NULL, true),
                ('admin_users', 'role', 'character varying(50)', '''admin''::character varying', false),
                ('admin_users', 'permissions', 'json', '''[]''::json', false),
                ('admin_users', 'is_active', 'boolean', 'true', false),
                ('admin_users', 'last_login', 'timestamp without time zone', NULL, false),
                ('admin_users', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('admin_users', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('admin_activity_logs', 'admin_id', 'integer', NULL, false),
                ('admin_activity_logs', 'action', 'character varying(255)', NULL, true),
                ('admin_activity_logs', 'entity_type', 'character varying(100)', NULL, false),
                ('admin_activity_logs', 'entity_id', 'integer', NULL, false),
                ('admin_activity_logs', 'details', 'json', NULL, false),
                ('admin_activity_logs', 'ip_address', 'character varying(45)', NULL, false),
                ('admin_activity_logs', 'user_agent', 'text', NULL, false),
                ('admin_activity_logs', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('system_settings', 'setting_key', 'character varying(100)', NULL, true),
                ('system_settings', 'setting_value', 'text', NULL, false),
                ('system_settings', 'setting_type', 'character varying(50)', '''string''::character varying', false),
                ('system_settings', 'category', 'character varying(100)', NULL, false),
                ('system_settings', 'description', 'text', NULL, false),
                ('system_settings', 'is_public', 'boolean', 'false', false),
                ('system_settings', 'updated_by', 'integer', NULL, false),
                ('system_settings', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('system_settings', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('moderation_queue', 'content_type', 'character varying(100)', NULL, true),
                ('moderation_queue', 'content_id', 'integer', NULL, true),
                ('moderation_queue', 'user_id', 'integer', NULL, true),
                ('moderation_queue', 'reason', 'character varying(255)', NULL, false),
                ('moderation_queue', 'status', 'character varying(50)', '''pending''::character varying', false),
                ('moderation_queue', 'reviewed_by', 'integer', NULL, false),
                ('moderation_queue', 'review_notes', 'text', NULL, false),
                ('moderation_queue', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('moderation_queue', 'reviewed_at', 'timestamp without time zone', NULL, false),
                ('user_reports', 'reporter_id', 'integer', NULL, true),
                ('user_reports', 'reported_user_id', 'integer', NULL, true),
                ('user_reports', 'report_type', 'character varying(100)', NULL, true),
                ('user_reports', 'description', 'text', NULL, false),
                ('user_reports', 'evidence', 'json', NULL, false),
                ('user_reports', 'status', 'character varying(50)', '''open''::character varying', false),
                ('user_reports', 'assigned_to', 'integer', NULL, false),
                ('user_reports', 'resolution_notes', 'text', NULL, false),
                ('user_reports', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('user_reports', 'resolved_at', 'timestamp without time zone', NULL, false),
                ('platform_analytics', 'date', 'date', NULL, true),
                ('platform_analytics', 'metric_name', 'character varying(100)', NULL, true),
                ('platform_analytics', 'metric_value', 'numeric', NULL, false),
                ('platform_analytics', 'dimensions', 'json', NULL, false),
                ('platform_analytics', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('feature_flags', 'flag_name', 'character varying(100)', NULL, true),
                ('feature_flags', 'is_enabled', 'boolean', 'false', false),
                ('feature_flags', 'rollout_percentage', 'integer', '0', false),
                ('feature_flags', 'target_users', 'json', NULL, false),
                ('feature_flags', 'description', 'text', NULL, false),
                ('feature_flags', 'created_by', 'integer', NULL, false),
                ('feature_flags', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('feature_flags', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('announcements', 'title', 'character varying(255)', NULL, true),
                ('announcements', 'content', 'text', NULL, true),
                ('announcements', 'target_audience', 'json', '''["all"]''::json', false),
                ('announcements', 'priority', 'character varying(50)', '''normal''::character varying', false),
                ('announcements', 'is_active', 'boolean', 'true', false),
                ('announcements', 'start_date', 'timestamp without time zone', NULL, false),
                ('announcements', 'end_date', 'timestamp without time zone', NULL, false),
                ('announcements', 'created_by', 'integer', NULL, false),
                ('announcements', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('announcements', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('email_templates', 'template_name', 'character varying(100)', NULL, true),
                ('email_templates', 'subject', 'character varying(255)', NULL, true),
                ('email_templates', 'body_html', 'text', NULL, true),
                ('email_templates', 'body_text', 'text', NULL, false),
                ('email_templates', 'variables', 'json', NULL, false),
                ('email_templates', 'category', 'character varying(100)', NULL, false),
                ('email_templates', 'is_active', 'boolean', 'true', false),
                ('email_templates', 'created_by', 'integer', NULL, false),
                ('email_templates', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('email_templates', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('scheduled_jobs', 'job_name', 'character varying(100)', NULL, true),
                ('scheduled_jobs', 'job_type', 'character varying(100)', NULL, true),
                ('scheduled_jobs', 'schedule', 'character varying(100)', NULL, false),
                ('scheduled_jobs', 'parameters', 'json', NULL, false),
                ('scheduled_jobs', 'is_active', 'boolean', 'true', false),
                ('scheduled_jobs', 'last_run', 'timestamp without time zone', NULL, false),
                ('scheduled_jobs', 'next_run', 'timestamp without time zone', NULL, false),
                ('scheduled_jobs', 'status', 'character varying(50)', '''idle''::character varying', false),
                ('scheduled_jobs', 'last_error', 'text', NULL, false),
                ('scheduled_jobs', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('scheduled_jobs', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('audit_trail', 'table_name', 'character varying(100)', NULL, true),
                ('audit_trail', 'record_id', 'integer', NULL, true),
                ('audit_trail', 'action', 'character varying(50)', NULL, true),
                ('audit_trail', 'old_values', 'json', NULL, false),
                ('audit_trail', 'new_values', 'json', NULL, false),
                ('audit_trail', 'changed_by', 'integer', NULL, false),
                ('audit_trail', 'changed_by_type', 'character varying(20)', NULL, false),
                ('audit_trail', 'ip_address', 'character varying(45)', NULL, false),
                ('audit_trail', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('support_tickets', 'user_id', 'integer', NULL, true),
                ('support_tickets', 'subject', 'character varying(255)', NULL, true),
                ('support_tickets', 'description', 'text', NULL, true),
                ('support_tickets', 'category', 'character varying(100)', NULL, false),
                ('support_tickets', 'priority', 'character varying(50)', '''normal''::character varying', false),
                ('support_tickets', 'status', 'character varying(50)', '''open''::character varying', false),
                ('support_tickets', 'assigned_to', 'integer', NULL, false),
                ('support_tickets', 'resolution', 'text', NULL, false),
                ('support_tickets', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('support_tickets', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('support_tickets', 'resolved_at', 'timestamp without time zone', NULL, false),
                ('support_ticket_messages', 'ticket_id', 'integer', NULL, false),
                ('support_ticket_messages', 'sender_type', 'character varying(20)', NULL, true),
                ('support_ticket_messages', 'sender_id', 'integer', NULL, true),
                ('support_ticket_messages', 'message', 'text', NULL, true),
                ('support_ticket_messages', 'attachments', 'json', NULL, false),
                ('support_ticket_messages', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('base_price_rules', 'rule_name', 'character varying(200)', NULL, true),
                ('base_price_rules', 'subject_category', 'character varying(100)', NULL, true),
                ('base_price_rules', 'session_format', 'character varying(50)', NULL, true),
                ('base_price_rules', 'base_price_per_hour', 'numeric(10,2)', NULL, true),
                ('base_price_rules', 'credential_bonus', 'numeric(10,2)', '0', false),
                ('base_price_rules', 'priority', 'integer', '2', false),
                ('base_price_rules', 'is_active', 'boolean', 'true', false),
                ('base_price_rules', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('base_price_rules', 'updated_at', 'timestamp without time zone', NULL, false),
                ('base_price_rules', 'experience_bonus_per_year', 'numeric(10,2)', '0', true),
                ('base_price_rules', 'min_grade_level', 'integer', '1', false),
                ('base_price_rules', 'max_grade_level', 'integer', '12', false),
                ('base_price_rules', 'country', 'character varying(100)', '''all''::character varying', false),
                ('base_price_rules', 'currency', 'character varying(10)', '''ETB''::character varying', false),
                ('system_media_settings', 'max_image_size_mb', 'integer', '5', false),
                ('system_media_settings', 'max_video_size_mb', 'integer', '200', false),
                ('system_media_settings', 'max_document_size_mb', 'integer', '10', false),
                ('system_media_settings', 'max_audio_size_mb', 'integer', '50', false),
                ('system_media_settings', 'storage_limit_gb', 'integer', '10', false),
                ('system_media_settings', 'allowed_video_formats', 'json', '''["mp4", "mov", "avi", "webm"]''::jsonb', false),
                ('system_media_settings', 'allowed_image_formats', 'json', '''["jpg", "jpeg", "png", "gif", "webp"]''::jsonb', false),
                ('system_media_settings', 'allowed_document_formats', 'json', '''["pdf", "doc", "docx", "txt"]''::jsonb', false),
                ('system_media_settings', 'allowed_audio_formats', 'json', '''["mp3", "wav", "ogg", "m4a"]''::jsonb', false),
                ('system_media_settings', 'auto_optimize_images', 'boolean', 'true', false),
                ('system_media_settings', 'auto_generate_thumbnails', 'boolean', 'true', false),
                ('system_media_settings', 'created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('system_media_settings', 'updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP', false),
                ('system_media_settings', 'max_image_storage_mb', 'integer', '0', false),
                ('system_media_settings', 'max_video_storage_mb', 'integer', '0', false),
                ('system_media_settings', 'auto_optimize_videos', 'boolean', 'false', false),
                ('system_media_settings', 'video_quality_max', 'character varying(20)', 'NULL::character varying', false),
                ('system_media_settings', 'subscription_plan_id', 'integer', NULL, false)
        )
        SELECT w.*,
               to_regclass(w.tbl) AS rel,
               a.attnum,
               format_type(a.atttypid, a.atttypmod) AS live_type,
               a.attnotnull AS live_not_null,
               a.attidentity <> '' OR a.attgenerated <> '' AS special,
               -- Given no relation: a default cannot name a column, so none is opened.
               pg_get_expr(d.adbin, 0) AS live_default,
               count(a.attnum) OVER (PARTITION BY w.tbl) AS present,
               count(*) OVER (PARTITION BY w.tbl) AS total
          FROM wanted w
          LEFT JOIN pg_attribute a
            ON a.attrelid = to_regclass(w.tbl)
           AND a.attname = w.col
           AND a.attnum > 0
           AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d
            ON d.adrelid = a.attrelid
           AND d.adnum = a.attnum
    LOOP
        IF col.present * 2 < col.total THEN
            -- Another table under one of our names: adding most of a table's
            -- columns to it would only hide that it is something else.
            IF NOT col.tbl = ANY (foreign_shaped) THEN
                foreign_shaped := foreign_shaped || col.tbl;
                problems := problems || format(
                    '%s exists with another shape (%s of its %s columns)',
                    col.rel, col.present, col.total);
            END IF;
            CONTINUE;
        END IF;

        IF col.attnum IS NULL THEN
            IF col.not_null AND col.default_expr IS NULL THEN
                problems := problems || format(
                    '%s.%I is missing and NOT NULL without a default: it cannot be added to existing rows',
                    col.rel, col.col);
            ELSE
                -- A constant default: catalog-only, existing rows read it.
                actions := actions || format(E'%s\tADD COLUMN %I %s%s%s', col.rel, col.col,
                    col.type_name,
                    CASE WHEN col.default_expr IS NOT NULL THEN ' DEFAULT ' || col.default_expr ELSE '' END,
                    CASE WHEN col.not_null THEN ' NOT NULL' ELSE '' END);
            END IF;
            CONTINUE;
        END IF;

        IF col.special THEN
            problems := problems || format('%s.%I is an identity or generated column', col.rel, col.col);
            CONTINUE;
        END IF;

        IF col.live_type <> col.type_name THEN
            IF col.live_type = 'jsonb' AND col.type_name = 'json' THEN
                -- Lossless: jsonb's text is valid json, read back as the same value.
                converted := converted || format(E'%s\t%s', col.rel, col.attnum);
                actions := actions || format(E'%s\tALTER COLUMN %I TYPE json', col.rel, col.col);
            ELSE
                problems := problems || format('%s.%I is %s, expected %s',
                                               col.rel, col.col, col.live_type, col.type_name);
                CONTINUE;
            END IF;
        END IF;

        IF col.default_expr IS NOT NULL AND col.live_default IS DISTINCT FROM col.default_expr THEN
            actions := actions || format(E'%s\tALTER COLUMN %I SET DEFAULT %s',
                                         col.rel, col.col, col.default_expr);
        END IF;

        IF col.not_null AND NOT col.live_not_null THEN
            EXECUTE format('SELECT count(*) FROM %s WHERE %I IS NULL', col.rel, col.col)
               INTO violating;
            IF violating > 0 THEN
                problems := problems || format('%s.%I is NULL in %s row(s), expected NOT NULL',
                                               col.rel, col.col, violating);
            ELSE
                actions := actions || format(E'%s\tALTER COLUMN %I SET NOT NULL', col.rel, col.col);
            END IF;
        END IF;
    END LOOP;

    -- Production's four CHECKs on base_price_rules, as pg_get_constraintdef()
    -- prints them; a state without one gets it once its rows pass.
    FOR wanted IN
        SELECT w.*, to_regclass(w.tbl) AS rel
          FROM (VALUES
                   ('base_price_rules', 'base_price_rules_base_price_per_hour_check',
                    '(base_price_per_hour > (0)::numeric)'),
                   ('base_price_rules', 'base_price_rules_credential_bonus_check',
                    '(credential_bonus >= (0)::numeric)'),
                   ('base_price_rules', 'base_price_rules_priority_check',
                    '((priority >= 1) AND (priority <= 3))'),
                   ('base_price_rules', 'check_grade_level_range',
                    '((min_grade_level <= max_grade_level) AND (min_grade_level >= 1) AND (max_grade_level <= 14))')
               ) AS w (tbl, name, expression)
         WHERE NOT w.tbl = ANY (foreign_shaped)
           AND NOT EXISTS (
                   SELECT FROM pg_constraint con
                    WHERE con.conrelid = to_regclass(w.tbl)
                      AND con.contype = 'c'
                      AND (con.conname = w.name
                           OR pg_get_constraintdef(con.oid) = 'CHECK (' || w.expression || ')'))
    LOOP
        EXECUTE format('SELECT count(*), string_agg(id::text, '', '' ORDER BY id) FILTER (WHERE n <= 5)'
                       ' FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM %s WHERE %s IS FALSE) AS bad',
                       wanted.rel, wanted.expression)
           INTO violating, examples;
        IF violating > 0 THEN
            problems := problems || format('%s: %s row(s) break CHECK %s (id %s)',
                                           wanted.rel, violating, wanted.expression, examples);
        ELSE
            actions := actions || format(E'%s\tADD CONSTRAINT %I CHECK %s',
                                         wanted.rel, wanted.name, wanted.expression);
        END IF;
    END LOOP;

    -- Every foreign key of the shape. Only system_media_settings ->
    -- subscription_plans is ever missing (production's scripts added it): a
    -- table of one row per plan, so checking and validating it costs nothing.
    FOR wanted IN
        SELECT w.*, to_regclass(w.tbl) AS rel, to_regclass(w.ref) AS ref_rel, a.attnum
          FROM (VALUES
                   ('admin_activity_logs', 'admin_id', 'admin_users', 'NO ACTION', 'admin_activity_logs_admin_id_fkey'),
                   ('system_settings', 'updated_by', 'admin_users', 'NO ACTION', 'system_settings_updated_by_fkey'),
                   ('moderation_queue', 'reviewed_by', 'admin_users', 'NO ACTION', 'moderation_queue_reviewed_by_fkey'),
                   ('user_reports', 'assigned_to', 'admin_users', 'NO ACTION', 'user_reports_assigned_to_fkey'),
                   ('feature_flags', 'created_by', 'admin_users', 'NO ACTION', 'feature_flags_created_by_fkey'),
                   ('announcements', 'created_by', 'admin_users', 'NO ACTION', 'announcements_created_by_fkey'),
                   ('email_templates', 'created_by', 'admin_users', 'NO ACTION', 'email_templates_created_by_fkey'),
                   ('support_tickets', 'assigned_to', 'admin_users', 'NO ACTION', 'support_tickets_assigned_to_fkey'),
                   ('support_ticket_messages', 'ticket_id', 'support_tickets', 'CASCADE', 'support_ticket_messages_ticket_id_fkey'),
                   ('system_media_settings', 'subscription_plan_id', 'subscription_plans', 'CASCADE', 'fk_subscription_plan')
               ) AS w (tbl, col, ref, on_delete, name)
          JOIN pg_attribute a
            ON a.attrelid = to_regclass(w.tbl)
           AND a.attname = w.col
           AND NOT a.attisdropped
         WHERE NOT w.tbl = ANY (foreign_shaped)
           AND NOT EXISTS (
                   SELECT FROM pg_constraint con
                    WHERE con.conrelid = to_regclass(w.tbl)
                      AND con.contype = 'f'
                      AND con.conkey = ARRAY[a.attnum]
                      AND con.confrelid = to_regclass(w.ref))
    LOOP
        EXECUTE format('SELECT count(*), string_agg(DISTINCT %1$I::text, '', '')'
                       ' FROM %2$s t WHERE %1$I IS NOT NULL'
                       ' AND NOT EXISTS (SELECT FROM %3$s r WHERE r.id = t.%1$I)',
                       wanted.col, wanted.rel, wanted.ref_rel)
           INTO violating, examples;
        IF violating > 0 THEN
            problems := problems || format('%s.%I: %s row(s) point at no %s (%s %s)',
                                           wanted.rel, wanted.col, violating, wanted.ref_rel,
                                           wanted.col, examples);
        ELSE
            actions := actions || format(E'%s\tADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %s (id) ON DELETE %s',
                                         wanted.rel, wanted.name, wanted.col, wanted.ref_rel,
                                         wanted.on_delete);
        END IF;
    END LOOP;

    -- Every table has its primary key in every state we know; without one
    -- a table is not ours to fix (ADD PRIMARY KEY builds an index under
    -- ACCESS EXCLUSIVE).
    SELECT problems || coalesce(array_agg(format('%s has no primary key', c.oid::regclass)), '{}')
      INTO problems
      FROM pg_class c
     WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(ARRAY[
               'admin_users', 'admin_activity_logs', 'system_settings', 'moderation_queue',
               'user_reports', 'platform_analytics', 'feature_flags', 'announcements',
               'email_templates', 'scheduled_jobs', 'audit_trail', 'support_tickets',
               'support_ticket_messages', 'base_price_rules', 'system_media_settings',
               'subscription_plans']) AS t)
       AND NOT c.relname = ANY (foreign_shaped)
       AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p');

    -- A UNIQUE constraint on a column made json goes first (json has no
    -- equality): platform_analytics' (date, metric_name, dimensions). Any
    -- other index on such a column would make the conversion fail.
    FOR wanted IN
        SELECT DISTINCT i.indexrelid::regclass AS index_name, con.conname, i.indrelid::regclass AS rel
          FROM unnest(converted) AS conv (entry)
          JOIN pg_index i
            ON i.indrelid = split_part(conv.entry, E'\t', 1)::regclass
           AND split_part(conv.entry, E'\t', 2)::int2 = ANY (i.indkey)
          LEFT JOIN pg_constraint con
            ON con.conindid = i.indexrelid
           AND con.contype = 'u'
    LOOP
        IF wanted.conname IS NULL THEN
            problems := problems || format(
                'index %s on a jsonb column of %s would not survive the change to json',
                wanted.index_name, wanted.rel);
        ELSE
            actions := format(E'%s\tDROP CONSTRAINT %I', wanted.rel, wanted.conname) || actions;
        END IF;
    END LOOP;

    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'cannot adopt the admin database as it is, nothing was changed: %. This needs a person: fix those rows, or rename a table of another shape aside (ALTER TABLE ... RENAME TO ..._legacy), then migrate again',
                        array_to_string(problems, '; ')
              USING ERRCODE = 'object_in_use',
                    HINT = 'docs/admin-target.md says what each table must look like, and why.';
    END IF;

    -- The models' unique index on admin_users(email) becomes the constraint
    -- the SQL file makes (USING INDEX renames it; catalog-only). A state with
    -- no unique index at all gets one from 0002 and the constraint from 0003.
    SELECT i.indexrelid::regclass
      INTO found_index
      FROM pg_index i
      JOIN pg_attribute a
        ON a.attrelid = i.indrelid
       AND a.attname = 'email'
     WHERE i.indrelid = to_regclass('admin_users')
       AND NOT 'admin_users' = ANY (foreign_shaped)
       AND i.indisunique AND i.indisvalid AND NOT i.indisprimary
       AND i.indnatts = 1 AND i.indkey[0] = a.attnum  -- int2vector: 0-based
       AND i.indpred IS NULL AND i.indexprs IS NULL
       AND NOT EXISTS (SELECT FROM pg_constraint con
                        WHERE con.conrelid = i.indrelid AND con.contype = 'u'
                          AND con.conkey = ARRAY[a.attnum])
     LIMIT 1;
    IF found_index IS NOT NULL THEN
        actions := actions || format(E'%s\tADD CONSTRAINT admin_users_email_key UNIQUE USING INDEX %I',
                                     to_regclass('admin_users'), found_index::text);
    END IF;

    -- One ALTER TABLE per table that differs, and none where nothing does.
    FOR statement IN
        SELECT split_part(entry, E'\t', 1) AS rel,
               string_agg(split_part(entry, E'\t', 2), ', ' ORDER BY position) AS subcommands
          FROM unnest(actions) WITH ORDINALITY AS a (entry, position)
         GROUP BY 1
         ORDER BY min(position)
    LOOP
        EXECUTE format('ALTER TABLE %s %s', statement.rel, statement.subcommands);
    END LOOP;
END
$$;
