"""Hot standbys after a migration: PostgreSQL's own streaming replication does the work.

Nothing here copies data. After ``migrate`` on a primary, astegni-db reads
the primary's WAL position (:func:`standbys.primary_lsn`), waits, with a time
limit, until each named standby has replayed it
(:func:`standbys.wait_for_standbys`), then runs ``verify`` on each standby,
which is read-only and so runs on a hot standby. During the migration a
background thread samples ``pg_stat_replication`` on the primary
(:class:`monitor.LagMonitor`); before it, each standby is asked about the
queries that replaying the migrations' ACCESS EXCLUSIVE locks would meet
(:func:`conflicts.standby_conflicts`). :func:`run.migrate_then_verify_standbys`
does all of it; docs/replicas.md says what each figure means.

The modules import psycopg and pglast only inside the functions that use them.
"""
