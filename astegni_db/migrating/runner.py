"""Applying and rolling back one migration at a time, safely on a busy table.

Three things yoyo does not do, done here:
- the DDL, yoyo's bookkeeping rows and our checksum commit in ONE transaction,
  so a crash can never leave a migration applied but unrecorded (or the
  reverse). ``-- transactional: false`` migrations cannot be atomic: they run
  statement by statement in nontransactional.py, under promises of their own;
- every attempt runs with a short ``lock_timeout``: an ALTER that would queue
  behind a long transaction (and make every other query queue behind *it*)
  gives up quickly, and we retry with backoff;
- when the retries run out we name the sessions that blocked us.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from astegni_db import db, sqlfiles
from astegni_db.errors import AstegniError, MigrationFailed, PermissionDenied
from astegni_db.migrating import bookkeeping, nontransactional
from astegni_db.migrating.attempts import (
    Event,
    EventSink,
    RetryPolicy,
    StepResult,
    collect_notices,
    lock_not_granted,
    watch_if,
)
from astegni_db.project.migration_files import MigrationFile

if TYPE_CHECKING:
    import psycopg

    from astegni_db.settings import DatabaseTarget


def make_backend(conn: psycopg.Connection, dbname: str) -> Any:
    """yoyo's psycopg 3 backend, driving *our* connection.

    yoyo opens a new connection (and creates a probe table) for every
    migration; reusing ours keeps the advisory lock and the bookkeeping on the
    same session and saves ~13 ms per migration.
    """
    from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend

    class _SharedConnectionBackend(PostgresqlPsycopgBackend):  # type: ignore[misc]
        def connect(self, dburi: Any) -> psycopg.Connection:
            return conn

    return _SharedConnectionBackend(SimpleNamespace(database=dbname), bookkeeping.MIGRATION_TABLE)


def ensure_bookkeeping(backend: Any) -> None:
    """yoyo's internal tables at its current schema version, plus our checksum table."""
    conn = backend.connection
    schema, user, can_create = conn.execute(sqlfiles.load("schema_privilege")).fetchone()
    if schema is None:
        raise PermissionDenied("no schema on the search_path exists; set search_path in the URL")
    if not can_create:
        # yoyo would swallow this and fail later on a missing yoyo_lock table.
        raise PermissionDenied(
            f"permission denied: role {user} has no CREATE privilege on schema {schema}; "
            "migrate needs it (status and verify work with SELECT only)"
        )
    backend.create_lock_table()  # stock yoyo, run beside us, locks through it
    from yoyo import internalmigrations

    # Not backend.ensure_internal_schema_updated(): it takes yoyo's lock *row*,
    # committed before the upgrade's own transaction, so a run killed during
    # the upgrade left the row behind and every later run waited 10 s, then
    # failed. We hold the advisory lock, and the upgrade is one transaction.
    if internalmigrations.needs_upgrading(backend):
        internalmigrations.upgrade(backend)
    # Otherwise yoyo re-checks its internal schema (a scan of
    # information_schema.tables) on every mark/unmark/log call.
    backend._internal_schema_updated = True
    bookkeeping.create_tables(conn)


def run_one(
    backend: Any,
    target: DatabaseTarget,
    mf: MigrationFile,
    migration: Any,
    direction: str,
    policy: RetryPolicy,
    on_event: EventSink,
) -> StepResult:
    """Apply or roll back ``migration`` with its bookkeeping, retrying lock timeouts."""
    import psycopg

    if not migration.use_transactions:
        return nontransactional.run(
            backend.connection,
            target,
            mf,
            direction,
            policy,
            on_event,
            record=lambda: _record(backend, mf, migration, direction),
            transaction=backend.transaction,
        )
    conn: psycopg.Connection = backend.connection
    pid = conn.info.backend_pid
    on_event(Event("start", mf.id, direction))
    for attempt in range(1, policy.attempts + 1):
        last = attempt == policy.attempts
        watcher = watch_if(last, target, pid, policy)
        started = time.perf_counter()
        try:
            with watcher, collect_notices(conn) as notices:
                _run_attempt(backend, mf, migration, direction, policy)
        except psycopg.errors.LockNotAvailable:
            if last:
                raise lock_not_granted(f"{direction} of {mf.id}", policy, watcher) from None
            delay = policy.delay(attempt)
            on_event(
                Event(
                    "retry",
                    mf.id,
                    direction,
                    attempt,
                    detail=f"lock not granted within {policy.lock_timeout_ms} ms; "
                    f"retrying in {delay:.2f}s",
                )
            )
            time.sleep(delay)
            continue
        except psycopg.Error as exc:
            raise _failed(exc, target, mf, direction) from None
        duration_ms = (time.perf_counter() - started) * 1000
        on_event(Event("done", mf.id, direction, attempt, duration_ms))
        return StepResult(mf.id, direction, duration_ms, attempt, notices)
    raise AssertionError("unreachable")  # the loop returns or raises


