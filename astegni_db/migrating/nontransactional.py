"""Migrations that say ``-- transactional: false``: statement by statement, safely.

PostgreSQL refuses CREATE INDEX CONCURRENTLY inside a transaction, so such a
migration cannot commit with its bookkeeping. yoyo runs it step by step and,
when a step fails, runs the rollback of the steps already done: a
migration's rollback file ran although nobody asked for a rollback, and
dropped a table and its rows. We do not use yoyo for these. Instead:

- each statement runs on its own, with the DDL ``lock_timeout`` and the
  retries, exactly as a transactional migration's attempts do;
- a CREATE INDEX CONCURRENTLY that fails, times out or is killed leaves an
  INVALID index behind (the planner never uses it; every write still pays
  for it). One found INVALID before the build is dropped, concurrently, and
  built again; one left by a failed attempt is dropped before the retry and
  before giving up. A valid index is never dropped;
- the migration is recorded only after every index it built is valid and
  ready, in one transaction that also clears its journal;
- the rollback file runs only when a rollback was asked for;
- every statement's progress is journalled in ``_astegni_db_progress`` as it
  happens, so after a failure ``status`` says which statements ran and where
  it stopped. Running migrate again runs every statement again: they must be
  re-runnable (``IF NOT EXISTS`` / ``IF EXISTS``; lint AD112 says so), and
  then a re-run converges.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple

from astegni_db import db, sqlfiles
from astegni_db.errors import AstegniError, MigrationFailed
from astegni_db.migrating import bookkeeping
from astegni_db.migrating.attempts import (
    Event,
    EventSink,
    RetryPolicy,
    StepResult,
    collect_notices,
    lock_not_granted,
    watch_if,
)
from astegni_db.project.migration_files import MigrationFile, split_statements

if TYPE_CHECKING:
    import psycopg

    from astegni_db.settings import DatabaseTarget

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_CONCURRENT_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_IDENT})\s+ON\s+(?:ONLY\s+)?(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)",
    re.IGNORECASE,
)
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)


class ConcurrentIndex(NamedTuple):
    """The index a CREATE INDEX CONCURRENTLY statement builds."""

    name: str  # as the catalog spells it
    table: str  # as written, for to_regclass


def concurrent_index(statement: str) -> ConcurrentIndex | None:
    body = _LEADING_COMMENTS.sub("", statement, count=1)
    match = _CONCURRENT_INDEX.match(body)
    if match is None:
        return None
    return ConcurrentIndex(_catalog_name(match.group("name")), match.group("table"))


def _code_line(statement: str, line: int) -> int:
    """The line where the statement's SQL starts, past its leading comments."""
    leading = _LEADING_COMMENTS.match(statement)
    return line + (leading.group().count("\n") if leading else 0)


def _catalog_name(identifier: str) -> str:
    if identifier.startswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier.lower()


class _Journal:
    """This run's rows in _astegni_db_progress (autocommit: each survives a crash)."""

    def __init__(self, conn: psycopg.Connection[Any], mf: MigrationFile, direction: str) -> None:
        self.conn, self.mf, self.direction = conn, mf, direction
        self.total = 0

    def start(self, total: int) -> None:
        self.total = total
        bookkeeping.clear_progress(self.conn, self.mf.id)

    def mark(self, number: int, line: int, state: str, error: str | None = None) -> None:
        bookkeeping.mark_statement(
            self.conn, self.mf.id, self.direction, number, self.total, line, state, error
        )


def run(
    conn: psycopg.Connection[Any],
    target: DatabaseTarget,
    mf: MigrationFile,
    direction: str,
    policy: RetryPolicy,
    on_event: EventSink,
    *,
    record: Callable[[], None],
    transaction: Callable[[], AbstractContextManager[Any]],
) -> StepResult:
    """Run ``mf`` (or its rollback) statement by statement; ``record`` it inside
    ``transaction`` once every statement ran and every index it built is usable."""
    import psycopg

    text = mf.sql if direction == "apply" else mf.rollback_sql
    statements = [
        (statement, _code_line(statement, line)) for statement, line in split_statements(text or "")
    ]
    journal = _Journal(conn, mf, direction)
    on_event(Event("start", mf.id, direction))
    started = time.perf_counter()
    most_attempts = 1
    notices: list[str] = []
    try:
        journal.start(len(statements))
        for number, (statement, line) in enumerate(statements, start=1):
            journal.mark(number, line, "running")
            attempts, said = _run_statement(
                conn, target, mf, direction, policy, on_event, journal, number, statement, line
            )
            journal.mark(number, line, "done")
            most_attempts, notices = max(most_attempts, attempts), notices + said
        with transaction():
            record()
            bookkeeping.clear_progress(conn, mf.id)
    except psycopg.Error as exc:  # the journal's own writes, or the record
        raise db.translate(exc, target, f"{direction} of {mf.id}") from None
    duration_ms = (time.perf_counter() - started) * 1000
    on_event(Event("done", mf.id, direction, most_attempts, duration_ms))
    return StepResult(mf.id, direction, duration_ms, most_attempts, notices)


