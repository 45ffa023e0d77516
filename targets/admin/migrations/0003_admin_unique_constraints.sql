-- The five UNIQUE constraints of the one shape, made from the unique indexes
-- 0002 built CONCURRENTLY under the constraint's name: ADD CONSTRAINT ...
-- UNIQUE USING INDEX checks nothing and rebuilds nothing (catalog-only; the
-- table is ACCESS EXCLUSIVE locked for milliseconds). A constraint rather than
-- the bare index because that is what the other states have (the SQL file,
-- create_all's UNIQUE clauses, production's dump), so every state ends with
-- the same catalog, and INSERT ... ON CONFLICT ON CONSTRAINT works on all.
--
-- In practice only system_media_settings(subscription_plan_id) is ever
-- missing its constraint (the models made a plain index there). Where a
-- unique constraint on the column already exists, under whatever name,
-- nothing is done, so a re-run is a no-op.
--
-- The rollback does nothing, on purpose: see 0003's rollback file.
-- depends: 0002_admin_indexes

DO $$
DECLARE
    wanted record;
BEGIN
    FOR wanted IN
        SELECT w.name, to_regclass(w.tbl) AS rel, w.col, to_regclass(w.name) AS index_rel
          FROM (VALUES
                   ('admin_users', 'email', 'admin_users_email_key'),
                   ('system_settings', 'setting_key', 'system_settings_setting_key_key'),
                   ('feature_flags', 'flag_name', 'feature_flags_flag_name_key'),
                   ('email_templates', 'template_name', 'email_templates_template_name_key'),
                   ('system_media_settings', 'subscription_plan_id',
                    'system_media_settings_subscription_plan_id_unique')
               ) AS w (tbl, col, name)
          JOIN pg_attribute a
            ON a.attrelid = to_regclass(w.tbl)
           AND a.attname = w.col
           AND NOT a.attisdropped
         WHERE NOT EXISTS (SELECT FROM pg_constraint con
                            WHERE con.conrelid = a.attrelid
                              AND con.contype = 'u'
                              AND con.conkey = ARRAY[a.attnum])
    LOOP
        IF wanted.index_rel IS NULL THEN
            RAISE EXCEPTION 'unique index % on %(%) not found: 0002_admin_indexes builds it',
                            wanted.name, wanted.rel, wanted.col
                  USING ERRCODE = 'undefined_object',
                        HINT = 'Roll back to 0002 and migrate again, or create the index by hand.';
        END IF;
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I UNIQUE USING INDEX %I',
                       wanted.rel, wanted.name, wanted.name);
    END LOOP;
END
$$;
