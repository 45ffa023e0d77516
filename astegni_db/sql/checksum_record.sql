-- Record (or replace) the content checksum of an applied migration.
-- Parameters: migration_id, checksum
INSERT INTO _astegni_db_checksum (migration_id, checksum)
VALUES (%(migration_id)s, %(checksum)s)
ON CONFLICT (migration_id) DO UPDATE
    SET checksum = EXCLUDED.checksum, recorded_at = now();
