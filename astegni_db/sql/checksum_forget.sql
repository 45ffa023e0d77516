-- Forget the checksum of a migration that was rolled back, or whose file is gone.
-- Parameters: migration_id
DELETE FROM _astegni_db_checksum WHERE migration_id = %(migration_id)s;
