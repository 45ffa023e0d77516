"""The states Astegni's admin databases are in, rebuilt with rows in every table.

astegni-admin-schema.md names the creators of astegni_admin_db and how they
disagree. Each builder here replays, on an empty database, what they did,
statement by statement and commit by commit, with the application writing
rows before and after. ADMIN_STATES are the states ``migrate`` must converge
to the one shape of targets/admin/ without losing a row:

- ``empty``: the split never created anything (or created an empty database,
  which is the same thing to migrate);
- ``split_sql_file``: ``migrate_to_dual_databases.py`` ran
  ``create_admin_tables.sql`` in one implicit transaction: 13 tables with
  jsonb, server defaults, UNIQUE (date, metric_name, dimensions), the
  constraint admin_users_email_key, 8 idx_* indexes, and its seed rows;
- ``split_then_models``: that, then the application started at @bcf2d55:
  create_all added base_price_rules and system_media_settings in the models'
  shape, and a later script created subscription_plans, whose ids the media
  settings rows hold (no foreign key: only production's scripts added one);
- ``models``: create_all of the fifteen models on an empty database: json, no
  server default (the models' defaults are Python-side: the ORM writes them),
  ix_admin_users_email, ix_<table>_id on every table;
- ``models_then_sql_file``: that, then the split's SQL file: every CREATE TABLE
  IF NOT EXISTS skipped, the idx_* indexes built on the models' tables, the
  seeds inserted with NULL where the models have no server default;
- ``production_dump``: what the committed dumps show: none of the thirteen,
  base_price_rules and system_media_settings in production's shape (CHECKs,
  a partial unique index, jsonb-literal defaults, the foreign key to
  subscription_plans), and tables no spec names (admin_profile, otps with its
  own ix_otps_id, subscription_features referencing subscription_plans);
- ``production_then_sql_file``: production's database on which someone ran the
  split's SQL file later;
- ``psql_partial``: the SQL file's shell twin (psql, no ON_ERROR_STOP, every
  statement its own transaction) stopped after its seventh CREATE TABLE.

NEEDS_A_PERSON are databases ``migrate`` must refuse without changing
anything, because converging them would lose or invent data: media settings
pointing at plans that do not exist, two active price rules for one subject
and format, a table of another shape under one of the admin names.

Every builder is deterministic (seeded), so two builds of a state are equal.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Json

# --- create_admin_tables.sql: the split's 13 tables -------------------------------

_SQL_FILE_TABLES: Sequence[str] = (
    """CREATE TABLE IF NOT EXISTS admin_users (
        id SERIAL PRIMARY KEY,
        email VARCHAR(255) UNIQUE NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        full_name VARCHAR(255) NOT NULL,
        role VARCHAR(50) DEFAULT 'admin',
        permissions JSONB DEFAULT '[]',
        is_active BOOLEAN DEFAULT TRUE,
        last_login TIMESTAMP,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS admin_activity_logs (
        id SERIAL PRIMARY KEY,
        admin_id INTEGER REFERENCES admin_users(id),
        action VARCHAR(255) NOT NULL,
        entity_type VARCHAR(100),
        entity_id INTEGER,
        details JSONB,
        ip_address VARCHAR(45),
        user_agent TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS system_settings (
        id SERIAL PRIMARY KEY,
        setting_key VARCHAR(100) UNIQUE NOT NULL,
        setting_value TEXT,
        setting_type VARCHAR(50) DEFAULT 'string',
        category VARCHAR(100),
        description TEXT,
        is_public BOOLEAN DEFAULT FALSE,
        updated_by INTEGER REFERENCES admin_users(id),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS moderation_queue (
        id SERIAL PRIMARY KEY,
        content_type VARCHAR(100) NOT NULL,
        content_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        reason VARCHAR(255),
        status VARCHAR(50) DEFAULT 'pending',
        reviewed_by INTEGER REFERENCES admin_users(id),
        review_notes TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        reviewed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS user_reports (
        id SERIAL PRIMARY KEY,
        reporter_id INTEGER NOT NULL,
        reported_user_id INTEGER NOT NULL,
        report_type VARCHAR(100) NOT NULL,
        description TEXT,
        evidence JSONB,
        status VARCHAR(50) DEFAULT 'open',
        assigned_to INTEGER REFERENCES admin_users(id),
        resolution_notes TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        resolved_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS platform_analytics (
        id SERIAL PRIMARY KEY,
        date DATE NOT NULL,
        metric_name VARCHAR(100) NOT NULL,
        metric_value NUMERIC,
        dimensions JSONB,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        UNIQUE (date, metric_name, dimensions))""",
    """CREATE TABLE IF NOT EXISTS feature_flags (
        id SERIAL PRIMARY KEY,
        flag_name VARCHAR(100) UNIQUE NOT NULL,
        is_enabled BOOLEAN DEFAULT FALSE,
        rollout_percentage INTEGER DEFAULT 0,
        target_users JSONB,
        description TEXT,
        created_by INTEGER REFERENCES admin_users(id),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS announcements (
        id SERIAL PRIMARY KEY,
        title VARCHAR(255) NOT NULL,
        content TEXT NOT NULL,
        target_audience JSONB DEFAULT '["all"]',
        priority VARCHAR(50) DEFAULT 'normal',
        is_active BOOLEAN DEFAULT TRUE,
        start_date TIMESTAMP,
        end_date TIMESTAMP,
        created_by INTEGER REFERENCES admin_users(id),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS email_templates (
        id SERIAL PRIMARY KEY,
        template_name VARCHAR(100) UNIQUE NOT NULL,
        subject VARCHAR(255) NOT NULL,
        body_html TEXT NOT NULL,
        body_text TEXT,
        variables JSONB,
        category VARCHAR(100),
        is_active BOOLEAN DEFAULT TRUE,
        created_by INTEGER REFERENCES admin_users(id),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS scheduled_jobs (
        id SERIAL PRIMARY KEY,
        job_name VARCHAR(100) NOT NULL,
        job_type VARCHAR(100) NOT NULL,
        schedule VARCHAR(100),
        parameters JSONB,
        is_active BOOLEAN DEFAULT TRUE,
        last_run TIMESTAMP,
        next_run TIMESTAMP,
        status VARCHAR(50) DEFAULT 'idle',
        last_error TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS audit_trail (
        id SERIAL PRIMARY KEY,
        table_name VARCHAR(100) NOT NULL,
        record_id INTEGER NOT NULL,
        action VARCHAR(50) NOT NULL,
        old_values JSONB,
        new_values JSONB,
        changed_by INTEGER,
        changed_by_type VARCHAR(20),
        ip_address VARCHAR(45),
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS support_tickets (
        id SERIAL PRIMARY KEY,
        user_id INTEGER NOT NULL,
        subject VARCHAR(255) NOT NULL,
        description TEXT NOT NULL,
        category VARCHAR(100),
        priority VARCHAR(50) DEFAULT 'normal',
        status VARCHAR(50) DEFAULT 'open',
        assigned_to INTEGER REFERENCES admin_users(id),
        resolution TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        resolved_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS support_ticket_messages (
        id SERIAL PRIMARY KEY,
        ticket_id INTEGER REFERENCES support_tickets(id) ON DELETE CASCADE,
        sender_type VARCHAR(20) NOT NULL,
        sender_id INTEGER NOT NULL,
        message TEXT NOT NULL,
        attachments JSONB,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
)

_SQL_FILE_INDEXES: Sequence[str] = (
    "CREATE INDEX IF NOT EXISTS idx_activity_logs_admin ON admin_activity_logs(admin_id)",
    "CREATE INDEX IF NOT EXISTS idx_activity_logs_date ON admin_activity_logs(created_at)",
    "CREATE INDEX IF NOT EXISTS idx_moderation_status ON moderation_queue(status)",
    "CREATE INDEX IF NOT EXISTS idx_reports_status ON user_reports(status)",
    "CREATE INDEX IF NOT EXISTS idx_analytics_date ON platform_analytics(date)",
    "CREATE INDEX IF NOT EXISTS idx_tickets_status ON support_tickets(status)",
    "CREATE INDEX IF NOT EXISTS idx_tickets_user ON support_tickets(user_id)",
    "CREATE INDEX IF NOT EXISTS idx_audit_table ON audit_trail(table_name, record_id)",
)

# One admin, ten settings, three templates; ON CONFLICT makes a re-run add nothing.
_SEED_SETTINGS = (
    ("site_name", "Astegni", "string", "general", True),
    ("maintenance_mode", "false", "boolean", "system", False),
    ("registration_enabled", "true", "boolean", "auth", False),
    ("max_upload_size_mb", "200", "number", "uploads", False),
    ("default_language", "en", "string", "localization", True),
    ("supported_languages", '["en", "am", "om", "ti"]', "json", "localization", True),
    ("default_currency", "ETB", "string", "payment", True),
    ("min_tutor_rate", "50", "number", "tutors", True),
    ("max_tutor_rate", "500", "number", "tutors", True),
    ("session_duration_minutes", "60", "number", "sessions", True),
)
_SEED_TEMPLATES = (
    ("welcome_email", "Welcome", "<p>Hello {{user_name}}</p>", '["user_name"]', "onboarding"),
    ("password_reset", "Reset your password", "<a href='{{link}}'>reset</a>", '["link"]', "auth"),
    (
        "session_reminder",
        "Session soon",
        "<p>{{tutor_name}} at {{time}}</p>",
        '["tutor_name", "time"]',
        "sessions",
    ),
)
_SQL_FILE_SEEDS: Sequence[str] = (
    "INSERT INTO admin_users (email, password_hash, full_name, role, permissions) VALUES"
    " ('admin@astegni.example', '$2b$12$seedseedseedseedseedse', 'System Administrator',"
    " 'super_admin', '[\"all\"]') ON CONFLICT (email) DO NOTHING",
    "INSERT INTO system_settings (setting_key, setting_value, setting_type, category, is_public)"
    " VALUES "
    + ", ".join(
        f"('{key}', '{value}', '{kind}', '{category}', {str(public).lower()})"
        for key, value, kind, category, public in _SEED_SETTINGS
    )
    + " ON CONFLICT (setting_key) DO NOTHING",
    "INSERT INTO email_templates (template_name, subject, body_html, variables, category) VALUES "
    + ", ".join(
        "('{}', '{}', '{}', '{}', '{}')".format(*(part.replace("'", "''") for part in row))
        for row in _SEED_TEMPLATES
    )
    + " ON CONFLICT (template_name) DO NOTHING",
)

_SQL_FILE: Sequence[str] = (*_SQL_FILE_TABLES, *_SQL_FILE_INDEXES, *_SQL_FILE_SEEDS)

# --- create_all of admin_models.py @bcf2d55 ---------------------------------------

# As SQLAlchemy 2's PostgreSQL dialect emits it, in the metadata's dependency
# order: SERIAL NOT NULL and a table-level key, JSON, no DEFAULT anywhere,
# unique=True as a UNIQUE clause, unique=True with index=True as a unique index,
# index=True as ix_<table>_<column>. create_all skips a table that exists.
_MODEL_TABLES: dict[str, Sequence[str]] = {
    "admin_users": (
        """CREATE TABLE admin_users (
            id SERIAL NOT NULL, email VARCHAR(255) NOT NULL, password_hash VARCHAR(255) NOT NULL,
            full_name VARCHAR(255) NOT NULL, role VARCHAR(50), permissions JSON, is_active BOOLEAN,
            last_login TIMESTAMP WITHOUT TIME ZONE, created_at TIMESTAMP WITHOUT TIME ZONE,
            updated_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id))""",
        "CREATE UNIQUE INDEX ix_admin_users_email ON admin_users (email)",
        "CREATE INDEX ix_admin_users_id ON admin_users (id)",
    ),
    "base_price_rules": (
        """CREATE TABLE base_price_rules (
            id SERIAL NOT NULL, rule_name VARCHAR(200) NOT NULL, country VARCHAR(100),
            subject_category VARCHAR(100) NOT NULL, session_format VARCHAR(50) NOT NULL,
            min_grade_level INTEGER, max_grade_level INTEGER,
            base_price_per_hour NUMERIC(10, 2) NOT NULL, credential_bonus NUMERIC(10, 2),
            experience_bonus_per_year NUMERIC(10, 2), priority INTEGER, is_active BOOLEAN,
            created_at TIMESTAMP WITHOUT TIME ZONE, updated_at TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (id))""",
        "CREATE INDEX ix_base_price_rules_id ON base_price_rules (id)",
    ),
    "scheduled_jobs": (
        """CREATE TABLE scheduled_jobs (
            id SERIAL NOT NULL, job_name VARCHAR(100) NOT NULL, job_type VARCHAR(100) NOT NULL,
            schedule VARCHAR(100), parameters JSON, is_active BOOLEAN,
            last_run TIMESTAMP WITHOUT TIME ZONE, next_run TIMESTAMP WITHOUT TIME ZONE,
            status VARCHAR(50), last_error TEXT, created_at TIMESTAMP WITHOUT TIME ZONE,
            updated_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id))""",
        "CREATE INDEX ix_scheduled_jobs_id ON scheduled_jobs (id)",
    ),
    "platform_analytics": (
        """CREATE TABLE platform_analytics (
            id SERIAL NOT NULL, date DATE NOT NULL, metric_name VARCHAR(100) NOT NULL,
            metric_value NUMERIC, dimensions JSON, created_at TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (id))""",
        "CREATE INDEX ix_platform_analytics_id ON platform_analytics (id)",
    ),
    "audit_trail": (
        """CREATE TABLE audit_trail (
            id SERIAL NOT NULL, table_name VARCHAR(100) NOT NULL, record_id INTEGER NOT NULL,
            action VARCHAR(50) NOT NULL, old_values JSON, new_values JSON, changed_by INTEGER,
            changed_by_type VARCHAR(20), ip_address VARCHAR(45),
            created_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id))""",
        "CREATE INDEX ix_audit_trail_id ON audit_trail (id)",
    ),
    "user_reports": (
        """CREATE TABLE user_reports (
            id SERIAL NOT NULL, reporter_id INTEGER NOT NULL, reported_user_id INTEGER NOT NULL,
            report_type VARCHAR(100) NOT NULL, description TEXT, evidence JSON,
            status VARCHAR(50), assigned_to INTEGER, resolution_notes TEXT,
            created_at TIMESTAMP WITHOUT TIME ZONE, resolved_at TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (id), FOREIGN KEY(assigned_to) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_user_reports_id ON user_reports (id)",
    ),
    "system_media_settings": (
        """CREATE TABLE system_media_settings (
            id SERIAL NOT NULL, subscription_plan_id INTEGER, max_image_size_mb INTEGER,
            max_video_size_mb INTEGER, max_document_size_mb INTEGER, max_audio_size_mb INTEGER,
            storage_limit_gb INTEGER, max_image_storage_mb INTEGER, max_video_storage_mb INTEGER,
            allowed_video_formats JSON, allowed_image_formats JSON, allowed_document_formats JSON,
            allowed_audio_formats JSON, auto_optimize_images BOOLEAN, auto_optimize_videos BOOLEAN,
            auto_generate_thumbnails BOOLEAN, video_quality_max VARCHAR(20),
            created_at TIMESTAMP WITHOUT TIME ZONE, updated_at TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (id))""",
        "CREATE INDEX ix_system_media_settings_id ON system_media_settings (id)",
        "CREATE INDEX ix_system_media_settings_subscription_plan_id"
        " ON system_media_settings (subscription_plan_id)",
    ),
    "moderation_queue": (
        """CREATE TABLE moderation_queue (
            id SERIAL NOT NULL, content_type VARCHAR(100) NOT NULL, content_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL, reason VARCHAR(255), status VARCHAR(50),
            reviewed_by INTEGER, review_notes TEXT, created_at TIMESTAMP WITHOUT TIME ZONE,
            reviewed_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id),
            FOREIGN KEY(reviewed_by) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_moderation_queue_id ON moderation_queue (id)",
    ),
    "email_templates": (
        """CREATE TABLE email_templates (
            id SERIAL NOT NULL, template_name VARCHAR(100) NOT NULL, subject VARCHAR(255) NOT NULL,
            body_html TEXT NOT NULL, body_text TEXT, variables JSON, category VARCHAR(100),
            is_active BOOLEAN, created_by INTEGER, created_at TIMESTAMP WITHOUT TIME ZONE,
            updated_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id), UNIQUE (template_name),
            FOREIGN KEY(created_by) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_email_templates_id ON email_templates (id)",
    ),
    "announcements": (
        """CREATE TABLE announcements (
            id SERIAL NOT NULL, title VARCHAR(255) NOT NULL, content TEXT NOT NULL,
            target_audience JSON, priority VARCHAR(50), is_active BOOLEAN,
            start_date TIMESTAMP WITHOUT TIME ZONE, end_date TIMESTAMP WITHOUT TIME ZONE,
            created_by INTEGER, created_at TIMESTAMP WITHOUT TIME ZONE,
            updated_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id),
            FOREIGN KEY(created_by) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_announcements_id ON announcements (id)",
    ),
    "feature_flags": (
        """CREATE TABLE feature_flags (
            id SERIAL NOT NULL, flag_name VARCHAR(100) NOT NULL, is_enabled BOOLEAN,
            rollout_percentage INTEGER, target_users JSON, description TEXT, created_by INTEGER,
            created_at TIMESTAMP WITHOUT TIME ZONE, updated_at TIMESTAMP WITHOUT TIME ZONE,
            PRIMARY KEY (id), UNIQUE (flag_name),
            FOREIGN KEY(created_by) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_feature_flags_id ON feature_flags (id)",
    ),
    "admin_activity_logs": (
        """CREATE TABLE admin_activity_logs (
            id SERIAL NOT NULL, admin_id INTEGER, action VARCHAR(255) NOT NULL,
            entity_type VARCHAR(100), entity_id INTEGER, details JSON, ip_address VARCHAR(45),
            user_agent TEXT, created_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id),
            FOREIGN KEY(admin_id) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_admin_activity_logs_id ON admin_activity_logs (id)",
    ),
    "support_tickets": (
        """CREATE TABLE support_tickets (
            id SERIAL NOT NULL, user_id INTEGER NOT NULL, subject VARCHAR(255) NOT NULL,
            description TEXT NOT NULL, category VARCHAR(100), priority VARCHAR(50),
            status VARCHAR(50), assigned_to INTEGER, resolution TEXT,
            created_at TIMESTAMP WITHOUT TIME ZONE, updated_at TIMESTAMP WITHOUT TIME ZONE,
            resolved_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id),
            FOREIGN KEY(assigned_to) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_support_tickets_id ON support_tickets (id)",
    ),
    "system_settings": (
        """CREATE TABLE system_settings (
            id SERIAL NOT NULL, setting_key VARCHAR(100) NOT NULL, setting_value TEXT,
            setting_type VARCHAR(50), category VARCHAR(100), description TEXT, is_public BOOLEAN,
            updated_by INTEGER, created_at TIMESTAMP WITHOUT TIME ZONE,
            updated_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id), UNIQUE (setting_key),
            FOREIGN KEY(updated_by) REFERENCES admin_users (id))""",
        "CREATE INDEX ix_system_settings_id ON system_settings (id)",
    ),
    "support_ticket_messages": (
        """CREATE TABLE support_ticket_messages (
            id SERIAL NOT NULL, ticket_id INTEGER, sender_type VARCHAR(20) NOT NULL,
            sender_id INTEGER NOT NULL, message TEXT NOT NULL, attachments JSON,
            created_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id),
            FOREIGN KEY(ticket_id) REFERENCES support_tickets (id) ON DELETE CASCADE)""",
        "CREATE INDEX ix_support_ticket_messages_id ON support_ticket_messages (id)",
    ),
}

# --- production's scripts, as the committed dumps show their result ------------

_PRODUCTION_SUBSCRIPTION_PLANS: Sequence[str] = (
    """CREATE TABLE subscription_plans (
        id integer NOT NULL,
        currency character varying(10) DEFAULT 'ETB'::character varying,
        discount_yearly numeric(5,2) DEFAULT 0,
        is_active boolean DEFAULT true,
        display_order integer DEFAULT 0,
        created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        package_title character varying(255) DEFAULT 'Untitled'::character varying NOT NULL,
        package_price numeric(10,2) DEFAULT 0,
        is_base_package boolean DEFAULT false,
        discount_3_months numeric(5,2) DEFAULT 0,
        discount_6_months numeric(5,2) DEFAULT 0,
        label character varying(50) DEFAULT 'none'::character varying,
        duration_days integer DEFAULT 30,
        country character varying(100) DEFAULT 'all'::character varying)""",
    "CREATE SEQUENCE subscription_plans_id_seq AS integer",
    "ALTER SEQUENCE subscription_plans_id_seq OWNED BY subscription_plans.id",
    "ALTER TABLE ONLY subscription_plans ALTER COLUMN id"
    " SET DEFAULT nextval('subscription_plans_id_seq'::regclass)",
    "ALTER TABLE ONLY subscription_plans ADD CONSTRAINT subscription_plans_pkey PRIMARY KEY (id)",
    "CREATE INDEX idx_subscription_plans_active ON subscription_plans USING btree (is_active)",
    "CREATE INDEX idx_subscription_plans_country ON subscription_plans USING btree (country)",
)

# migration_new_tables_admin_db.sql and the scripts after it: columns appended
# in the order the scripts added them.
_PRODUCTION_BASE_PRICE_RULES: Sequence[str] = (
    """CREATE TABLE base_price_rules (
        id integer NOT NULL,
        rule_name character varying(200) NOT NULL,
        subject_category character varying(100) NOT NULL,
        session_format character varying(50) NOT NULL,
        base_price_per_hour numeric(10,2) NOT NULL,
        credential_bonus numeric(10,2) DEFAULT 0,
        priority integer DEFAULT 2,
        is_active boolean DEFAULT true,
        created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        updated_at timestamp without time zone,
        experience_bonus_per_year numeric(10,2) DEFAULT 0 NOT NULL,
        min_grade_level integer DEFAULT 1,
        max_grade_level integer DEFAULT 12,
        country character varying(100) DEFAULT 'all'::character varying,
        currency character varying(10) DEFAULT 'ETB'::character varying,
        CONSTRAINT base_price_rules_base_price_per_hour_check
            CHECK ((base_price_per_hour > (0)::numeric)),
        CONSTRAINT base_price_rules_credential_bonus_check
            CHECK ((credential_bonus >= (0)::numeric)),
        CONSTRAINT base_price_rules_priority_check CHECK (((priority >= 1) AND (priority <= 3))),
        CONSTRAINT check_grade_level_range CHECK (((min_grade_level <= max_grade_level)
            AND (min_grade_level >= 1) AND (max_grade_level <= 14))))""",
    "CREATE SEQUENCE base_price_rules_id_seq AS integer",
    "ALTER SEQUENCE base_price_rules_id_seq OWNED BY base_price_rules.id",
    "ALTER TABLE ONLY base_price_rules ALTER COLUMN id"
    " SET DEFAULT nextval('base_price_rules_id_seq'::regclass)",
    "ALTER TABLE ONLY base_price_rules ADD CONSTRAINT base_price_rules_pkey PRIMARY KEY (id)",
    "CREATE INDEX idx_base_price_active ON base_price_rules USING btree (is_active)"
    " WHERE (is_active = true)",
    "CREATE INDEX idx_base_price_lookup ON base_price_rules USING btree"
    " (subject_category, session_format, is_active)",
    "CREATE INDEX idx_base_price_priority ON base_price_rules USING btree"
    " (priority, created_at DESC)",
    "CREATE INDEX idx_base_price_rules_country ON base_price_rules USING btree (country)",
    "CREATE INDEX idx_base_price_rules_currency ON base_price_rules USING btree (currency)",
    "CREATE UNIQUE INDEX idx_unique_active_rules ON base_price_rules USING btree"
    " (subject_category, session_format) WHERE (is_active = true)",
)

_PRODUCTION_MEDIA_SETTINGS: Sequence[str] = (
    """CREATE TABLE system_media_settings (
        id integer NOT NULL,
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
        created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        max_image_storage_mb integer DEFAULT 0,
        max_video_storage_mb integer DEFAULT 0,
        auto_optimize_videos boolean DEFAULT false,
        video_quality_max character varying(20) DEFAULT NULL::character varying,
        subscription_plan_id integer)""",
    "CREATE SEQUENCE system_media_settings_id_seq AS integer",
    "ALTER SEQUENCE system_media_settings_id_seq OWNED BY system_media_settings.id",
    "ALTER TABLE ONLY system_media_settings ALTER COLUMN id"
    " SET DEFAULT nextval('system_media_settings_id_seq'::regclass)",
    "ALTER TABLE ONLY system_media_settings"
    " ADD CONSTRAINT system_media_settings_pkey PRIMARY KEY (id)",
    "ALTER TABLE ONLY system_media_settings ADD CONSTRAINT"
    " system_media_settings_subscription_plan_id_unique UNIQUE (subscription_plan_id)",
    "ALTER TABLE ONLY system_media_settings ADD CONSTRAINT fk_subscription_plan"
    " FOREIGN KEY (subscription_plan_id) REFERENCES subscription_plans(id) ON DELETE CASCADE",
)

# Tables no spec names, as the dumps hold dozens of: left alone by the baseline.
_PRODUCTION_OTHERS: Sequence[str] = (
    """CREATE TABLE subscription_features (
        id serial PRIMARY KEY,
        subscription_plan_id integer NOT NULL
            REFERENCES subscription_plans(id) ON DELETE CASCADE,
        user_role character varying(50) NOT NULL,
        feature_name character varying(255) NOT NULL,
        is_enabled boolean DEFAULT true NOT NULL,
        CONSTRAINT unique_plan_role_feature
            UNIQUE (subscription_plan_id, user_role, feature_name))""",
    """CREATE TABLE admin_profile (
        id serial PRIMARY KEY,
        password_hash character varying(255),
        first_name character varying(100),
        father_name character varying(100),
        departments text[] DEFAULT '{}',
        email text[] DEFAULT '{}',
        created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
        updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE otps (
        id serial PRIMARY KEY,
        user_id integer,
        otp_code character varying(6) NOT NULL,
        purpose character varying NOT NULL,
        expires_at timestamp without time zone NOT NULL,
        is_used boolean,
        contact character varying(255))""",
    "CREATE INDEX ix_otps_id ON otps USING btree (id)",
)

# --- rows the application wrote ------------------------------------------------------

_EPOCH = datetime(2025, 10, 1, 9, 0, 0)
_ROLES = ("super_admin", "admin", "moderator", "support", "admin")
_STATUSES = {
    "moderation_queue": ("pending", "approved", "rejected", "flagged", "pending"),
    "user_reports": ("open", "investigating", "resolved", "dismissed"),
    "support_tickets": ("open", "in_progress", "waiting", "resolved", "closed", "escalated"),
}
_SUBJECTS = ("mathematics", "science", "languages", "all")
_FORMATS = ("Online", "In-Person", "Hybrid", "all")


def _when(rng: random.Random, days: int = 60) -> datetime:
    return _EPOCH + timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))


def _odd_json(rng: random.Random, value: object) -> str:
    """JSON text as a hand-written script might send it: json keeps it verbatim."""
    return json.dumps(
        value, indent=rng.choice((None, 1)), separators=rng.choice((None, (",", ":")))
    )


def _present(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def _write_admin_rows(conn: psycopg.Connection, rng: random.Random, *, orm: bool) -> None:
    """Rows in whichever of the thirteen tables exist. With ``orm`` every column
    a model gives a Python default is written explicitly, as the ORM does; else
    the inserts leave those to the server, as the psycopg modules do."""
    # Unique names carry a tag, so a second writer (another release) adds rows.
    tag = f"{rng.getrandbits(24):06x}"
    with conn.transaction(), conn.cursor() as cur:
        if not _present(conn, "admin_users"):
            return
        for i in range(1, 7):
            row: dict[str, object] = {
                "email": f"admin{i}.{tag}@astegni.example",
                "password_hash": f"$2b$12${rng.getrandbits(96):024x}",
                "full_name": f"Admin {i}",
                "role": rng.choice(_ROLES),
                "permissions": Json(rng.sample(("users", "content", "pricing", "tickets"), 2)),
                "last_login": rng.choice((None, _when(rng))),
            }
            if orm:
                row |= {"is_active": True, "created_at": _when(rng), "updated_at": _when(rng)}
            _insert(cur, "admin_users", row)
        admins = [r[0] for r in cur.execute("SELECT id FROM admin_users ORDER BY id")]

        if _present(conn, "admin_activity_logs"):
            for _ in range(60):
                row = {
                    "admin_id": rng.choice((*admins, None)),
                    "action": rng.choice(("approve_tutor", "suspend_user", "edit_setting")),
                    "entity_type": rng.choice(("user", "tutor", "content")),
                    "entity_id": rng.randrange(1, 500),
                    "details": Json({"reason": rng.choice(("spam", "ok")), "n": rng.random()}),
                    "ip_address": f"196.188.{rng.randrange(256)}.{rng.randrange(256)}",
                    "user_agent": rng.choice((None, "Mozilla/5.0")),
                }
                if orm:
                    row["created_at"] = _when(rng)
                _insert(cur, "admin_activity_logs", row)
        if _present(conn, "system_settings"):
            for key in ("payout_day", "support_email", "ads_enabled"):
                row = {
                    "setting_key": f"{key}_{tag}",
                    "setting_value": rng.choice(("15", "help@astegni.example", "true")),
                    "category": "ops",
                    "updated_by": rng.choice(admins),
                }
                if orm:
                    row |= {
                        "setting_type": "string",
                        "is_public": False,
                        "created_at": _when(rng),
                        "updated_at": _when(rng),
                    }
                _insert(cur, "system_settings", row)
        if _present(conn, "moderation_queue"):
            for _ in range(25):
                row = {
                    "content_type": rng.choice(("video", "blog", "comment", "profile")),
                    "content_id": rng.randrange(1, 1000),
                    "user_id": rng.randrange(1, 300),
                    "reason": rng.choice((None, "reported twice")),
                    "status": rng.choice(_STATUSES["moderation_queue"]),
                    "reviewed_by": rng.choice((None, *admins)),
                }
                if orm:
                    row["created_at"] = _when(rng)
                _insert(cur, "moderation_queue", row)
        if _present(conn, "user_reports"):
            for _ in range(20):
                row = {
                    "reporter_id": rng.randrange(1, 300),
                    "reported_user_id": rng.randrange(1, 300),
                    "report_type": rng.choice(("spam", "harassment", "fraud")),
                    "evidence": rng.choice(
                        (None, Json({"messages": [rng.randrange(9999)], "screens": 2}))
                    ),
                    "status": rng.choice(_STATUSES["user_reports"]),
                    "assigned_to": rng.choice((None, *admins)),
                }
                if orm:
                    row["created_at"] = _when(rng)
                _insert(cur, "user_reports", row)
        if _present(conn, "platform_analytics"):
            # One row per (date, metric, dimensions): the SQL file's UNIQUE holds.
            for day in range(12):
                for metric in ("signups", "sessions", "revenue"):
                    dims = {"country": "ET", "role": rng.choice(("tutor", "student")), "batch": tag}
                    row = {
                        "date": date(2025, 10, 1) + timedelta(days=day),
                        "metric_name": metric,
                        "metric_value": rng.randrange(0, 10_000) / 100,
                        "dimensions": _odd_json(rng, dims) if orm else Json(dims),
                    }
                    if orm:
                        row["created_at"] = _when(rng)
                    _insert(cur, "platform_analytics", row)
        if _present(conn, "feature_flags"):
            for name in ("new_whiteboard", "ads_v2", "parent_portal"):
                row = {
                    "flag_name": f"{name}_{tag}",
                    "is_enabled": rng.random() < 0.5,
                    "rollout_percentage": rng.choice((0, 10, 50, 100)),
                    "target_users": Json({"roles": ["tutor"]}),
                    "created_by": rng.choice(admins),
                }
                if orm:
                    row |= {"created_at": _when(rng), "updated_at": _when(rng)}
                _insert(cur, "feature_flags", row)
        if _present(conn, "announcements"):
            for i in range(5):
                row = {
                    "title": f"Notice {i}",
                    "content": "Maintenance on Sunday",
                    "created_by": rng.choice(admins),
                }
                if orm:
                    row |= {
                        "target_audience": Json(["all"]),
                        "priority": "normal",
                        "is_active": True,
                        "created_at": _when(rng),
                        "updated_at": _when(rng),
                    }
                _insert(cur, "announcements", row)
        if _present(conn, "email_templates"):
            row = {
                "template_name": f"invoice_{tag}",
                "subject": "Your invoice",
                "body_html": "<p>{{amount}} ETB</p>",
                "variables": Json(["amount"]),
            }
            if orm:
                row |= {"is_active": True, "created_at": _when(rng), "updated_at": _when(rng)}
            _insert(cur, "email_templates", row)
        if _present(conn, "scheduled_jobs"):
            for name in ("nightly_report", "cleanup_otps"):
                row = {
                    "job_name": name,
                    "job_type": rng.choice(("report", "cleanup")),
                    "schedule": "0 2 * * *",
                    "parameters": Json({"keep_days": 30}),
                }
                if orm:
                    row |= {
                        "is_active": True,
                        "status": "idle",
                        "created_at": _when(rng),
                        "updated_at": _when(rng),
                    }
                _insert(cur, "scheduled_jobs", row)
        if _present(conn, "audit_trail"):
            for _ in range(40):
                before = {"price": rng.randrange(50, 500), "active": True}
                row = {
                    "table_name": rng.choice(("base_price_rules", "users")),
                    "record_id": rng.randrange(1, 50),
                    "action": rng.choice(("INSERT", "UPDATE", "DELETE")),
                    "old_values": Json(before),
                    "new_values": Json(before | {"price": before["price"] + 10}),
                    "changed_by": rng.choice(admins),
                    "changed_by_type": "admin",
                }
                if orm:
                    row["created_at"] = _when(rng)
                _insert(cur, "audit_trail", row)
        if _present(conn, "support_tickets"):
            for _ in range(15):
                row = {
                    "user_id": rng.randrange(1, 300),
                    "subject": "Cannot join session",
                    "description": "The link does not open",
                    "category": rng.choice(("technical", "billing", None)),
                    "status": rng.choice(_STATUSES["support_tickets"]),
                    "assigned_to": rng.choice((None, *admins)),
                }
                if orm:
                    row |= {
                        "priority": "normal",
                        "created_at": _when(rng),
                        "updated_at": _when(rng),
                    }
                _insert(cur, "support_tickets", row)
            tickets = [r[0] for r in cur.execute("SELECT id FROM support_tickets ORDER BY id")]
            if _present(conn, "support_ticket_messages"):
                for _ in range(40):
                    row = {
                        "ticket_id": rng.choice(tickets),
                        "sender_type": rng.choice(("user", "admin")),
                        "sender_id": rng.randrange(1, 300),
                        "message": "Any update?",
                        "attachments": rng.choice((None, Json([{"name": "screen.png"}]))),
                    }
                    if orm:
                        row["created_at"] = _when(rng)
                    _insert(cur, "support_ticket_messages", row)


def _write_plans(conn: psycopg.Connection, count: int = 4) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for i in range(1, count + 1):
            _insert(
                cur,
                "subscription_plans",
                {"package_title": f"Plan {i}", "package_price": 100 * i, "duration_days": 30},
            )


def _write_pricing_rows(
    conn: psycopg.Connection, rng: random.Random, *, orm: bool, plan_ids: Sequence[int | None]
) -> None:
    """Price rules (one active per subject and format) and one media settings row per
    plan id. The ORM writes the model's columns with its Python defaults (14 as the
    top grade); a script's INSERT leaves production's server defaults to fill in."""
    with conn.transaction(), conn.cursor() as cur:
        pairs = [(s, f) for s in _SUBJECTS for f in _FORMATS]
        rng.shuffle(pairs)
        for i, (subject, session_format) in enumerate(pairs[:10]):
            row: dict[str, object] = {
                "rule_name": f"{subject} / {session_format}",
                "subject_category": subject,
                "session_format": session_format,
                "base_price_per_hour": rng.choice((80, 100, 150.5)),
                "credential_bonus": rng.choice((0, 8, 10)),
                "priority": rng.choice((1, 2, 3)),
                "is_active": i < 8,  # two inactive ones
            }
            if orm:
                row |= {
                    "country": rng.choice(("all", "ET")),
                    "min_grade_level": 1,
                    "max_grade_level": 14,
                    "experience_bonus_per_year": rng.choice((0, 3)),
                    "created_at": _when(rng),
                }
            _insert(cur, "base_price_rules", row)
        for plan_id in plan_ids:
            row = {
                "subscription_plan_id": plan_id,
                "max_image_size_mb": rng.choice((5, 10)),
                "max_video_size_mb": rng.choice((50, 200)),
                "max_document_size_mb": 10,
                "max_audio_size_mb": 10,
                "storage_limit_gb": rng.choice((5, 20, 100)),
            }
            if orm:
                row |= {
                    "max_image_storage_mb": 0,
                    "max_video_storage_mb": 0,
                    "allowed_video_formats": Json(["mp4", "mov", "avi", "webm"]),
                    "allowed_image_formats": Json(["jpg", "jpeg", "png", "gif"]),
                    "allowed_document_formats": Json(["pdf", "doc", "docx"]),
                    "allowed_audio_formats": Json(["mp3", "wav", "ogg"]),
                    "auto_optimize_images": True,
                    "auto_optimize_videos": False,
                    "auto_generate_thumbnails": True,
                    "created_at": _when(rng),
                    "updated_at": _when(rng),
                }
            _insert(cur, "system_media_settings", row)


def _write_production_others(conn: psycopg.Connection, rng: random.Random) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for plan in (1, 2):
            for feature in ("profile_boost", "priority_support"):
                _insert(
                    cur,
                    "subscription_features",
                    {"subscription_plan_id": plan, "user_role": "tutor", "feature_name": feature},
                )
        for i in range(1, 5):
            _insert(
                cur,
                "admin_profile",
                {
                    "first_name": f"Abebe{i}",
                    "father_name": "Kebede",
                    "departments": ["manage-system-settings"],
                    "email": [f"a{i}@astegni.example"],
                },
            )
        for _ in range(10):
            _insert(
                cur,
                "otps",
                {
                    "user_id": rng.randrange(1, 99),
                    "otp_code": "123456",
                    "purpose": "login",
                    "expires_at": _when(rng),
                    "is_used": False,
                },
            )


def _insert(cur: psycopg.Cursor[Any], table: str, row: Mapping[str, object]) -> None:
    columns = ", ".join(row)
    cur.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
        list(row.values()),
    )


# --- the creators, as they ran --------------------------------------------------------


def _run_split_sql_file(conn: psycopg.Connection) -> None:
    """The split script sends the whole file at once: one implicit transaction."""
    conn.execute(";\n".join(_SQL_FILE))  # no parameters: simple query protocol


def _create_all(conn: psycopg.Connection, tables: Sequence[str] = tuple(_MODEL_TABLES)) -> None:
    """SQLAlchemy's create_all (checkfirst): only tables that do not exist, in one transaction."""
    with conn.transaction():
        for table in tables:
            if not _present(conn, table):
                for statement in _MODEL_TABLES[table]:
                    conn.execute(statement)


def _run_production_scripts(conn: psycopg.Connection) -> None:
    for statements in (
        _PRODUCTION_SUBSCRIPTION_PLANS,
        _PRODUCTION_BASE_PRICE_RULES,
        _PRODUCTION_MEDIA_SETTINGS,
        _PRODUCTION_OTHERS,
    ):
        for statement in statements:
            conn.execute(statement)


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


# --- the states --------------------------------------------------------------------------


def build_empty(url: str) -> None:
    """No admin object at all."""


def build_split_sql_file(url: str) -> None:
    rng = random.Random(101)
    with _connect(url) as conn:
        _run_split_sql_file(conn)
        _write_admin_rows(conn, rng, orm=False)


def build_split_then_models(url: str) -> None:
    rng = random.Random(102)
    with _connect(url) as conn:
        _run_split_sql_file(conn)
        _write_admin_rows(conn, rng, orm=False)
        _create_all(conn)  # adds base_price_rules and system_media_settings only
        for statement in _PRODUCTION_SUBSCRIPTION_PLANS:
            conn.execute(statement)
        _write_plans(conn)
        _write_pricing_rows(conn, rng, orm=True, plan_ids=(1, 2, 3, None))
        _write_admin_rows(conn, rng, orm=True)


def build_models(url: str) -> None:
    rng = random.Random(103)
    with _connect(url) as conn:
        _create_all(conn)
        _write_admin_rows(conn, rng, orm=True)
        # No subscription_plans here: the one media settings row is the plan-less default.
        _write_pricing_rows(conn, rng, orm=True, plan_ids=(None,))


def build_models_then_sql_file(url: str) -> None:
    rng = random.Random(104)
    with _connect(url) as conn:
        _create_all(conn)
        _write_admin_rows(conn, rng, orm=True)
        _write_pricing_rows(conn, rng, orm=True, plan_ids=(None,))
        _run_split_sql_file(conn)
        _write_admin_rows(conn, rng, orm=False)


def build_production_dump(url: str) -> None:
    rng = random.Random(105)
    with _connect(url) as conn:
        _run_production_scripts(conn)
        _write_plans(conn)
        _write_pricing_rows(conn, rng, orm=False, plan_ids=(1, 2, 3, 4))
        _write_pricing_rows_orm_on_production(conn, rng)
        _write_production_others(conn, rng)


def _write_pricing_rows_orm_on_production(conn: psycopg.Connection, rng: random.Random) -> None:
    """The ORM writing to production's table: the model's columns, none of currency."""
    with conn.transaction(), conn.cursor() as cur:
        _insert(
            cur,
            "base_price_rules",
            {
                "rule_name": "Certification online",
                "country": "ET",
                "subject_category": "certification",
                "session_format": "Online",
                "min_grade_level": 13,
                "max_grade_level": 14,
                "base_price_per_hour": 250,
                "credential_bonus": 10,
                "experience_bonus_per_year": 5,
                "priority": 1,
                "is_active": True,
                "created_at": _when(rng),
            },
        )


def build_production_then_sql_file(url: str) -> None:
    rng = random.Random(106)
    with _connect(url) as conn:
        _run_production_scripts(conn)
        _write_plans(conn)
        _write_pricing_rows(conn, rng, orm=False, plan_ids=(1, 2, 3, 4))
        _write_production_others(conn, rng)
        _run_split_sql_file(conn)
        _write_admin_rows(conn, rng, orm=False)


def build_psql_partial(url: str) -> None:
    """psql ran the file statement by statement and stopped after its seventh table."""
    rng = random.Random(107)
    with _connect(url) as conn:
        for statement in _SQL_FILE_TABLES[:7]:
            conn.execute(statement)
        _write_admin_rows(conn, rng, orm=False)


ADMIN_STATES: dict[str, Callable[[str], None]] = {
    "empty": build_empty,
    "split_sql_file": build_split_sql_file,
    "split_then_models": build_split_then_models,
    "models": build_models,
    "models_then_sql_file": build_models_then_sql_file,
    "production_dump": build_production_dump,
    "production_then_sql_file": build_production_then_sql_file,
    "psql_partial": build_psql_partial,
}

# The states whose admin tables the SQL file made, with jsonb columns.
JSONB_STATES = ("split_sql_file", "split_then_models", "production_then_sql_file", "psql_partial")


# --- databases only a person can converge ---------------------------------------------


def build_orphan_media_settings(url: str) -> None:
    """The models' database whose media settings name plans no subscription_plans holds
    (the rows a script copied before the plans themselves were created)."""
    rng = random.Random(201)
    with _connect(url) as conn:
        _create_all(conn)
        _write_admin_rows(conn, rng, orm=True)
        _write_pricing_rows(conn, rng, orm=True, plan_ids=(7, 9, None))


def build_duplicate_active_rules(url: str) -> None:
    """The models' database with two active rules for one subject and format, in two
    countries: the admin API allowed it there, production's partial unique index not."""
    rng = random.Random(202)
    with _connect(url) as conn:
        _create_all(conn)
        _write_admin_rows(conn, rng, orm=True)
        with conn.transaction(), conn.cursor() as cur:
            for country in ("ET", "KE"):
                _insert(
                    cur,
                    "base_price_rules",
                    {
                        "rule_name": f"Maths online {country}",
                        "country": country,
                        "subject_category": "mathematics",
                        "session_format": "Online",
                        "min_grade_level": 1,
                        "max_grade_level": 14,
                        "base_price_per_hour": 120,
                        "credential_bonus": 5,
                        "experience_bonus_per_year": 2,
                        "priority": 2,
                        "is_active": True,
                        "created_at": _when(rng),
                    },
                )


def build_foreign_announcements(url: str) -> None:
    """A marketing feature's own announcements table, in the admin database before the split."""
    with _connect(url) as conn:
        conn.execute(
            "CREATE TABLE announcements (id serial PRIMARY KEY, banner_url text NOT NULL,"
            " placement varchar(30), clicks integer DEFAULT 0)"
        )
        conn.execute(
            "INSERT INTO announcements (banner_url, placement, clicks)"
            " SELECT 'https://cdn.example/b' || g, 'home', g FROM generate_series(1, 12) g"
        )


# --- the advertiser database ------------------------------------------------------------


def build_advertiser_database(url: str) -> None:
    """An advertiser database as create_advertiser_db.py's create_all made it (a few of
    its tables, abridged), after a later script added KYC columns to
    advertiser_profiles and the split copied rows in: a database the advertiser
    target knows nothing of beyond advertiser_profiles' key."""
    rng = random.Random(301)
    with _connect(url) as conn, conn.transaction():
        conn.execute(
            "CREATE TABLE advertiser_profiles (id SERIAL NOT NULL, user_id INTEGER,"
            " email VARCHAR, has_password BOOLEAN NOT NULL, email_verified BOOLEAN NOT NULL,"
            " username VARCHAR, company_email JSONB, balance NUMERIC(12, 2),"
            " created_at TIMESTAMP WITH TIME ZONE, PRIMARY KEY (id))"
        )
        conn.execute("CREATE INDEX ix_advertiser_profiles_user_id ON advertiser_profiles (user_id)")
        conn.execute(
            "CREATE UNIQUE INDEX ix_advertiser_profiles_username ON advertiser_profiles (username)"
        )
        conn.execute(
            "ALTER TABLE advertiser_profiles ADD COLUMN IF NOT EXISTS grandfather_name TEXT,"
            " ADD COLUMN IF NOT EXISTS naming_system TEXT DEFAULT 'ethiopian'"
        )
        conn.execute(
            "CREATE TABLE company_profile (id SERIAL NOT NULL, advertiser_id INTEGER NOT NULL,"
            " company_name VARCHAR(255) NOT NULL, is_verified BOOLEAN, PRIMARY KEY (id),"
            " FOREIGN KEY(advertiser_id) REFERENCES advertiser_profiles (id) ON DELETE CASCADE)"
        )
        conn.execute(
            "CREATE TABLE campaign_profile (id SERIAL NOT NULL, name VARCHAR(255),"
            " campaign_status VARCHAR(20), company_id INTEGER NOT NULL,"
            " target_audiences TEXT[], PRIMARY KEY (id),"
            " CONSTRAINT campaign_profile_campaign_status_check"
            " CHECK (campaign_status IN ('draft','active','paused','cancelled','completed')),"
            " FOREIGN KEY(company_id) REFERENCES company_profile (id) ON DELETE CASCADE)"
        )
        conn.execute("CREATE INDEX ix_campaign_profile_company_id ON campaign_profile (company_id)")
        with conn.cursor() as cur:
            for i in range(1, 9):
                _insert(
                    cur,
                    "advertiser_profiles",
                    {
                        "user_id": rng.choice((None, 100 + i)),
                        "email": f"ads{i}@brand.example",
                        "has_password": True,
                        "email_verified": rng.random() < 0.5,
                        "username": f"brand{i}",
                        "company_email": Json([f"info{i}@brand.example"]),
                        "balance": rng.randrange(0, 90_000) / 100,
                        "created_at": _when(rng),
                        "grandfather_name": rng.choice((None, "Tessema")),
                    },
                )
                _insert(
                    cur,
                    "company_profile",
                    {
                        "advertiser_id": i,
                        "company_name": f"Brand {i} PLC",
                        "is_verified": i % 2 == 0,
                    },
                )
                for _ in range(3):
                    _insert(
                        cur,
                        "campaign_profile",
                        {
                            "name": f"Back to school {i}",
                            "company_id": i,
                            "campaign_status": rng.choice(("draft", "active", "paused")),
                            "target_audiences": ["student", "parent"],
                        },
                    )