def _run_attempt(
    backend: Any, mf: MigrationFile, migration: Any, direction: str, policy: RetryPolicy
) -> None:
    # yoyo prints the rows of any SELECT in a migration to stdout; stdout is
    # reserved for our data (JSON), so send that chatter to stderr.
    with _stdout_to_stderr(), backend.transaction():
        # Bookkeeping first: it commits or rolls back with the DDL all the
        # same, and done before the first ALTER its round trips (yoyo's
        # internal-schema checks, a hostname lookup) are not spent while
        # the table is held in ACCESS EXCLUSIVE. bench_migration_load
        # measured that window at 64 ms with it last, under load.
        # One pipeline: the setting and the three bookkeeping rows cost
        # one round trip, not four (bench_many_migrations).
        with backend.connection.pipeline():
            backend.execute(
                "SELECT set_config('lock_timeout', :t, true)", {"t": policy.lock_timeout}
            )
            _record(backend, mf, migration, direction)
        _run_steps(backend, mf, migration, direction)


_redirect_lock = threading.Lock()
_redirect_depth = 0
_redirected_stdout: Any = None


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """contextlib.redirect_stdout(sys.stderr), safe when a fleet migrates in threads.

    Each redirect_stdout saves and restores sys.stdout itself: two overlapping
    in threads restore in the wrong order and leave stdout pointing at stderr,
    and the run's JSON then went to stderr. Here the first one in swaps it and
    the last one out puts it back.
    """
    global _redirect_depth, _redirected_stdout
    with _redirect_lock:
        if _redirect_depth == 0:
            _redirected_stdout, sys.stdout = sys.stdout, sys.stderr
        _redirect_depth += 1
    try:
        yield
    finally:
        with _redirect_lock:
            _redirect_depth -= 1
            if _redirect_depth == 0:
                sys.stdout, _redirected_stdout = _redirected_stdout, None


def _run_steps(backend: Any, mf: MigrationFile, migration: Any, direction: str) -> None:
    """The migration's statements, inside the caller's transaction.

    yoyo sends a SQL file statement by statement, each wrapped in a savepoint:
    two round trips per statement, every one of them spent holding whatever
    lock an earlier ALTER took. Sending the checksummed file as one
    simple-protocol query runs the same statements, in order, in one round
    trip; bench_migration_load measured 0002's ACCESS EXCLUSIVE window at
    57-68 ms the yoyo way on a loaded 2-core machine.
    """
    if not mf.is_sql:
        migration.process_steps(backend, direction)
        return
    # The text read (and checksummed, and shown) when the plan was made, not the
    # file as it may be now.
    text = mf.sql if direction == "apply" else mf.rollback_sql
    if text is not None:
        backend.connection.execute(text)


def _record(backend: Any, mf: MigrationFile, migration: Any, direction: str) -> None:
    conn = backend.connection
    backend.log_migration(migration, direction)
    if direction == "apply":
        backend.mark_one(migration, log=False)
        bookkeeping.record_checksum(conn, mf.id, mf.checksum)
    else:
        backend.unmark_one(migration, log=False)
        bookkeeping.forget_checksum(conn, mf.id)


def _failed(
    exc: BaseException, target: DatabaseTarget, mf: MigrationFile, direction: str
) -> AstegniError:
    translated = db.translate(exc, target, f"{direction} of {mf.id}")
    if not isinstance(translated, MigrationFailed):
        return translated
    return MigrationFailed(
        f"{translated.message} -- rolled back; nothing was changed",
        hint=translated.hint,
        sqlstate=translated.sqlstate,
    )
