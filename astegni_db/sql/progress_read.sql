-- The journal of non-transactional migrations that did not finish, for status.
SELECT migration_id, direction, statement_no, statements, line, state, error, updated_at
  FROM _astegni_db_progress
 ORDER BY migration_id, direction, statement_no;
