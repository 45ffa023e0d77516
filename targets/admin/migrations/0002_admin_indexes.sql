-- transactional: false
--
-- The indexes of the one shape (0001_baseline), on tables that existed before
-- the baseline: it creates indexes only together with a table it creates.
-- Every statement is CONCURRENTLY, so reads and writes go on during each
-- build or drop; PostgreSQL refuses that inside a transaction (hence the
-- directive above), so astegni-db runs the statements one by one, drops an
-- INVALID index a failed or killed build left, and records 0002 only once
-- every index is valid. IF [NOT] EXISTS makes a re-run safe. By name, which
-- is safe here: every name below is one the SQL file, the models or
-- production's scripts gave the index they made.
--
-- Created where missing:
-- - the SQL file's eight idx_* indexes (a database the models made has none,
--   and the psql run of the file may have stopped before them);
-- - production's six on base_price_rules, including the partial unique
--   idx_unique_active_rules: one active rule per (subject_category,
--   session_format). On a database the models made, two active rules for the
--   same pair (in different countries, which the admin API allowed there)
--   make this build fail with the duplicated key named: deactivate one of
--   them, then migrate again. Nothing is lost meanwhile;
-- - the unique indexes behind the five UNIQUE constraints, under the
--   constraint's name (0003 turns each into the constraint). Only
--   system_media_settings(subscription_plan_id) is ever missing (the models
--   made a plain index there); the other four are here for a database that
--   lost one, and are no-ops everywhere else.
-- Dropped: the models' ix_<table>_id (an index on id, redundant with the
-- primary key: every write pays for it, no query gains), and their plain
-- ix_system_media_settings_subscription_plan_id once the unique one exists.
--
-- The rollback does nothing, on purpose: see 0002's rollback file.
-- depends: 0001_baseline

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_activity_logs_admin
    ON admin_activity_logs (admin_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_activity_logs_date
    ON admin_activity_logs (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_moderation_status
    ON moderation_queue (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reports_status
    ON user_reports (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_analytics_date
    ON platform_analytics (date);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_tickets_status
    ON support_tickets (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_tickets_user
    ON support_tickets (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_table
    ON audit_trail (table_name, record_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_base_price_active
    ON base_price_rules (is_active) WHERE is_active = true;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_base_price_lookup
    ON base_price_rules (subject_category, session_format, is_active);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_base_price_priority
    ON base_price_rules (priority, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_base_price_rules_country
    ON base_price_rules (country);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_base_price_rules_currency
    ON base_price_rules (currency);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_unique_active_rules
    ON base_price_rules (subject_category, session_format) WHERE is_active = true;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS admin_users_email_key
    ON admin_users (email);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS system_settings_setting_key_key
    ON system_settings (setting_key);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS feature_flags_flag_name_key
    ON feature_flags (flag_name);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_templates_template_name_key
    ON email_templates (template_name);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS system_media_settings_subscription_plan_id_unique
    ON system_media_settings (subscription_plan_id);

DROP INDEX CONCURRENTLY IF EXISTS ix_system_media_settings_subscription_plan_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_admin_users_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_admin_activity_logs_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_system_settings_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_moderation_queue_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_user_reports_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_platform_analytics_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_feature_flags_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_announcements_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_email_templates_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_scheduled_jobs_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_audit_trail_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_support_tickets_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_support_ticket_messages_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_base_price_rules_id;
DROP INDEX CONCURRENTLY IF EXISTS ix_system_media_settings_id;
