-- Which bookkeeping tables exist: yoyo's list of applied migrations, our
-- checksums, our journal of unfinished non-transactional migrations. Only
-- SELECT rights needed (status must work for a read-only role).
SELECT to_regclass('_yoyo_migration') IS NOT NULL AS has_migrations,
       to_regclass('_astegni_db_checksum') IS NOT NULL AS has_checksums,
       to_regclass('_astegni_db_progress') IS NOT NULL AS has_progress;
