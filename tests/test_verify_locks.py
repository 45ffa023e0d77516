"""verify, status and inspect never wait forever behind another session's table lock.

A long ALTER TABLE, or a `LOCK TABLE` left in an open transaction, holds ACCESS
EXCLUSIVE: every read of that table queues behind it. So do verify's data
check and its PREPAREs, status's read of yoyo's table, and even the catalog
read of verify and inspect (pg_get_constraintdef opens a table with a CHECK).
Each waits at most the run's lock timeout, then fails with exit 4 naming the
table and who holds it (pid, application, user, state, for how long), never
the holder's SQL text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from astegni_db import settings
from astegni_db.errors import ExitCode, LockNotAcquired
from astegni_db.settings import DatabaseTarget, parse_database_url
from astegni_db.verify.inspect import inspect
from astegni_db.verify.run import data_warnings, verify
from tests.helpers import QUERIES, SPEC, assert_clean_failure, run_cli

# In the blocker's last statement, so in pg_stat_activity.query: must never be printed.
PERSONAL = "Abebe Bikila, +251 911 000 000"
HOLDER_APP = "reporting-job"


class Holder:
    """A session holding a table lock in an open transaction, as a person's psql would."""

    def __init__(self, url: str, statement: str) -> None:
        self.conn = psycopg.connect(url, application_name=HOLDER_APP)
        self.conn.execute(statement)  # type: ignore[arg-type]  # the tests' own SQL
        self.conn.execute("SELECT %s::text", (PERSONAL,))
        self.pid = self.conn.info.backend_pid
        self.user = self.conn.info.user

    def close(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


@pytest.fixture
def target(migrated_db_url: str) -> DatabaseTarget:
    return parse_database_url(migrated_db_url, "test")


@pytest.fixture
def hold(migrated_db_url: str) -> Iterator[object]:
    holders: list[Holder] = []

    def start(statement: str) -> Holder:
        holders.append(Holder(migrated_db_url, statement))
        return holders[-1]

    yield start
    for holder in holders:
        holder.close()


def assert_names_the_holder(message: str, holder: Holder, table: str) -> None:
    assert "\n" not in message
    assert f"pid {holder.pid} ({HOLDER_APP}, user {holder.user}, idle in transaction," in message
    assert "transaction open" in message
    assert f"holds ACCESS EXCLUSIVE on {table}" in message
    assert PERSONAL not in message and "LOCK TABLE" not in message


def gives_up(run: object, *, within: float) -> LockNotAcquired:
    assert callable(run)
    started = time.monotonic()
    with pytest.raises(LockNotAcquired) as raised:
        run()
    elapsed = time.monotonic() - started
    assert elapsed < within, f"waited {elapsed:.1f}s"
    assert raised.value.exit_code == ExitCode.LOCK_TIMEOUT
    return raised.value


def test_verify_data_check_behind_an_exclusive_lock_gives_up_naming_table_and_holder(
    target: DatabaseTarget, hold: object
) -> None:
    assert callable(hold)
    holder = hold("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")

    error = gives_up(lambda: verify(target, SPEC, QUERIES, lock_timeout_s=1), within=15)

    assert error.message.startswith("could not read table tutoring_sessions (data check): ")
    assert "lock_timeout 1s" in error.message
    assert_names_the_holder(error.message, holder, "tutoring_sessions")


def test_verify_prepare_behind_an_exclusive_lock_gives_up_naming_query_and_holder(
    target: DatabaseTarget, hold: object, tmp_path: Path
) -> None:
    """A spec without the locked table: only the application's query meets the lock."""
    assert callable(hold)
    spec = tmp_path / "schema.toml"
    spec.write_text("format = 1\n\n[tables.tutoring_sessions]\npartial = true\n")
    holder = hold("LOCK TABLE tutor_teaching_schedules IN ACCESS EXCLUSIVE MODE")

    error = gives_up(lambda: verify(target, spec, QUERIES, lock_timeout_s=1), within=15)

    assert error.message.startswith("could not prepare query tutor_teaching_schedules.sql: ")
    assert_names_the_holder(error.message, holder, "tutor_teaching_schedules")


def test_verify_behind_an_alter_that_waits_names_it_and_whom_it_waits_for(
    migrated_db_url: str, target: DatabaseTarget, hold: object
) -> None:
    """A long read holds the table; an ALTER TABLE queues for ACCESS EXCLUSIVE; every
    later read queues behind the ALTER. verify names the ALTER and the long reader."""
    assert callable(hold)
    reader = hold("SELECT count(*) FROM tutoring_sessions")
    alter = psycopg.connect(migrated_db_url, application_name="deploy")
    altering = threading.Thread(
        target=lambda: alter.execute("ALTER TABLE tutoring_sessions ADD COLUMN note text"),
        daemon=True,
    )
    altering.start()
    try:
        deadline = time.monotonic() + 10
        while not _waiting(migrated_db_url, alter.info.backend_pid):
            assert time.monotonic() < deadline, "the ALTER never queued"
            time.sleep(0.05)

        error = gives_up(lambda: verify(target, SPEC, None, lock_timeout_s=1), within=15)

        assert f"pid {alter.info.backend_pid} (deploy, " in error.message
        assert (
            f"is queued for ACCESS EXCLUSIVE on tutoring_sessions behind pid {reader.pid}"
            in error.message
        )
        assert "ADD COLUMN" not in error.message
    finally:
        reader.close()
        altering.join(timeout=30)
        alter.rollback()
        alter.close()


def _waiting(url: str, pid: int) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()
    return bool(row and row[0])


def test_lock_timeout_zero_means_do_not_wait_not_wait_forever(
    target: DatabaseTarget, hold: object
) -> None:
    assert callable(hold)
    hold("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")

    error = gives_up(lambda: verify(target, SPEC, None, lock_timeout_s=0), within=5)
    assert "lock_timeout 1ms" in error.message


def test_verify_cli_exits_4_with_one_line_when_the_default_timeout_runs_out(
    migrated_db_url: str, hold: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert callable(hold)
    holder = hold("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")
    monkeypatch.setattr(settings, "DEFAULT_LOCK_TIMEOUT_S", 1.0)

    res = run_cli("verify", "--database-url", migrated_db_url, "--format", "text")

    assert_clean_failure(res, [ExitCode.LOCK_TIMEOUT])
    error_line = next(line for line in res.stderr.splitlines() if line.startswith("error: "))
    assert "could not read table tutoring_sessions" in error_line
    assert_names_the_holder(error_line, holder, "tutoring_sessions")
    assert PERSONAL not in res.output


def test_status_behind_a_lock_on_yoyos_table_exits_4_naming_it(
    migrated_db_url: str, hold: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert callable(hold)
    holder = hold("LOCK TABLE _yoyo_migration IN ACCESS EXCLUSIVE MODE")
    monkeypatch.setattr(settings, "DEFAULT_LOCK_TIMEOUT_S", 1.0)

    started = time.monotonic()
    res = run_cli("status", "--database-url", migrated_db_url)

    assert time.monotonic() - started < 15
    assert_clean_failure(res, [ExitCode.LOCK_TIMEOUT])
    error_line = next(line for line in res.stderr.splitlines() if line.startswith("error: "))
    assert_names_the_holder(error_line, holder, "_yoyo_migration")
    assert PERSONAL not in res.output


@pytest.mark.parametrize("command", ["verify", "inspect"])
def test_the_catalog_read_behind_a_lock_on_a_table_with_checks_gives_up(
    migrated_db_url: str, hold: object, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """pg_get_constraintdef opens the table: a CHECK makes even a catalog read wait."""
    assert callable(hold)
    holder = hold("LOCK TABLE tutor_teaching_schedules IN ACCESS EXCLUSIVE MODE")
    monkeypatch.setattr(settings, "DEFAULT_LOCK_TIMEOUT_S", 1.0)

    res = run_cli(command, "--database-url", migrated_db_url)

    assert_clean_failure(res, [ExitCode.LOCK_TIMEOUT])
    error_line = next(line for line in res.stderr.splitlines() if line.startswith("error: "))
    assert "could not read the definitions of the spec's tables" in error_line
    assert_names_the_holder(error_line, holder, "tutor_teaching_schedules")


def test_inspect_is_not_held_up_by_a_lock_on_a_table_without_checks(
    target: DatabaseTarget, hold: object
) -> None:
    assert callable(hold)
    hold("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")

    started = time.monotonic()
    report = inspect(target, SPEC, lock_timeout_s=10)

    assert time.monotonic() - started < 10
    assert "[tables.tutoring_sessions]" in report.toml


def test_migrates_data_check_behind_a_lock_is_a_warning_not_a_failure(
    target: DatabaseTarget, hold: object
) -> None:
    """It runs after the migrations committed: their success stands."""
    assert callable(hold)
    hold("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")

    [warning] = data_warnings(target, SPEC, lock_timeout_s=1)

    assert warning.startswith("values not checked: could not read table tutoring_sessions")
    assert PERSONAL not in warning
