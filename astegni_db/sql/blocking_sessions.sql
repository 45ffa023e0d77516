-- The sessions that block backend %(pid)s right now: who they are and for how
-- long, never their SQL text (it may hold personal data).
SELECT a.pid,
       coalesce(nullif(a.application_name, ''), '?') AS application_name,
       coalesce(a.usename::text, '?') AS usename,
       coalesce(a.state, '?') AS state,
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::numeric(12, 1) AS transaction_seconds
FROM pg_catalog.pg_stat_activity AS a
WHERE a.pid = ANY (pg_catalog.pg_blocking_pids(%(pid)s))
ORDER BY a.xact_start NULLS LAST
