-- Roll back 0001_baseline: drop its sixteen tables, but only while every one of
-- them is empty. The baseline cannot tell a table it created from one that the
-- split script, create_all or production's scripts created before it, so it
-- never drops a row: any non-empty table, or any other table holding a
-- foreign key to one of them (production's subscription_features references
-- subscription_plans), makes the rollback fail with an exception naming it,
-- and nothing is changed.
--
-- What the baseline changed in tables that existed before it (a jsonb column
-- made json, a default set, a constraint added) stays: the catalog does not
-- say what was there before, and each of those changes is the shape every
-- other state has. A database the baseline adopted keeps its rows, so this
-- rollback refuses there anyway.
--
-- One DO block on purpose: yoyo pairs rollback statements with forward
-- statements in reverse order, and a single statement runs exactly once.

DO $$
DECLARE
    owned constant text[] := ARRAY[
        'support_ticket_messages', 'support_tickets', 'audit_trail', 'scheduled_jobs',
        'email_templates', 'announcements', 'feature_flags', 'platform_analytics',
        'user_reports', 'moderation_queue', 'system_settings', 'admin_activity_logs',
        'admin_users', 'system_media_settings', 'base_price_rules', 'subscription_plans'
    ];
    present regclass[];
    rel regclass;
    has_rows boolean;
    non_empty text[] := '{}';
    referencing text;
BEGIN
    SELECT coalesce(array_agg(c.oid::regclass ORDER BY o.ord), '{}')
      INTO present
      FROM unnest(owned) WITH ORDINALITY AS o (name, ord)
      JOIN pg_class c ON c.oid = to_regclass(o.name) AND c.relkind IN ('r', 'p');
    IF cardinality(present) = 0 THEN
        RETURN;  -- already rolled back
    END IF;

    -- Lock before looking, so no row can arrive between the check and the drop.
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE',
                   array_to_string(present::text[], ', '));

    FOREACH rel IN ARRAY present LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s)', rel) INTO has_rows;
        IF has_rows THEN
            non_empty := non_empty || rel::text;
        END IF;
    END LOOP;
    IF cardinality(non_empty) > 0 THEN
        RAISE EXCEPTION 'refusing to roll back 0001_baseline: table(s) % still hold rows, and dropping them would lose data',
                        array_to_string(non_empty, ', ')
              USING ERRCODE = 'object_in_use',
                    HINT = 'Back up and empty these tables first, or leave 0001_baseline applied.';
    END IF;

    SELECT string_agg(format('%s (constraint %I)', con.conrelid::regclass, con.conname), ', '
                      ORDER BY con.conrelid::regclass::text, con.conname)
      INTO referencing
      FROM pg_constraint con
     WHERE con.contype = 'f'
       AND con.confrelid = ANY (present)
       AND NOT con.conrelid = ANY (present);
    IF referencing IS NOT NULL THEN
        RAISE EXCEPTION 'refusing to roll back 0001_baseline: other tables reference its tables: %',
                        referencing
              USING ERRCODE = 'dependent_objects_still_exist',
                    HINT = 'Drop or retarget those foreign keys first, or leave 0001_baseline applied.';
    END IF;

    -- No CASCADE: a view or anything else built on these tables stops the drop.
    EXECUTE format('DROP TABLE %s', array_to_string(present::text[], ', '));
END
$$;
