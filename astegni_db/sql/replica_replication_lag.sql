-- Each standby streaming from this primary, as the primary sees it: how many
-- bytes of WAL it has not yet written, flushed and replayed, and how long the
-- last of those steps took (PostgreSQL's write_lag, flush_lag, replay_lag:
-- NULL once a standby has been idle and caught up). Sampled by the lag
-- monitor during a migration. Needs pg_read_all_stats (or superuser) to see
-- the positions of another role's walsenders; NULL otherwise.
SELECT r.pid,
       coalesce(nullif(r.application_name, ''), 'walreceiver') AS application_name,
       coalesce(host(r.client_addr), 'local') AS client,
       coalesce(r.state, '?') AS state,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.write_lsn)::float8
           AS write_bytes,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.flush_lsn)::float8
           AS flush_bytes,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn)::float8
           AS replay_bytes,
       extract(epoch FROM r.write_lag)::float8 AS write_lag_s,
       extract(epoch FROM r.flush_lag)::float8 AS flush_lag_s,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag_s
FROM pg_catalog.pg_stat_replication AS r
ORDER BY application_name, client, r.pid
