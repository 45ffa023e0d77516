-- Where a standby stands against a WAL position of its primary: run on the
-- standby, polled until it has replayed that position. Read-only.
-- bytes_to_receive / bytes_to_replay: how far short of the position its
-- walreceiver's last received, and its last replayed, record are (<= 0: there).
-- since_last_replay_s: how old the last transaction it replayed is, which is
-- how stale its data are while it is behind (meaningless once caught up: an
-- idle primary commits nothing for it to replay).
-- walreceiver_name: what the primary calls it in pg_stat_replication
-- (application_name in primary_conninfo, else cluster_name, else walreceiver);
-- only that name is read from the conninfo, never the rest of it.
-- Parameter: lsn (text: a pg_lsn, such as '0/3000148').
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       pg_catalog.pg_last_wal_replay_lsn()::text AS replayed_lsn,
       pg_catalog.pg_wal_lsn_diff(%(lsn)s::pg_lsn, pg_catalog.pg_last_wal_receive_lsn())
           AS bytes_to_receive,
       pg_catalog.pg_wal_lsn_diff(%(lsn)s::pg_lsn, pg_catalog.pg_last_wal_replay_lsn())
           AS bytes_to_replay,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused() END
           AS replay_paused,
       extract(epoch FROM now() - pg_catalog.pg_last_xact_replay_timestamp())::float8
           AS since_last_replay_s,
       coalesce(
           (SELECT coalesce((regexp_match(r.conninfo, '(?:^|\s)application_name=(\S+)'))[1],
                            (regexp_match(r.conninfo, 'fallback_application_name=(\S+)'))[1])
              FROM pg_catalog.pg_stat_wal_receiver AS r),
           nullif(current_setting('cluster_name'), ''),
           'walreceiver') AS walreceiver_name
