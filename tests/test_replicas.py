"""Replicas: migrate on a real primary, wait for a real streaming hot standby, verify it.

One primary and one standby (pg_basebackup -R) serve the module
(tests/replica_cluster.py); every test gets fresh databases on them. The
standby is made to lag the two ways it lags in production: replay paused,
and replay blocked behind a long query (max_standby_streaming_delay = -1).
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from pathlib import Path

import psycopg
import pytest

from astegni_db import api
from astegni_db.errors import ConfigError, ExitCode
from astegni_db.output import Ui
from astegni_db.project.migration_files import load_migration_files
from astegni_db.replicas.conflicts import check_before_migrating, exclusive_locks
from astegni_db.replicas.monitor import LagMonitor
from astegni_db.replicas.report import ReplicatedMigrateReport
from astegni_db.replicas.run import migrate_then_verify_standbys
from astegni_db.replicas.standbys import (
    ReplicaEvent,
    primary_lsn,
    standby_name,
    wait_for_standbys,
)
from astegni_db.reporting import json_document
from astegni_db.settings import DatabaseTarget, parse_database_url
from tests.helpers import (
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    QUERIES,
    SPEC,
    TRACEBACK_MARKERS,
    port_of,
    run_cli,
)
from tests.replica_cluster import STANDBY_NAME, ReplicaPair, unreachable_url

# Long enough for any healthy standby on this machine; the lag tests use a short one.
CATCH_UP_S = 60.0
LAG_LIMIT_S = 1.0


def text_of(report: ReplicatedMigrateReport) -> str:
    """The report as a person reads it: stdout and stderr together."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        report.write_text(Ui(no_color=True, stdout=out))
    return out.getvalue() + err.getvalue()


def applied_on(target: DatabaseTarget, migrations: Path = MIGRATIONS_DIR) -> list[str]:
    plan = api.status(target, migrations).plan
    return [e.id for e in plan.entries if e.applied_at is not None]


