-- A run of this migration starts afresh, or it was recorded: its journal goes.
DELETE FROM _astegni_db_progress WHERE migration_id = %(migration_id)s;
