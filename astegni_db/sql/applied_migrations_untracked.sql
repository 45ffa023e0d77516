-- Applied migrations, oldest first, in a database that has no checksum table
-- yet: everything there was applied by another tool (the stock yoyo CLI).
SELECT migration_id, applied_at_utc, NULL AS checksum
  FROM _yoyo_migration
 ORDER BY applied_at_utc, migration_id;