def test_migrate_waits_for_the_standby_then_verify_passes_on_it(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    primary, standby = (
        replica_pair.primary_target(replica_db),
        replica_pair.standby_target(replica_db),
    )
    events: list[ReplicaEvent] = []

    report = migrate_then_verify_standbys(
        primary,
        [standby],
        CATCH_UP_S,
        lambda: api.migrate(primary, MIGRATIONS_DIR),
        lambda target: api.verify(target, SPEC, QUERIES),
        events.append,
        migrations_dir=MIGRATIONS_DIR,
    )

    assert report.exit_code == ExitCode.OK, report.replicas.problem
    assert [r.migration_id for r in report.migrate.applied] == list(PROJECT_MIGRATIONS)
    (outcome,) = report.replicas.standbys
    assert outcome.state.replayed and outcome.state.lag_bytes == 0
    assert outcome.state.name == standby_name(standby)
    # verify ran on the standby, read-only, and found the migrated schema there.
    assert outcome.verify is not None and outcome.verify.ok
    assert outcome.verify.count("ok") > 0
    # The lag monitor saw the standby's walsender, before and after the migration.
    assert outcome.state.walreceiver_name == STANDBY_NAME
    assert outcome.lag is not None and outcome.lag.samples >= 2
    assert outcome.lag.replay_bytes is not None
    assert report.replicas.lag_note is None
    assert [e.kind for e in events] == ["waiting", "replayed", "verified"]
    text = text_of(report)
    assert f"standby {outcome.state.name}: replayed the migration after" in text
    assert "replication lag: not yet replayed at most" in text
    assert "verify: schema matches the spec" in text
    assert "1 of 1 standby(s) replayed the migration and passed verify." in text
    assert report.summary_line().endswith("; standbys: 1/1 replayed and verified")
    document = json_document(report)
    assert document["exit_code"] == 0
    (standby_json,) = document["replicas"]["standbys"]
    assert standby_json["replayed"] is True
    assert standby_json["verify"]["summary"]["error"] == 0
    assert standby_json["replication_lag"]["application_name"] == STANDBY_NAME
    assert document["replicas"]["primary_lsn"] == report.replicas.lsn


def test_verify_through_the_cli_runs_on_a_hot_standby(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    api.migrate(replica_pair.primary_target(replica_db), MIGRATIONS_DIR)
    lsn = primary_lsn(replica_pair.primary_target(replica_db))
    (state,) = wait_for_standbys([replica_pair.standby_target(replica_db)], lsn, CATCH_UP_S)
    assert state.replayed, state.describe(lsn, CATCH_UP_S)

    done = run_cli(
        "verify", "--database-url", replica_pair.standby.url_for(replica_db), "--format", "text"
    )

    assert done.code == 0, done.output
    assert "schema matches the spec" in done.stdout


def test_a_standby_that_lags_past_the_limit_exits_8_and_the_primary_keeps_its_migrations(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    primary, standby = (
        replica_pair.primary_target(replica_db),
        replica_pair.standby_target(replica_db),
    )
    replica_pair.pause_replay()

    report = migrate_then_verify_standbys(
        primary,
        [standby],
        LAG_LIMIT_S,
        lambda: api.migrate(primary, MIGRATIONS_DIR),
        lambda target: api.verify(target, SPEC, QUERIES),
    )

    assert report.exit_code == ExitCode.STANDBY_LAG
    (outcome,) = report.replicas.standbys
    state = outcome.state
    assert not state.replayed and state.error is None
    assert state.lag_bytes is not None and state.lag_bytes > 0
    assert state.received is True and state.replay_paused is True
    assert state.waited_s >= LAG_LIMIT_S
    assert outcome.verify is None  # the standby still has the old schema: not verified
    # The lag monitor saw it fall behind.
    assert outcome.lag is not None
    assert outcome.lag.replay_bytes is not None and outcome.lag.replay_bytes > 0
    problem = report.problem
    assert problem is not None and "\n" not in problem
    assert problem.startswith(f"standby {state.name} did not replay {report.replicas.lsn}")
    assert f"within {LAG_LIMIT_S:g} s" in problem
    assert "replay is paused" in problem
    # Nothing on the primary was undone: every migration stays applied there...
    assert applied_on(primary) == list(PROJECT_MIGRATIONS)
    # ...and reaches the standby once replay goes on.
    replica_pair.resume_replay()
    lsn = report.replicas.lsn
    assert lsn is not None
    (caught_up,) = wait_for_standbys([standby], lsn, CATCH_UP_S)
    assert caught_up.replayed
    assert api.verify(standby, SPEC, QUERIES).ok


def test_an_unreachable_standby_exits_7_while_the_reachable_one_is_verified(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    primary = replica_pair.primary_target(replica_db)
    gone = parse_database_url(unreachable_url(replica_db), "STANDBY2_URL")

    report = migrate_then_verify_standbys(
        primary,
        [replica_pair.standby_target(replica_db), gone],
        2.0,
        lambda: api.migrate(primary, MIGRATIONS_DIR),
        lambda target: api.verify(target, SPEC, QUERIES),
    )

    assert report.exit_code == ExitCode.UNREACHABLE
    reachable, unreachable = report.replicas.standbys
    assert reachable.exit_code == ExitCode.OK and reachable.verify is not None
    assert unreachable.state.error_code == ExitCode.UNREACHABLE
    problem = report.problem
    assert problem is not None and "\n" not in problem
    assert problem.startswith(f"standby {standby_name(gone)}: cannot connect to")
    assert "(STANDBY2_URL)" in problem and "nopassword" not in problem
    for marker in TRACEBACK_MARKERS:
        assert marker not in problem


def test_the_primary_and_a_standby_named_the_wrong_way_round_are_refused(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    primary, standby = (
        replica_pair.primary_target(replica_db),
        replica_pair.standby_target(replica_db),
    )

    (state,) = wait_for_standbys([primary], primary_lsn(primary), CATCH_UP_S)

    assert state.exit_code == ExitCode.USAGE
    assert state.error is not None and "is not a standby" in state.error
    with pytest.raises(ConfigError, match="given as the primary is itself a standby"):
        primary_lsn(standby)


def test_a_role_without_pg_logical_emit_message_still_gets_a_position_standbys_reach(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    with psycopg.connect(replica_pair.primary.url_for(replica_db), autocommit=True) as conn:
        conn.execute("CREATE ROLE replica_app LOGIN PASSWORD 'app-secret'")
        conn.execute(
            "REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC"
        )
    app = parse_database_url(
        f"postgresql://replica_app:app-secret@127.0.0.1:{port_of(replica_pair.primary.url)}/{replica_db}",
        "DATABASE_URL",
    )
    try:
        api.migrate(replica_pair.primary_target(replica_db), MIGRATIONS_DIR)
        lsn = primary_lsn(app)
        (state,) = wait_for_standbys([replica_pair.standby_target(replica_db)], lsn, CATCH_UP_S)
        assert state.replayed, state.describe(lsn, CATCH_UP_S)
        with psycopg.connect(replica_pair.primary.url_for(replica_db)) as conn:
            row = conn.execute("SELECT %s::pg_lsn <= pg_current_wal_insert_lsn()", (lsn,))
            assert row.fetchone() == (True,)
    finally:
        with psycopg.connect(replica_pair.primary.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {replica_db} WITH (FORCE)")
            conn.execute("DROP ROLE replica_app")


def test_a_long_query_on_the_standby_is_warned_about_and_holds_replay_back(
    replica_pair: ReplicaPair, replica_db: str, tmp_path: Path
) -> None:
    primary, standby = (
        replica_pair.primary_target(replica_db),
        replica_pair.standby_target(replica_db),
    )
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_tickets.sql").write_text("CREATE TABLE tickets (id bigint PRIMARY KEY);\n")
    api.migrate(primary, migrations)
    (migrations / "0002_ticket_notes.sql").write_text(
        "ALTER TABLE tickets ADD COLUMN note text;\n"
        "CREATE TABLE ticket_tags (ticket_id bigint, tag text);\n"
        "ALTER TABLE ticket_tags ADD PRIMARY KEY (ticket_id, tag);\n"
    )
    (state,) = wait_for_standbys([standby], primary_lsn(primary), CATCH_UP_S)
    assert state.replayed

    with long_query_on(standby, "SELECT count(*) FROM tickets, pg_sleep(600)") as pid:
        # PostgreSQL's default delay: the standby would cancel the query.
        finite = check_before_migrating(primary, [standby], migrations, older_than_s=0)
        (warning,) = finite.warnings
        assert (warning.pid, warning.application_name) == (pid, "nightly-report")
        assert warning.relations == ("tickets",)  # ticket_tags is new: nobody reads it yet
        assert warning.migrations == ("0002_ticket_notes",)
        assert warning.streaming_delay == "30s"
        assert "cancels it if replay has waited 30s" in warning.message()
        assert "pg_sleep" not in warning.message()  # never the query's text

        replica_pair.set_standby("max_standby_streaming_delay", "-1")
        try:
            events: list[ReplicaEvent] = []
            report = migrate_then_verify_standbys(
                primary,
                [standby],
                LAG_LIMIT_S,
                lambda: api.migrate(primary, migrations),
                lambda target: api.verify(target, SPEC, None),
                events.append,
                migrations_dir=migrations,
                conflict_age_s=0,
            )
        finally:
            replica_pair.set_standby("max_standby_streaming_delay", "30s")

        (warning,) = report.replicas.conflicts.warnings
        assert warning.pid == pid and warning.streaming_delay_ms == -1
        message = warning.message()
        assert message.startswith(f"standby {standby_name(standby)}: pid {pid} (nightly-report")
        assert "replay waits until it ends" in message
        assert events[0] == ReplicaEvent("conflict", standby_name(standby), message)
        # What the warning said would happen did: replay waited behind the query.
        assert report.exit_code == ExitCode.STANDBY_LAG
        (outcome,) = report.replicas.standbys
        assert outcome.state.received is True and outcome.state.replay_paused is False
        assert outcome.lag is not None
        assert outcome.lag.replay_bytes is not None and outcome.lag.replay_bytes > 0
        assert "standby conflict: " + message in text_of(report)
        assert report.problem is not None
        assert report.problem.endswith(
            f"; replay was foreseen to wait behind pid {pid} (nightly-report) holding tickets"
        )
        assert applied_on(primary, migrations) == ["0001_tickets", "0002_ticket_notes"]
    # The query has been cancelled: replay goes on.
    assert report.replicas.lsn is not None
    (caught_up,) = wait_for_standbys([standby], report.replicas.lsn, CATCH_UP_S)
    assert caught_up.replayed


def test_only_access_exclusive_locks_on_existing_tables_are_replayed_conflicts(
    tmp_path: Path,
) -> None:
    (tmp_path / "0001_base.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n"
        "CREATE INDEX orders_total ON orders (total);\n"
    )
    (tmp_path / "0002_changes.sql").write_text(
        "-- transactional: false\n"
        "CREATE INDEX CONCURRENTLY orders_id_total ON orders (id, total);\n"
    )
    (tmp_path / "0003_more.sql").write_text(
        "CREATE TABLE refunds (id bigint);\n"
        "ALTER TABLE refunds ADD COLUMN reason text;\n"
        "DROP INDEX orders_total;\n"
        "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n"
    )
    files = load_migration_files(tmp_path)

    locks, notes = exclusive_locks(files, ["0002_changes", "0003_more"])

    # CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which is not written to the WAL;
    # refunds is created by the migration itself. DROP INDEX locks the index and
    # its table (lint's history, read from 0001, knows which table that is).
    assert {(lock.migration_id, lock.relation) for lock in locks} == {
        ("0003_more", "orders"),
        ("0003_more", "orders_total"),
    }
    assert notes == []


def test_the_lag_monitor_never_breaks_the_run_when_it_cannot_watch() -> None:
    nowhere = parse_database_url(unreachable_url("astegni"), "the primary")

    with LagMonitor(nowhere, interval_s=0.05) as monitor:
        pass

    assert monitor.results() == []
    assert monitor.note is not None and monitor.note.startswith("lag monitor stopped: ")
    assert "nopassword" not in monitor.note


class long_query_on:  # noqa: N801 - used as a context manager, like contextlib's
    """A query running on ``target`` in a thread, holding its tables' locks until cancelled;
    yields its backend pid once it holds them."""

    def __init__(self, target: DatabaseTarget, query: str) -> None:
        self.target, self.query = target, query
        self.conn = psycopg.connect(target.url, autocommit=True, application_name="nightly-report")
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.conn.execute(self.query)
        except psycopg.errors.QueryCanceled:
            pass  # how it is meant to end
        except BaseException as exc:  # shown by __exit__
            self.failure.append(exc)

    def __enter__(self) -> int:
        pid = self.conn.info.backend_pid
        self.thread.start()
        with psycopg.connect(self.target.url, autocommit=True) as watcher:
            holds = "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND relation IS NOT NULL)"
            while watcher.execute(holds, (pid,)).fetchone() != (True,):
                assert self.thread.is_alive(), self.failure
                time.sleep(0.02)
        return pid

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.target.url, autocommit=True) as other:
            other.execute("SELECT pg_cancel_backend(%s)", (self.conn.info.backend_pid,))
        self.thread.join(30)
        self.conn.close()
        assert not self.failure, self.failure