def _run_statement(
    conn: psycopg.Connection[Any],
    target: DatabaseTarget,
    mf: MigrationFile,
    direction: str,
    policy: RetryPolicy,
    on_event: EventSink,
    journal: _Journal,
    number: int,
    statement: str,
    line: int,
) -> tuple[int, list[str]]:
    """One statement, retried on lock timeouts; (attempts it took, notices)."""
    import psycopg

    where = f"{direction} of {mf.id}, statement {number} of {journal.total} (line {line})"
    index = concurrent_index(statement)
    for attempt in range(1, policy.attempts + 1):
        last = attempt == policy.attempts
        watcher = watch_if(last, target, conn.info.backend_pid, policy)
        try:
            with (
                watcher,
                collect_notices(conn) as notices,
                _lock_timeout(conn, policy.lock_timeout),
            ):
                if index is not None:
                    # A killed earlier run, or our own last attempt, left it unusable;
                    # IF NOT EXISTS would skip it and the migration be recorded over it.
                    _drop_if_invalid(conn, index)
                conn.execute(statement.encode("utf-8"))
        except psycopg.errors.LockNotAvailable:
            if last:
                error: AstegniError = lock_not_granted(where, policy, watcher)
                if index is not None:
                    error = _clean_up_after(conn, target, index, policy, error)
                _journal_failure(journal, number, line, error.message)
                raise error from None
            delay = policy.delay(attempt)
            on_event(
                Event(
                    "retry",
                    mf.id,
                    direction,
                    attempt,
                    detail=f"statement {number} (line {line}): lock not granted within "
                    f"{policy.lock_timeout_ms} ms; retrying in {delay:.2f}s",
                )
            )
            time.sleep(delay)
            continue
        except psycopg.Error as exc:
            failure = db.translate(exc, target, where)
            if not isinstance(failure, MigrationFailed):
                raise failure from None  # the connection is gone: the journal says "running"
            if index is not None:
                failure = _clean_up_after(conn, target, index, policy, failure)
            _journal_failure(journal, number, line, failure.message)
            raise MigrationFailed(
                f"{failure.message} -- statements before it stay applied and nothing was "
                "rolled back (transactional: false); fix it and run migrate again: "
                "every statement runs again, so each must be re-runnable",
                hint="`astegni-db status` shows which statements ran",
            ) from None
        if index is not None:
            _require_usable(conn, target, index, policy, where)
        return attempt, notices
    raise AssertionError("unreachable")  # the loop returns or raises


@contextlib.contextmanager
def _lock_timeout(conn: psycopg.Connection[Any], timeout: str) -> Any:
    """``timeout`` as lock_timeout for one statement, then the session's bound again."""
    before = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (timeout,))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a dead connection says so elsewhere
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)", (before[0] if before else "0",)
            )


def _journal_failure(journal: _Journal, number: int, line: int, message: str) -> None:
    with contextlib.suppress(Exception):  # the journal explains; it must not hide the error
        journal.mark(number, line, "failed", message)


def _index_state(
    conn: psycopg.Connection[Any], index: ConcurrentIndex
) -> tuple[bool, bool, str] | None:
    """(valid, ready, schema-qualified name), or None when there is no such index."""
    row = conn.execute(
        sqlfiles.load("index_state"), {"name": index.name, "table": index.table}
    ).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), str(row[2]))


def _drop_if_invalid(conn: psycopg.Connection[Any], index: ConcurrentIndex) -> None:
    """DROP INDEX CONCURRENTLY an INVALID index of that name; never a valid one.

    Under the caller's lock_timeout: it waits for the table's current lockers,
    as the build does, and a timeout here is one more lock timeout to retry.
    """
    state = _index_state(conn, index)
    if state is not None and not state[0]:
        conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {state[2]}".encode())


def _clean_up_after(
    conn: psycopg.Connection[Any],
    target: DatabaseTarget,
    index: ConcurrentIndex,
    policy: RetryPolicy,
    error: AstegniError,
) -> AstegniError:
    """After the build's last failure: drop the INVALID index it left, waiting up to
    the run's patience (that wait holds up no application query). ``error``, or the
    error saying which index could not be dropped."""
    import psycopg

    try:
        with _lock_timeout(conn, db.lock_timeout_setting(policy.cleanup_wait_s)):
            _drop_if_invalid(conn, index)
        return error
    except psycopg.errors.LockNotAvailable:
        left = _index_state(conn, index)
        if left is None:
            return error
        harmless = "not used by queries" + ("" if left[1] else " and not maintained by writes")
        return type(error)(
            f"{error.message}; the INVALID index {left[2]} it left could not be dropped within "
            f"{policy.cleanup_wait_s:g}s either (it is {harmless}); "
            "the next migrate drops it before building again",
            hint=f"or run DROP INDEX CONCURRENTLY {left[2]}; once the blocking transaction ends",
        )
    except psycopg.Error as exc:
        return db.translate(exc, target, f"dropping the INVALID index {index.name}")


def _require_usable(
    conn: psycopg.Connection[Any],
    target: DatabaseTarget,
    index: ConcurrentIndex,
    policy: RetryPolicy,
    where: str,
) -> None:
    """The index the statement built (or found) is valid and ready, or nothing is recorded."""
    state = _index_state(conn, index)
    if state is not None and state[0] and state[1]:
        return
    error: AstegniError = MigrationFailed(
        f"{where}: index {index.name} is not usable after its build "
        f"({'missing' if state is None else 'INVALID'}); nothing was recorded"
    )
    raise _clean_up_after(conn, target, index, policy, error)
