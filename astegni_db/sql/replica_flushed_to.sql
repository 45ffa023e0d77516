-- How far the primary has flushed its WAL (a walsender sends no further), and
-- whether that is at or past the position %(lsn)s.
SELECT pg_catalog.pg_current_wal_flush_lsn()::text AS flushed,
       pg_catalog.pg_current_wal_flush_lsn() >= %(lsn)s::pg_lsn AS reached
