-- astegni-db's journal of `-- transactional: false` migrations: one row per
-- statement of the run in progress (or of the last one that failed or was
-- killed), so `status` can say which statements ran. Such a migration cannot
-- commit with its bookkeeping; its rows are deleted in the transaction that
-- finally records it. Created on the first migrate; never dropped.
CREATE TABLE IF NOT EXISTS _astegni_db_progress (
    migration_id varchar(191) NOT NULL,
    direction varchar(8) NOT NULL,
    statement_no integer NOT NULL,
    statements integer NOT NULL,
    line integer NOT NULL,
    state varchar(8) NOT NULL,  -- running, done, failed
    error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, direction, statement_no)
);
COMMENT ON TABLE _astegni_db_progress IS
    'astegni-db: per-statement progress of non-transactional migrations not yet recorded';
