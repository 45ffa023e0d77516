"""Applying and rolling back one migration at a time, safely on a busy table.

Three things yoyo does not do, done here:
- the DDL, yoyo's bookkeeping rows and our checksum commit in ONE transaction,
  so a crash can never leave a migration applied but unrecorded (or the
  reverse) -- except for ``-- transactional: false`` migrations, which must
  be idempotent for that reason;
- every attempt runs with a short ``lock_timeout``: an ALTER that would queue
  behind a long transaction (and make every other query queue behind *it*)
  gives up quickly, and we retry with backoff;
- when the retries run out we name the sessions that blocked us.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from astegni_db import db, settings, sqlfiles
from astegni_db.errors import AstegniError, LockNotAcquired, MigrationFailed, PermissionDenied
from astegni_db.migrating import bookkeeping
from astegni_db.project.migration_files import MigrationFile

if TYPE_CHECKING:
    import psycopg

    from astegni_db.settings import DatabaseTarget


@dataclass(frozen=True)
class RetryPolicy:
    """How long one DDL attempt may wait for a lock, and how often we try again."""

    lock_timeout_ms: int = settings.DEFAULT_DDL_LOCK_TIMEOUT_MS
    retries: int = settings.DEFAULT_DDL_RETRIES
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0

    def delay(self, attempt: int) -> float:
        base = min(self.backoff_max_s, self.backoff_initial_s * 2 ** (attempt - 1))
        # Jitter, so racing deploys do not retry in lockstep.
        return float(base * random.uniform(0.75, 1.25))


@dataclass(frozen=True)
class Event:
    """Progress, for the CLI to show as it happens."""

    kind: str  # "start", "retry", "done"
    migration_id: str
    direction: str  # "apply" or "rollback"
    attempt: int = 1
    duration_ms: float = 0.0
    detail: str = ""


EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class StepResult:
    migration_id: str
    direction: str
    duration_ms: float
    attempts: int
    notices: list[str] = field(default_factory=list)


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
    bookkeeping.create_checksum_table(conn)


class _BlockerWatcher:
    """Polls, from a second connection, who blocks our backend while we wait.

    Only the last attempt is watched: it is the one whose failure we explain.
    """

    def __init__(self, target: DatabaseTarget, pid: int, interval_s: float) -> None:
        self.target, self.pid, self.interval_s = target, pid, interval_s
        self.blockers: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._conn: psycopg.Connection | None = None

    def __enter__(self) -> _BlockerWatcher:
        # Connected before the attempt starts: connecting inside the thread took
        # longer than a short lock_timeout on a busy machine, and the attempt was
        # over before the first look (test_ddl_gives_up_on_a_long_transaction_...).
        try:
            self._conn = db.connect(self.target, purpose="lock watcher", connect_timeout=5)
        except AstegniError:
            return self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()

    def _run(self) -> None:
        import psycopg

        assert self._conn is not None
        query = sqlfiles.load("blocking_sessions")
        try:
            while True:
                rows = self._conn.execute(query, {"pid": self.pid}).fetchall()
                if rows:
                    self.blockers = [
                        f"pid {pid} ({app}, user {user}, {state} for {secs}s: {q or '-'})"
                        for pid, app, user, state, secs, q in rows
                    ]
                if self._stop.wait(self.interval_s):
                    return
        except psycopg.Error:
            return  # the watcher only explains; losing it must not print a traceback


@contextlib.contextmanager
def _collect_notices(conn: psycopg.Connection) -> Iterator[list[str]]:
    notices: list[str] = []

    def handler(diag: Any) -> None:
        severity = diag.severity_nonlocalized
        if severity not in {"WARNING", "NOTICE"} or not diag.message_primary:
            return
        # PostgreSQL's own "already exists, skipping" / "does not exist, skipping"
        # (class 42) are what IF [NOT] EXISTS is for: expected on every legacy
        # database, so noise. A migration's RAISE NOTICE (00000) is kept.
        if severity == "NOTICE" and (diag.sqlstate or "").startswith("42"):
            return
        notices.append(f"{severity.lower()}: {diag.message_primary}")

    conn.add_notice_handler(handler)
    try:
        yield notices
    finally:
        conn.remove_notice_handler(handler)


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

    conn: psycopg.Connection = backend.connection
    pid = conn.info.backend_pid
    attempts = policy.retries + 1
    on_event(Event("start", mf.id, direction))
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        watcher = (
            _BlockerWatcher(target, pid, max(0.01, policy.lock_timeout_ms / 4000))
            if last
            else contextlib.nullcontext()
        )
        started = time.perf_counter()
        try:
            with watcher, _collect_notices(conn) as notices:
                _run_attempt(backend, mf, migration, direction, policy)
        except psycopg.errors.LockNotAvailable:
            if last:
                blockers = getattr(watcher, "blockers", [])
                raise LockNotAcquired(
                    f"{direction} of {mf.id} gave up after {attempts} attempts: "
                    f"a lock was not granted within {policy.lock_timeout_ms} ms; "
                    + (
                        "blocked by " + "; ".join(blockers)
                        if blockers
                        else "the blocking session had ended by the time it was looked up"
                    ),
                    hint="end or wait out the blocking transaction, or raise --ddl-retries",
                ) from None
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
            raise _failed(exc, target, mf, migration, direction) from None
        duration_ms = (time.perf_counter() - started) * 1000
        on_event(Event("done", mf.id, direction, attempt, duration_ms))
        return StepResult(mf.id, direction, duration_ms, attempt, notices)
    raise AssertionError("unreachable")  # the loop returns or raises


def _run_attempt(
    backend: Any, mf: MigrationFile, migration: Any, direction: str, policy: RetryPolicy
) -> None:
    lock_timeout = f"{policy.lock_timeout_ms}ms"
    # yoyo prints the rows of any SELECT in a migration to stdout; stdout is
    # reserved for our data (JSON), so send that chatter to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        if migration.use_transactions:
            with backend.transaction():
                # Bookkeeping first: it commits or rolls back with the DDL all the
                # same, and done before the first ALTER its round trips (yoyo's
                # internal-schema checks, a hostname lookup) are not spent while
                # the table is held in ACCESS EXCLUSIVE. bench_migration_load
                # measured that window at 64 ms with it last, under load.
                # One pipeline: the setting and the three bookkeeping rows cost
                # one round trip, not four (bench_many_migrations).
                with backend.connection.pipeline():
                    backend.execute(
                        "SELECT set_config('lock_timeout', :t, true)", {"t": lock_timeout}
                    )
                    _record(backend, mf, migration, direction)
                _run_steps(backend, mf, migration, direction)
        else:
            conn = backend.connection
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))
            try:
                migration.process_steps(backend, direction)
            finally:
                conn.execute("SELECT set_config('lock_timeout', '0', false)")
            with backend.transaction():
                _record(backend, mf, migration, direction)


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
    exc: BaseException, target: DatabaseTarget, mf: MigrationFile, migration: Any, direction: str
) -> AstegniError:
    translated = db.translate(exc, target, f"{direction} of {mf.id}")
    if not isinstance(translated, MigrationFailed):
        return translated
    if migration.use_transactions:
        outcome = "rolled back; nothing was changed"
    else:
        outcome = (
            "NOT rolled back: it runs outside a transaction (transactional: false), "
            "so statements before the failure stay applied; fix it and run again"
        )
    return MigrationFailed(f"{translated.message} -- {outcome}", hint=translated.hint)
