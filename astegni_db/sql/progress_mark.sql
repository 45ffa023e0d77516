-- One statement of a non-transactional migration is running, done or failed.
INSERT INTO _astegni_db_progress AS p
       (migration_id, direction, statement_no, statements, line, state, error)
VALUES (%(migration_id)s, %(direction)s, %(statement_no)s, %(statements)s, %(line)s,
        %(state)s, %(error)s)
ON CONFLICT (migration_id, direction, statement_no) DO UPDATE
   SET statements = excluded.statements, line = excluded.line, state = excluded.state,
       error = excluded.error, updated_at = now();
