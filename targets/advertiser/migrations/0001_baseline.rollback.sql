-- Roll back the advertiser baseline: drop advertiser_profiles, but only while
-- it is empty and no other table references it. The baseline cannot tell the
-- table it created from the one create_all made before it, so it never drops a
-- row: rows, or a foreign key from another table (company_profile,
-- campaign_profile ...), make the rollback fail with an exception naming them,
-- and nothing is changed.
--
-- One DO block on purpose: yoyo pairs rollback statements with forward
-- statements in reverse order, and a single statement runs exactly once.

DO $$
DECLARE
    profiles constant regclass := to_regclass('advertiser_profiles');
    has_rows boolean;
    referencing text;
BEGIN
    IF profiles IS NULL THEN
        RETURN;  -- already rolled back
    END IF;

    -- Lock before looking, so no row can arrive between the check and the drop.
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', profiles);

    EXECUTE format('SELECT EXISTS (SELECT FROM %s)', profiles) INTO has_rows;
    IF has_rows THEN
        RAISE EXCEPTION 'refusing to roll back 0001_baseline: % still holds rows, and dropping it would lose data',
                        profiles
              USING ERRCODE = 'object_in_use',
                    HINT = 'Back up and empty it first, or leave 0001_baseline applied.';
    END IF;

    SELECT string_agg(format('%s (constraint %I)', con.conrelid::regclass, con.conname), ', '
                      ORDER BY con.conrelid::regclass::text, con.conname)
      INTO referencing
      FROM pg_constraint con
     WHERE con.contype = 'f'
       AND con.confrelid = profiles
       AND con.conrelid <> profiles;
    IF referencing IS NOT NULL THEN
        RAISE EXCEPTION 'refusing to roll back 0001_baseline: other tables reference %: %',
                        profiles, referencing
              USING ERRCODE = 'dependent_objects_still_exist',
                    HINT = 'Drop or retarget those foreign keys first, or leave 0001_baseline applied.';
    END IF;

    -- No CASCADE: a view or anything else built on it stops the drop.
    EXECUTE format('DROP TABLE %s', profiles);
END
$$;
