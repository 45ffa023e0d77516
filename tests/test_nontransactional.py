"""`-- transactional: false` migrations at run time: the path AD104 tells every team to take.

A concurrent index build waits for every transaction already open on its
table, and that wait obeys lock_timeout. Each test here puts a real writer's
open transaction (or a kill, or a server restart) in the build's way and
checks what the issue promised, against the catalog:

- no INVALID index is left behind by a failed, timed-out or killed build;
- the migration is recorded only when its index is valid and ready, once;
- the rollback file never runs unless a rollback was asked for;
- after a failure `status` says which statements ran, and migrate converges;
- whoever blocks is named without their SQL text.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from astegni_db.disposable import Server, create_database, drop_database
from astegni_db.disposable.databases import unique_name
from tests.helpers import (
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    assert_clean_failure,
    copy_migrations,
    finish,
    run_cli,
    run_cli_process,
    server_bindir,
    start_cli,
)
from tests.reliability_helpers import applied_ids, apply_log, figure, kill, scalar, wait_for

pytestmark = pytest.mark.slow

TEST_ID = "0009_sessions_status_index"
INDEX = "tutoring_sessions_status_test_idx"
INDEX_SQL = f"""\
-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX}
    ON tutoring_sessions (status, session_date);
"""
INDEX_ROLLBACK = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX};\n"
# A value only the blocker's SQL holds: the exit-4 message must never show it.
BLOCKER_MARKER = "Abebe Bikila, +251 911 000 000"


def migrations_with(
    directory: Path, forward: str, rollback: str | None, name: str = TEST_ID
) -> Path:
    copy_migrations(directory)
    (directory / f"{name}.sql").write_text(forward)
    if rollback is not None:
        (directory / f"{name}.rollback.sql").write_text(rollback)
    return directory


def index_state(url: str, name: str = INDEX) -> str:
    """'valid', 'INVALID', 'not ready' or 'absent', as the catalog says."""
    state = scalar(
        url,
        "SELECT CASE WHEN NOT i.indisvalid THEN 'INVALID' WHEN NOT i.indisready"
        " THEN 'not ready' ELSE 'valid' END"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
        (name,),
    )
    return str(state or "absent")


def progress_rows(url: str) -> list[tuple[str, int, str]]:
    if scalar(url, "SELECT to_regclass('_astegni_db_progress')") is None:
        return []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT migration_id, statement_no, state FROM _astegni_db_progress ORDER BY 1, 2"
        ).fetchall()
    return [(r[0], int(r[1]), r[2]) for r in rows]


def build_waiting(url: str, verb: str = "CREATE INDEX", longer_than_s: float = 0) -> int | None:
    """pid of an astegni-db backend running ``verb``... and waiting for a lock
    (for longer than ``longer_than_s``)."""
    pid = scalar(
        url,
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'astegni-db%%'"
        " AND datname = current_database() AND wait_event_type = 'Lock'"
        " AND query ILIKE %s AND clock_timestamp() - query_start > make_interval(secs => %s)"
        " LIMIT 1",
        (f"%{verb}%", longer_than_s),
    )
    return int(pid) if pid is not None else None


@contextmanager
def open_writer(url: str) -> Iterator[psycopg.Connection[Any]]:
    """An application session in the middle of a write transaction on tutoring_sessions.

    Its last statement holds a value that must never be printed. Rolled back
    on exit unless the test ended it first.
    """
    conn = psycopg.connect(url, application_name="astegni-app")
    try:
        conn.execute(
            "UPDATE tutoring_sessions SET topic = topic WHERE topic = %s",
            (BLOCKER_MARKER,),
        )
        yield conn
    finally:
        with suppress(psycopg.Error):  # the server may have gone away under it
            conn.rollback()
        conn.close()


def migrate(url: str, migrations: Path, *extra: str) -> Any:
    return run_cli("migrate", "--database-url", url, "--migrations-dir", str(migrations), *extra)


def roll_back_newest(url: str, migrations: Path) -> Any:
    return run_cli("rollback", "--yes", "--database-url", url, "--migrations-dir", str(migrations))


def assert_recorded_once(url: str) -> None:
    assert applied_ids(url) == [*PROJECT_MIGRATIONS, TEST_ID]
    assert apply_log(url).count((TEST_ID, "apply")) == 1


# -- a writer's open transaction in the build's way -------------------------------------------


def test_a_blocker_shorter_than_the_retries_is_waited_out(
    migrated_db_url: str, tmp_path: Path
) -> None:
    url = migrated_db_url
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    with open_writer(url) as writer:
        # The writer commits while migrate is between attempts.
        released = threading.Timer(0.8, writer.rollback)
        released.start()
        try:
            res = migrate(url, migrations, "--ddl-lock-timeout", "100", "--ddl-retries", "8")
        finally:
            released.join()
    assert res.code == 0, res.output
    assert "lock not granted within 100 ms; retrying" in res.output, res.output
    assert index_state(url) == "valid"
    assert_recorded_once(url)
    assert progress_rows(url) == []  # the journal is cleared with the record


def test_a_blocker_longer_than_the_retries_exits_4_with_no_invalid_index(
    migrated_db_url: str, tmp_path: Path
) -> None:
    url = migrated_db_url
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    with open_writer(url) as writer:
        writer_pid = writer.info.backend_pid
        proc = start_cli(
            "migrate",
            "--database-url",
            url,
            "--migrations-dir",
            str(migrations),
            "--ddl-lock-timeout",
            "100",
            "--ddl-retries",
            "2",
            "--lock-timeout",
            "30",
        )
        # Every attempt has timed out; the INVALID index the last one left is
        # being dropped, concurrently, which waits for the writer too: longer
        # than a retry's drop may (100 ms). The writer commits then, as an
        # application's transaction would.
        dropping = wait_for(lambda: build_waiting(url, "DROP INDEX", 1.0), 60, "the cleanup")
        assert dropping
        writer.rollback()
        res = finish(proc)
    assert_clean_failure(res, (4,))
    error = next(line for line in res.stderr.splitlines() if line.startswith("error: "))
    figure("blocked_message", error)
    assert "gave up after 3 attempts" in error, error
    assert f"blocked by pid {writer_pid} (astegni-app" in error, error
    assert BLOCKER_MARKER not in res.output and "UPDATE" not in error
    assert index_state(url) == "absent"
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    assert progress_rows(url) == [(TEST_ID, 1, "failed")]

    status = run_cli("status", "--database-url", url, "--migrations-dir", str(migrations))
    assert f"{TEST_ID}" in status.stdout and "1 (line 2) failed" in status.stdout, status.output

    again = migrate(url, migrations)
    assert again.code == 0, again.output
    assert index_state(url) == "valid"
    assert_recorded_once(url)
    assert progress_rows(url) == []


def test_an_invalid_index_that_cannot_be_dropped_yet_is_named_and_dropped_next_run(
    migrated_db_url: str, tmp_path: Path
) -> None:
    """The writer outlasts even the cleanup's wait: nothing is recorded, the INVALID
    index is named with the command that drops it, and the next run rebuilds it."""
    url = migrated_db_url
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    with open_writer(url):
        res = migrate(
            url,
            migrations,
            "--ddl-lock-timeout",
            "100",
            "--ddl-retries",
            "1",
            "--lock-timeout",
            "0.3",
        )
        assert_clean_failure(res, (4,))
        assert f"the INVALID index public.{INDEX} it left could not be dropped" in res.stderr
        assert f"DROP INDEX CONCURRENTLY public.{INDEX}" in res.stderr
        assert index_state(url) == "INVALID"
        assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    again = migrate(url, migrations)
    assert again.code == 0, again.output
    assert index_state(url) == "valid"
    assert_recorded_once(url)


# -- the run itself goes away ----------------------------------------------------------------


def test_kill_9_during_the_build_then_a_clean_rerun(migrated_db_url: str, tmp_path: Path) -> None:
    url = migrated_db_url
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    with open_writer(url) as writer:
        proc = start_cli(
            "migrate", "--database-url", url, "--migrations-dir", str(migrations),
            "--ddl-lock-timeout", "60000",
        )  # fmt: skip
        backend = wait_for(lambda: build_waiting(url), 60, "the build to wait")
        kill(proc)
        # The server notices its client is gone (client_connection_check_interval).
        wait_for(
            lambda: (
                not scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,))
            ),
            30,
            "the killed run's backend to end",
        )
        writer.rollback()
    # What the server leaves after a killed concurrent build: the proof this test needs.
    assert index_state(url) == "INVALID"
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    assert progress_rows(url) == [(TEST_ID, 1, "running")]
    status = run_cli("status", "--database-url", url, "--migrations-dir", str(migrations))
    assert "did not finish (interrupted)" in status.stdout, status.output

    again = migrate(url, migrations)
    assert again.code == 0, again.output
    assert index_state(url) == "valid"
    assert_recorded_once(url)
    assert progress_rows(url) == []


@pytest.fixture
def own_server() -> Iterator[tuple[Server, Any]]:
    """A cluster this test may stop and start again."""
    from astegni_db.disposable import local

    with local.temporary_cluster(server_bindir()) as server:
        assert server.resource is not None
        yield server, local.LocalCluster(Path(server.resource), server_bindir())


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_the_server_restarted_during_the_build(
    own_server: tuple[Server, Any], mode: str, tmp_path: Path
) -> None:
    server, cluster = own_server
    name = unique_name("restart")
    create_database(server, name)
    url = server.url_for(name)
    try:
        assert migrate(url, MIGRATIONS_DIR).code == 0
        migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
        with open_writer(url):
            proc = start_cli(
                "migrate", "--database-url", url, "--migrations-dir", str(migrations),
                "--ddl-lock-timeout", "60000",
            )  # fmt: skip
            wait_for(lambda: build_waiting(url), 60, "the build to wait")
            cluster.stop(mode=mode)
            res = finish(proc, timeout=60)
        assert_clean_failure(res, (7,))
        cluster.start(urlsplit(server.url).port)
        # A fast shutdown cancels the build (INVALID left); an immediate one
        # crashes it, and recovery keeps the catalog row the build committed.
        assert index_state(url) in {"INVALID", "absent"}
        assert applied_ids(url) == list(PROJECT_MIGRATIONS)
        again = migrate(url, migrations)
        assert again.code == 0, again.output
        assert index_state(url) == "valid"
        assert_recorded_once(url)
    finally:
        if not cluster.is_running():
            cluster.start(urlsplit(server.url).port)
        drop_database(server, name)


def test_two_runs_at_once_build_and_record_the_index_once(
    migrated_db_url: str, tmp_path: Path
) -> None:
    url = migrated_db_url
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    args = ["migrate", "--database-url", url, "--migrations-dir", str(migrations)]
    with open_writer(url) as writer:
        first = start_cli(*args, "--ddl-lock-timeout", "60000", "--lock-timeout", "60")
        wait_for(lambda: build_waiting(url), 60, "the first run's build to wait")
        second = start_cli(*args, "--ddl-lock-timeout", "60000", "--lock-timeout", "60")
        # The second waits for the migration lock, politely: polling, so it holds
        # no snapshot the first run's concurrent build would wait for in turn.
        wait_for(
            lambda: scalar(
                url,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'astegni-db%%'"
                " AND query LIKE 'SELECT pg_try_advisory_lock%%' AND datname = current_database()",
            ),
            60,
            "the second run to wait for the migration lock",
        )
        writer.rollback()
        results = [finish(first), finish(second)]
    assert [r.code for r in results] == [0, 0], [r.output for r in results]
    assert index_state(url) == "valid"
    assert_recorded_once(url)
    assert "Nothing to apply" in results[1].output or "0 applied" in results[1].output, results[
        1
    ].output


# -- a statement fails after earlier ones ran --------------------------------------------------

NOTES = """\
-- transactional: false
CREATE TABLE IF NOT EXISTS session_notes (id integer PRIMARY KEY, body text);
INSERT INTO session_notes VALUES (1, 'a'), (2, 'b'), (3, 'c') ON CONFLICT DO NOTHING;
CREATE INDEX CONCURRENTLY IF NOT EXISTS session_notes_body_idx ON session_notes ({column});
"""
NOTES_ROLLBACK = "DROP TABLE IF EXISTS session_notes;\n"


def test_a_failing_statement_keeps_what_ran_runs_no_rollback_and_converges(
    migrated_db_url: str, tmp_path: Path
) -> None:
    url = migrated_db_url
    migrations = migrations_with(
        tmp_path / "m", NOTES.format(column="no_such_column"), NOTES_ROLLBACK, "0009_session_notes"
    )
    res = migrate(url, migrations)
    assert_clean_failure(res, (1,))
    assert "statement 3 of 3 (line 4) failed" in res.stderr, res.stderr
    assert "statements before it stay applied and nothing was rolled back" in res.stderr
    # The rollback file (DROP TABLE) never ran: the rows are there.
    assert scalar(url, "SELECT count(*) FROM session_notes") == 3
    assert index_state(url, "session_notes_body_idx") == "absent"
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    assert progress_rows(url) == [
        ("0009_session_notes", 1, "done"),
        ("0009_session_notes", 2, "done"),
        ("0009_session_notes", 3, "failed"),
    ]

    status = run_cli("status", "--database-url", url, "--migrations-dir", str(migrations))
    assert "statement(s) 1-2 of 3 ran; 3 (line 4) failed" in status.stdout, status.output
    as_json = run_cli(
        "status", "--format", "json", "--database-url", url, "--migrations-dir", str(migrations)
    )
    entry = next(
        e for e in json.loads(as_json.stdout)["migrations"] if e["id"] == "0009_session_notes"
    )
    assert [(p["statement"], p["state"]) for p in entry["progress"]] == [
        (1, "done"),
        (2, "done"),
        (3, "failed"),
    ], entry

    # Fixed and run again: every statement re-runs, harmlessly, and it converges.
    (migrations / "0009_session_notes.sql").write_text(NOTES.format(column="body"))
    again = migrate(url, migrations)
    assert again.code == 0, again.output
    assert scalar(url, "SELECT count(*) FROM session_notes") == 3
    assert index_state(url, "session_notes_body_idx") == "valid"
    assert applied_ids(url) == [*PROJECT_MIGRATIONS, "0009_session_notes"]
    assert progress_rows(url) == []

    # The rollback file runs when, and only when, a rollback is asked for.
    back = roll_back_newest(url, migrations)
    assert back.code == 0, back.output
    assert scalar(url, "SELECT to_regclass('session_notes')") is None
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)


# -- Python migrations ------------------------------------------------------------------------

PY_NONTRANSACTIONAL = """\
from yoyo import step

