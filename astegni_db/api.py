"""The user's verbs as plain functions: config first, no printing, typed results.

The CLI is built on these; tests and other programs call them directly.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astegni_db import db
from astegni_db.errors import AstegniError, ConfigError, IntegrityFailure, MigrationFailed
from astegni_db.migrating import bookkeeping, lock, runner
from astegni_db.migrating.plan import Entry, Plan, State, build_plan
from astegni_db.migrating.runner import Event, EventSink, RetryPolicy, StepResult
from astegni_db.migrating.sources import MigrationFile, load_migration_files
from astegni_db.settings import DatabaseTarget, parse_database_url

if TYPE_CHECKING:
    import psycopg

DEFAULT_MIGRATIONS_DIR = Path("migrations")
DEFAULT_LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class MigrateOptions:
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S  # waiting for another astegni-db run
    ddl: RetryPolicy = field(default_factory=RetryPolicy)  # waiting for table locks
    accept_changes: bool = False  # record edited/renamed/deleted applied files as they are now
    allow_out_of_order: bool = False
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT


@dataclass(frozen=True)
class MigrateResult:
    applied: list[StepResult]
    plan_before: Plan
    adopted: list[str]  # applied earlier by another tool; checksum recorded now
    repaired: list[str]
    duration_ms: float


@dataclass(frozen=True)
class RollbackResult:
    rolled_back: list[StepResult]
    duration_ms: float


def as_target(database: DatabaseTarget | str) -> DatabaseTarget:
    if isinstance(database, DatabaseTarget):
        return database
    return parse_database_url(database, "argument")


def _noop(event: Event) -> None:
    return None


def status(
    database: DatabaseTarget | str,
    migrations_dir: Path = DEFAULT_MIGRATIONS_DIR,
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT,
) -> Plan:
    """Applied, pending, modified, missing, renamed: needs only SELECT rights."""
    target = as_target(database)
    files = load_migration_files(migrations_dir)
    with db.connect(target, purpose="status", connect_timeout=connect_timeout) as conn:
        return build_plan(files, _read_applied(conn, target))


def _read_applied(conn: psycopg.Connection, target: DatabaseTarget) -> list[Any]:
    import psycopg

    try:
        return bookkeeping.read_applied(conn)
    except psycopg.Error as exc:
        raise db.translate(exc, target, "reading the migration history") from None


@contextlib.contextmanager
def _locked_session(
    target: DatabaseTarget, purpose: str, options: MigrateOptions, migrations_dir: Path
) -> Iterator[tuple[psycopg.Connection, Any, Plan]]:
    """A connection holding the migration lock, yoyo's backend over it, and the plan.

    The files are read (and refused if unreadable) before connecting; the
    plan is built under the lock, so no other run can change it meanwhile.
    """
    import psycopg

    files = load_migration_files(migrations_dir)
    conn = db.connect(target, purpose=purpose, connect_timeout=options.connect_timeout)
    try:
        try:
            db.end_with_client(conn)
            lock.acquire(conn, options.lock_timeout_s)
            backend = runner.make_backend(conn, target.dbname)
            runner.ensure_bookkeeping(backend)
        except psycopg.Error as exc:
            raise db.translate(exc, target, "preparing the migration history tables") from None
        yield conn, backend, build_plan(files, _read_applied(conn, target))
    finally:
        # Closing the session releases the advisory lock even if unlock fails.
        with contextlib.suppress(Exception):
            conn.close()


def _yoyo_migrations(migrations_dir: Path, needed: list[MigrationFile]) -> dict[str, Any]:
    """yoyo's Migration objects; those in ``needed`` parsed now, before anything runs.

    Only what is about to run is parsed (yoyo imports a .py migration to
    parse it): applied files are guarded by their checksums instead.
    """
    from yoyo import read_migrations
    from yoyo.exceptions import BadMigration

    found = {m.id: m for m in read_migrations(str(migrations_dir))}
    for mf in needed:
        try:
            found[mf.id].load()
        except BadMigration as exc:
            raise ConfigError(f"{mf.path}: cannot be loaded: {exc.args[-1]}") from None
        except Exception as exc:  # a .py migration can raise anything while importing
            raise ConfigError(f"{mf.path}: cannot be loaded: {type(exc).__name__}: {exc}") from None
    return found


def _files(entries: list[Entry]) -> list[MigrationFile]:
    return [e.file for e in entries if e.file is not None]


def migrate(
    database: DatabaseTarget | str,
    migrations_dir: Path = DEFAULT_MIGRATIONS_DIR,
    options: MigrateOptions | None = None,
    on_event: EventSink = _noop,
) -> MigrateResult:
    """Apply every pending migration, each atomically with its bookkeeping."""
    options = options or MigrateOptions()
    target = as_target(database)
    started = time.perf_counter()
    with _locked_session(target, "migrate", options, migrations_dir) as (conn, backend, plan):
        # Every pending file parses before the first one runs.
        migrations = _yoyo_migrations(migrations_dir, _files(plan.pending))
        repaired: list[str] = []
        if plan.problems:
            if not options.accept_changes:
                raise IntegrityFailure(
                    f"applied migrations changed on disk: {plan.describe_problems()}",
                    hint="see `astegni-db status`; if intended, `astegni-db repair` "
                    "(or migrate --accept-changes) records the files as they are now",
                )
            repaired = _repair(conn, backend, plan, migrations, target)
        if plan.out_of_order and not options.allow_out_of_order:
            names = ", ".join(e.id for e in plan.out_of_order)
            raise IntegrityFailure(
                f"pending migrations sort before ones already applied: {names}",
                hint="rename them to sort last, or pass --allow-out-of-order",
            )
        adopted = _adopt_untracked(conn, plan, target)
        applied = []
        for entry in plan.pending:
            assert entry.file is not None
            applied.append(
                runner.run_one(
                    backend,
                    target,
                    entry.file,
                    migrations[entry.id],
                    "apply",
                    options.ddl,
                    on_event,
                )
            )
    return MigrateResult(applied, plan, adopted, repaired, (time.perf_counter() - started) * 1000)


def _adopt_untracked(conn: psycopg.Connection, plan: Plan, target: DatabaseTarget) -> list[str]:
    """Record checksums for migrations applied before astegni-db tracked them."""
    import psycopg

    entries = plan.having(State.UNTRACKED)
    try:
        with conn.transaction():
            for e in entries:
                assert e.file is not None
                conn.execute(bookkeeping.UPSERT_CHECKSUM, (e.id, e.file.checksum))
    except psycopg.Error as exc:
        raise db.translate(exc, target, "recording checksums") from None
    return [e.id for e in entries]


def _repair(
    conn: psycopg.Connection,
    backend: Any,
    plan: Plan,
    migrations: dict[str, Any],
    target: DatabaseTarget,
) -> list[str]:
    """Make the bookkeeping match the files, touching no schema object."""
    import psycopg
    from yoyo.migrations import Migration

    done = []
    try:
        with backend.transaction():
            for e in plan.problems:
                if e.state is State.MISSING:
                    ghost = Migration(e.id, "", "")
                    backend.unmark_one(ghost, log=True)
                    conn.execute(bookkeeping.DELETE_CHECKSUM, (e.id,))
                    done.append(f"forgot {e.id} (file deleted)")
                elif e.state is State.RENAMED:
                    assert e.renamed_from is not None and e.file is not None
                    backend.unmark_one(Migration(e.renamed_from, "", ""), log=True)
                    conn.execute(bookkeeping.DELETE_CHECKSUM, (e.renamed_from,))
                    backend.mark_one(migrations[e.id], log=True)
                    conn.execute(bookkeeping.UPSERT_CHECKSUM, (e.id, e.file.checksum))
                    done.append(f"{e.renamed_from} is now recorded as {e.id}")
                else:
                    assert e.file is not None
                    conn.execute(bookkeeping.UPSERT_CHECKSUM, (e.id, e.file.checksum))
                    done.append(f"accepted the edited {e.id}")
    except psycopg.Error as exc:
        raise db.translate(exc, target, "repairing the migration history") from None
    return done


def repair(
    database: DatabaseTarget | str,
    migrations_dir: Path = DEFAULT_MIGRATIONS_DIR,
    options: MigrateOptions | None = None,
) -> list[str]:
    """Accept edited, renamed and deleted applied migrations as they are on disk now."""
    options = options or MigrateOptions()
    target = as_target(database)
    migrations = _yoyo_migrations(migrations_dir, [])  # bookkeeping only: nothing runs
    with _locked_session(target, "repair", options, migrations_dir) as (conn, backend, plan):
        return _repair(conn, backend, plan, migrations, target) + [
            f"recorded the checksum of {i}" for i in _adopt_untracked(conn, plan, target)
        ]


def pending_sql(
    database: DatabaseTarget | str,
    migrations_dir: Path = DEFAULT_MIGRATIONS_DIR,
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT,
) -> tuple[Plan, list[Entry]]:
    """For --dry-run: what would be applied, reading the database and changing nothing."""
    plan = status(database, migrations_dir, connect_timeout)
    return plan, plan.pending


def select_rollback(plan: Plan, to: str | None, all_: bool, steps: int) -> list[Entry]:
    """Applied entries to roll back, newest first."""
    applied = [e for e in plan.entries if e.applied_at is not None and e.state is not State.RENAMED]
    applied.sort(key=lambda e: (e.applied_at, e.id), reverse=True)
    if all_:
        return applied
    if to is not None:
        ids = [e.id for e in applied]
        if to not in ids:
            raise ConfigError(f"--to {to}: no applied migration has that id")
        return applied[: ids.index(to)]
    return applied[:steps]


def rollback(
    database: DatabaseTarget | str,
    migrations_dir: Path = DEFAULT_MIGRATIONS_DIR,
    *,
    to: str | None = None,
    all_: bool = False,
    steps: int = 1,
    options: MigrateOptions | None = None,
    on_event: EventSink = _noop,
) -> RollbackResult:
    """Roll back the newest migration, ``steps`` of them, all, or back to ``to`` (kept)."""
    options = options or MigrateOptions()
    target = as_target(database)
    started = time.perf_counter()
    with _locked_session(target, "rollback", options, migrations_dir) as (conn, backend, plan):
        chosen = select_rollback(plan, to, all_, steps)
        migrations = _yoyo_migrations(migrations_dir, _files(chosen))
        blocked = [e for e in chosen if e.state in (State.MISSING, State.MODIFIED)]
        if blocked:
            raise IntegrityFailure(
                "cannot roll back: " + Plan(blocked).describe_problems(),
                hint="restore the applied files, or `astegni-db repair` first",
            )
        no_rollback = [e.id for e in chosen if e.file is not None and e.file.rollback_path is None]
        if no_rollback:
            raise MigrationFailed(
                "cannot roll back: no .rollback.sql file for " + ", ".join(no_rollback)
            )
        done = []
        for e in chosen:
            assert e.file is not None
            done.append(
                runner.run_one(
                    backend, target, e.file, migrations[e.id], "rollback", options.ddl, on_event
                )
            )
    return RollbackResult(done, (time.perf_counter() - started) * 1000)


__all__ = [
    "AstegniError",
    "MigrateOptions",
    "MigrateResult",
    "RollbackResult",
    "migrate",
    "pending_sql",
    "repair",
    "rollback",
    "status",
]
