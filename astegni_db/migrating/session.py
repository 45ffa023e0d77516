"""One locked session: the connection that holds the migration lock, yoyo's backend
over it, and the plan read under that lock.

migrate, rollback and repair each run entirely inside one such session: what
the plan says (and what a user confirmed) is what runs, because no other
astegni-db run can change the bookkeeping between planning and running.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astegni_db import db
from astegni_db.errors import ConfigError
from astegni_db.migrating import bookkeeping, lock, runner
from astegni_db.migrating.plan import Entry, Plan, build_plan
from astegni_db.project.migration_files import MigrationFile, load_migration_files
from astegni_db.settings import DatabaseTarget

# How long bookkeeping statements may wait for a lock when --lock-timeout is
# 0 ("do not wait for another run"): short, but enough for a committing peer.
BOOKKEEPING_MIN_WAIT_S = 2.0

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class LockedSession:
    target: DatabaseTarget
    conn: psycopg.Connection[Any]
    backend: Any  # yoyo's backend, driving conn
    plan: Plan
    migrations_dir: Path

    def yoyo_migrations(self, needed: list[Entry]) -> dict[str, Any]:
        """yoyo's Migration objects; those of ``needed`` parsed now, before anything runs.

        Only what is about to run is parsed (yoyo imports a .py migration to
        parse it): applied files are guarded by their checksums instead.
        """
        from yoyo import read_migrations
        from yoyo.exceptions import BadMigration

        found = {m.id: m for m in read_migrations(str(self.migrations_dir))}
        for mf in files_of(needed):
            try:
                found[mf.id].load()
            except BadMigration as exc:
                raise ConfigError(f"{mf.path}: cannot be loaded: {exc.args[-1]}") from None
            except Exception as exc:  # a .py migration can raise anything while importing
                raise ConfigError(
                    f"{mf.path}: cannot be loaded: {type(exc).__name__}: {exc}"
                ) from None
            if not mf.is_sql and not found[mf.id].use_transactions:
                # yoyo runs the rollback steps of a failed non-transactional
                # migration by itself, and a Python step is not a statement we
                # can journal, retry or make re-runnable.
                raise ConfigError(
                    f"{mf.path}: non-transactional Python migrations (__transactional__ = "
                    "False) are not supported: write it as a .sql file whose first line is "
                    "`-- transactional: false`"
                )
        return found


def _bookkeeping_wait_error(conn: Any, doing: str) -> Exception:
    """Exit 4 naming who holds the bookkeeping table we waited for (never their SQL)."""
    with contextlib.suppress(Exception):
        conn.rollback()  # yoyo's transaction, if one was open: the lookup needs the session
    return db.lock_wait_error(
        conn, doing, relations=list(bookkeeping.BOOKKEEPING_TABLES), modes=db.PREPARE_BLOCKING_MODES
    )


def steps_lack_rollback(migration: Any) -> bool:
    """Whether a step of a loaded yoyo (Python) migration has no rollback.

    yoyo would skip such a step silently while rolling back, and report
    success for a rollback that undid only part of the migration.
    """
    from yoyo.migrations import MigrationStep, StepGroup

    def lacks(step: Any) -> bool:
        while not isinstance(step, MigrationStep) and hasattr(step, "step"):
            step = step.step  # TransactionWrapper / Transactionless
        if isinstance(step, StepGroup):
            return any(lacks(inner) for inner in step.steps)
        return getattr(step, "_rollback", None) is None

    return any(lacks(step) for step in migration.steps or ())


def files_of(entries: list[Entry]) -> list[MigrationFile]:
    return [e.file for e in entries if e.file is not None]


def read_plan(target: DatabaseTarget, migrations_dir: Path, *, purpose: str) -> Plan:
    """The plan without the lock: for status and dry runs, which need only SELECT."""
    import psycopg

    files = load_migration_files(migrations_dir)
    with db.read_only_session(target, purpose=purpose, doing="reading the history") as conn:
        try:
            return plan_on(conn, files)
        except psycopg.Error as exc:
            raise db.translate(exc, target, "reading the migration history") from None


def plan_on(conn: psycopg.Connection[Any], files: list[MigrationFile]) -> Plan:
    """``files`` against the history on ``conn``: the plan, read on a session the caller
    already has (``plan`` checks nothing is pending in its own read-only session)."""
    history = bookkeeping.read_history(conn)
    return build_plan(files, history.applied, history.progress)


@contextlib.contextmanager
def locked_session(
    target: DatabaseTarget, migrations_dir: Path, *, purpose: str, lock_timeout_s: float
) -> Iterator[LockedSession]:
    """Read the files (refusing unreadable ones before connecting), connect, lock, plan.

    Closing the session releases the lock, whatever happened inside.
    """
    import psycopg

    files = load_migration_files(migrations_dir)
    conn = db.connect(target, purpose=purpose)
    try:
        try:
            db.end_with_client(conn)
            lock.acquire(conn, lock_timeout_s)
            # Every later wait of this session is bounded too: the bookkeeping
            # set-up, adoption and repair used to run with lock_timeout 0 and
            # wait forever behind a session holding yoyo's tables.
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)",
                (db.lock_timeout_setting(max(lock_timeout_s, BOOKKEEPING_MIN_WAIT_S)),),
            )
            backend = runner.make_backend(conn, target.dbname)
            runner.ensure_bookkeeping(backend)
        except psycopg.errors.LockNotAvailable:
            raise _bookkeeping_wait_error(conn, "preparing the migration history tables") from None
        except psycopg.Error as exc:
            raise db.translate(exc, target, "preparing the migration history tables") from None
        try:
            history = bookkeeping.read_history(conn)
            plan = build_plan(files, history.applied, history.progress)
        except psycopg.errors.LockNotAvailable:
            raise _bookkeeping_wait_error(conn, "reading the migration history") from None
        except psycopg.Error as exc:
            raise db.translate(exc, target, "reading the migration history") from None
        yield LockedSession(target, conn, backend, plan, migrations_dir)
    finally:
        with contextlib.suppress(Exception):
            conn.close()
