-- astegni-db's own bookkeeping beside yoyo's: the content checksum of each
-- applied migration (yoyo records only a hash of the file *name*).
-- Created on the first migrate, in the migration lock's session; never dropped.
CREATE TABLE IF NOT EXISTS _astegni_db_checksum (
    migration_id varchar(191) PRIMARY KEY,
    checksum char(64) NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _astegni_db_checksum IS
    'astegni-db: content checksum of each applied migration (LF-normalised sha256)';