__transactional__ = False

steps = [step("CREATE INDEX CONCURRENTLY IF NOT EXISTS py_idx ON tutoring_sessions (amount)")]
"""

PY_TRANSACTIONAL = """\
from yoyo import step

steps = [
    step("CREATE TABLE session_tags (id integer PRIMARY KEY, tag text)",
         "DROP TABLE session_tags"),
    step("INSERT INTO session_tags VALUES (1, 'exam'), (2, 'homework')",
         "DELETE FROM session_tags"),
    step("{last}", "SELECT 1"),
]
"""


def test_a_nontransactional_python_migration_is_refused_before_anything_runs(
    migrated_db_url: str, tmp_path: Path
) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_py_index.py").write_text(PY_NONTRANSACTIONAL)
    res = migrate(migrated_db_url, migrations)
    assert_clean_failure(res, (2,))
    assert "non-transactional Python migrations (__transactional__ = False) are not supported" in (
        res.stderr
    )
    assert index_state(migrated_db_url, "py_idx") == "absent"
    assert applied_ids(migrated_db_url) == list(PROJECT_MIGRATIONS)


def test_a_transactional_python_migration_is_atomic_and_rolls_back(
    migrated_db_url: str, tmp_path: Path
) -> None:
    url = migrated_db_url
    migrations = copy_migrations(tmp_path / "m")
    path = migrations / "0009_session_tags.py"
    path.write_text(PY_TRANSACTIONAL.format(last="SELECT no_such_column FROM session_tags"))
    res = migrate(url, migrations)
    assert_clean_failure(res, (1,))
    # One transaction: the table its first steps made is gone with the failure.
    assert scalar(url, "SELECT to_regclass('session_tags')") is None
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    assert progress_rows(url) == []

    path.write_text(PY_TRANSACTIONAL.format(last="SELECT 1"))
    assert migrate(url, migrations).code == 0
    assert scalar(url, "SELECT count(*) FROM session_tags") == 2
    back = roll_back_newest(url, migrations)
    assert back.code == 0, back.output
    assert scalar(url, "SELECT to_regclass('session_tags')") is None
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)


# -- who blocked, when the watcher cannot look -------------------------------------------------


def test_a_watcher_that_cannot_connect_says_so(migrated_db_url: str, tmp_path: Path) -> None:
    """At the role's connection limit the lock watcher's own connection is refused:
    the exit-4 message says who blocked could not be looked up, not that the
    blocker had ended."""
    url = migrated_db_url
    role = unique_name("limited")
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'limited-pw' CONNECTION LIMIT 1")
        admin.execute(f"GRANT ALL ON DATABASE {parts.path[1:]} TO {role}")
        admin.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        admin.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        admin.execute(f"ALTER TABLE tutoring_sessions OWNER TO {role}")
    limited = parts._replace(netloc=f"{role}:limited-pw@{parts.hostname}:{parts.port}").geturl()
    migrations = migrations_with(tmp_path / "m", INDEX_SQL, INDEX_ROLLBACK)
    try:
        with open_writer(url):
            res = run_cli_process(
                "migrate", "--database-url", limited, "--migrations-dir", str(migrations),
                "--ddl-lock-timeout", "100", "--ddl-retries", "0", "--lock-timeout", "0.2",
            )  # fmt: skip
        assert_clean_failure(res, (4,), secrets=["limited-pw"])
        assert "who blocked could not be looked up" in res.stderr, res.stderr
        assert "had ended" not in res.stderr
        assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"ALTER TABLE tutoring_sessions OWNER TO {parts.username}")
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_a_python_migration_with_a_step_lacking_rollback_is_not_half_rolled_back(
    migrated_db_url: str, tmp_path: Path
) -> None:
    """yoyo skips a step without a rollback and reports success: refused instead."""
    url = migrated_db_url
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_session_tags.py").write_text(
        PY_TRANSACTIONAL.replace('step("{last}", "SELECT 1")', 'step("SELECT 1")')
    )
    assert migrate(url, migrations).code == 0
    back = roll_back_newest(url, migrations)
    assert_clean_failure(back, (1,))
    assert "no rollback for 0009_session_tags" in back.stderr
    assert scalar(url, "SELECT count(*) FROM session_tags") == 2
    assert applied_ids(url) == [*PROJECT_MIGRATIONS, "0009_session_tags"]


# -- every wait is bounded ---------------------------------------------------------------------


@pytest.mark.parametrize("table", ["_yoyo_migration", "_astegni_db_checksum"])
def test_migrates_bookkeeping_waits_are_bounded(migrated_db_url: str, table: str) -> None:
    """Reading and preparing the bookkeeping used to run with lock_timeout 0 (wait
    forever): a session holding a lock on one of those tables hung every migrate."""
    url = migrated_db_url
    with psycopg.connect(url, application_name="reporting-job") as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        res = run_cli_process(
            "migrate", "--database-url", url, "--migrations-dir", str(MIGRATIONS_DIR),
            "--lock-timeout", "1", timeout=60,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        holder.rollback()
    assert_clean_failure(res, (4,))
    assert "(reporting-job, user postgres, idle in transaction" in res.stderr, res.stderr
    assert f"holds ACCESS EXCLUSIVE on {table}" in res.stderr, res.stderr
    figure(f"bookkeeping_wait_{table}", f"exit 4 after {elapsed:.1f}s: {res.stderr.strip()}")
    # --lock-timeout 1 s, raised to the 2 s floor bookkeeping gets; plus start-up.
    assert elapsed < 15, elapsed
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
