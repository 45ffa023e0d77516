"""The migration verbs: status, dry run, migrate, rollback and repair.

Each takes a resolved DatabaseTarget, prints nothing and returns a report
(astegni_db/migrating/reports.py) that owns its exit code. migrate,
rollback and repair run inside one locked session: the plan they act on is
the one read under the lock, and rollback and repair ask ``confirm`` (if
given) while holding it, so what was confirmed is exactly what runs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from astegni_db import db, settings
from astegni_db.errors import (
    Aborted,
    ConfigError,
    IntegrityFailure,
    LockNotAcquired,
    MigrationFailed,
)
from astegni_db.migrating import bookkeeping, runner
from astegni_db.migrating.attempts import Event, EventSink, RetryPolicy
from astegni_db.migrating.plan import Entry, Plan, State
from astegni_db.migrating.reports import (
    BehaviourChange,
    DryRunReport,
    MigrateReport,
    RepairReport,
    RollbackReport,
    StatusReport,
)
from astegni_db.migrating.session import (
    LockedSession,
    files_of,
    locked_session,
    read_plan,
    steps_lack_rollback,
)
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    import psycopg

# Asked before a rollback or repair runs: (question for a person, what will be
# done). True goes ahead; False aborts and changes nothing.
Confirm = Callable[[str, str], bool]

# What migrate is told to look at before the first migration and after the last
# (api.migrate passes a catalog reader), and how two looks become changes. Passed
# in: the migration engine knows nothing of catalogs or specs.
Observed = TypeVar("Observed")
Observe = Callable[["psycopg.Connection[Any]"], Observed]
Compare = Callable[[Observed, Observed], list[BehaviourChange]]
Described = tuple[list[BehaviourChange], list[str]]  # the changes; why they are not described


def _no_events(event: Event) -> None:
    return None


@dataclass(frozen=True)
class MigrateOptions:
    lock_timeout_s: float = settings.DEFAULT_LOCK_TIMEOUT_S  # waiting for another run
    ddl: RetryPolicy = field(default_factory=RetryPolicy)  # waiting for table locks
    accept_changes: bool = False  # record edited/renamed/deleted applied files as they are now
    allow_out_of_order: bool = False

    @property
    def policy(self) -> RetryPolicy:
        """The DDL policy, its cleanup bounded by this run's patience."""
        return dataclasses.replace(self.ddl, cleanup_wait_s=self.lock_timeout_s)


@dataclass(frozen=True)
class RollbackSelection:
    """Which applied migrations to roll back: the newest ``steps``, all, or all after ``to``."""

    to: str | None = None
    all: bool = False
    steps: int = 1

    def __post_init__(self) -> None:
        if self.to is not None and self.all:
            raise ConfigError("--to and --all cannot be combined")

    def choose(self, plan: Plan) -> list[Entry]:
        """Applied entries to roll back, newest first."""
        applied = [
            e for e in plan.entries if e.applied_at is not None and e.state is not State.RENAMED
        ]
        applied.sort(key=lambda e: (e.applied_at, e.id), reverse=True)
        if self.all:
            return applied
        if self.to is not None:
            ids = [e.id for e in applied]
            if self.to not in ids:
                raise ConfigError(f"--to {self.to}: no applied migration has that id")
            return applied[: ids.index(self.to)]
        return applied[: self.steps]


def status(target: DatabaseTarget, migrations_dir: Path, *, gate: bool = False) -> StatusReport:
    """Applied, pending, modified, missing, renamed: needs only SELECT rights."""
    return StatusReport(read_plan(target, migrations_dir, purpose="status"), gate=gate)


def dry_run(target: DatabaseTarget, migrations_dir: Path) -> DryRunReport:
    """What migrate would apply, reading the database and changing nothing."""
    plan = read_plan(target, migrations_dir, purpose="dry run")
    return DryRunReport(database=target.redacted, dbname=target.dbname, plan=plan)


def migrate(
    target: DatabaseTarget,
    migrations_dir: Path,
    options: MigrateOptions | None = None,
    on_event: EventSink = _no_events,
    *,
    observe: Observe[Observed] | None = None,
    compare: Compare[Observed] | None = None,
) -> MigrateReport:
    """Apply every pending migration, each atomically with its bookkeeping.

    With ``observe`` and ``compare``, and only when something is pending,
    ``observe(conn)`` runs on the locked session before the first migration and
    after the last; ``compare(before, after)`` becomes the report's
    behaviour_changes. Both reads wait for table locks no longer than the
    session's lock_timeout.
    """
    options = options or MigrateOptions()
    started = time.perf_counter()
    with _session(target, migrations_dir, "migrate", options) as session:
        plan = session.plan
        # Every pending file parses before the first one runs.
        migrations = session.yoyo_migrations(plan.pending)
        repaired: list[str] = []
        if plan.problems:
            if not options.accept_changes:
                raise IntegrityFailure(
                    f"applied migrations changed on disk: {plan.describe_problems()}",
                    hint="see `astegni-db status`; if intended, `astegni-db repair` "
                    "(or migrate --accept-changes) records the files as they are now",
                )
            repaired = _repair(session, migrations)
        if plan.out_of_order and not options.allow_out_of_order:
            names = ", ".join(e.id for e in plan.out_of_order)
            raise IntegrityFailure(
                f"pending migrations sort before ones already applied: {names}",
                hint="rename them to sort last, or pass --allow-out-of-order",
            )
        adopted = _adopt_untracked(session)
        # Looked at before anything runs, so a failure there (a spec that does
        # not load) stops the migrate with nothing changed.
        look_again = (
            _watch(session, observe, compare)
            if observe is not None and compare is not None and plan.pending
            else None
        )
        applied = [
            runner.run_one(
                session.backend, target, mf, migrations[mf.id], "apply", options.policy, on_event
            )
            for mf in files_of(plan.pending)
        ]
        changes, undescribed = look_again() if look_again is not None else ([], [])
    return MigrateReport(
        database=target.redacted,
        dbname=target.dbname,
        applied=applied,
        plan_before=plan,
        adopted=adopted,
        repaired=repaired,
        duration_ms=(time.perf_counter() - started) * 1000,
        behaviour_changes=changes,
        behaviour_warnings=undescribed,
    )


def _watch(
    session: LockedSession, observe: Observe[Observed], compare: Compare[Observed]
) -> Callable[[], Described]:
    """Observe now; the function returned observes again and says what changed.

    A table lock another session holds past the session's lock_timeout leaves
    the changes undescribed, never fails the run: by the second look the
    migrations have committed.
    """
    import psycopg

    gave_up = (LockNotAcquired, psycopg.errors.LockNotAvailable)
    try:
        before = observe(session.conn)
    except gave_up as exc:
        reason = _undescribed(exc)
        return lambda: ([], [reason])

    def look_again() -> Described:
        try:
            after = observe(session.conn)
        except gave_up as exc:
            return [], [_undescribed(exc)]
        return compare(before, after), []

    return look_again


def _undescribed(exc: Exception) -> str:
    why = exc.message if isinstance(exc, LockNotAcquired) else db.describe_db_error(exc)
    return f"changes not described: {why}"


def rollback(
    target: DatabaseTarget,
    migrations_dir: Path,
    selection: RollbackSelection,
    options: MigrateOptions | None = None,
    on_event: EventSink = _no_events,
    confirm: Confirm | None = None,
) -> RollbackReport:
    """Roll back the selected migrations, newest first, each with its bookkeeping."""
    options = options or MigrateOptions()
    started = time.perf_counter()
    with _session(target, migrations_dir, "rollback", options) as session:
        chosen = selection.choose(session.plan)
        if not chosen:
            return RollbackReport([], 0.0)
        blocked = [e for e in chosen if e.state in (State.MISSING, State.MODIFIED)]
        if blocked:
            raise IntegrityFailure(
                "cannot roll back: " + Plan(blocked).describe_problems(),
                hint="restore the applied files, or `astegni-db repair` first",
            )
        migrations = session.yoyo_migrations(chosen)
        # A SQL migration's rollback is its .rollback.sql file; a Python one's, the
        # rollback of every step (checked before anything runs, as for SQL).
        no_rollback = [
            mf.id
            for mf in files_of(chosen)
            if (mf.rollback_text is None if mf.is_sql else steps_lack_rollback(migrations[mf.id]))
        ]
        if no_rollback:
            raise MigrationFailed(
                "cannot roll back: no rollback for "
                + ", ".join(no_rollback)
                + " (a .rollback.sql file, or a rollback for every step of a .py migration)"
            )
        names = ", ".join(e.id for e in chosen)
        _ask(confirm, f"Roll back {names} on {target.redacted}?", f"roll back {names}")
        done = [
            runner.run_one(
                session.backend,
                target,
                mf,
                migrations[mf.id],
                "rollback",
                options.policy,
                on_event,
            )
            for mf in files_of(chosen)
        ]
    return RollbackReport(done, (time.perf_counter() - started) * 1000)


def repair(
    target: DatabaseTarget,
    migrations_dir: Path,
    options: MigrateOptions | None = None,
    confirm: Confirm | None = None,
) -> RepairReport:
    """Accept edited, renamed and deleted applied migrations as they are on disk now."""
    options = options or MigrateOptions()
    with _session(target, migrations_dir, "repair", options) as session:
        if not session.plan.problems:
            return RepairReport([])
        _ask(confirm, f"Accept: {session.plan.describe_problems()}?", "repair")
        migrations = session.yoyo_migrations([])  # bookkeeping only: nothing runs
        done = _repair(session, migrations)
        done += [f"recorded the checksum of {i}" for i in _adopt_untracked(session)]
    return RepairReport(done)


def _session(
    target: DatabaseTarget, migrations_dir: Path, purpose: str, options: MigrateOptions
) -> AbstractContextManager[LockedSession]:
    return locked_session(
        target, migrations_dir, purpose=purpose, lock_timeout_s=options.lock_timeout_s
    )


def _ask(confirm: Confirm | None, question: str, action: str) -> None:
    if confirm is not None and not confirm(question, action):
        raise Aborted("aborted")


def _adopt_untracked(session: LockedSession) -> list[str]:
    """Record checksums for migrations applied before astegni-db tracked them."""
    import psycopg

    entries = session.plan.having(State.UNTRACKED)
    try:
        with session.conn.transaction():
            for mf in files_of(entries):
                bookkeeping.record_checksum(session.conn, mf.id, mf.checksum)
    except psycopg.Error as exc:
        raise db.translate(exc, session.target, "recording checksums") from None
    return [e.id for e in entries]


def _repair(session: LockedSession, migrations: dict[str, Any]) -> list[str]:
    """Make the bookkeeping match the files, touching no schema object."""
    import psycopg
    from yoyo.migrations import Migration

    conn, backend = session.conn, session.backend
    done = []
    try:
        with backend.transaction():
            for e in session.plan.problems:
                if e.state is State.MISSING:
                    backend.unmark_one(Migration(e.id, "", ""), log=True)
                    bookkeeping.forget_checksum(conn, e.id)
                    done.append(f"forgot {e.id} (file deleted)")
                elif e.state is State.RENAMED:
                    assert e.renamed_from is not None and e.file is not None
                    backend.unmark_one(Migration(e.renamed_from, "", ""), log=True)
                    bookkeeping.forget_checksum(conn, e.renamed_from)
                    backend.mark_one(migrations[e.id], log=True)
                    bookkeeping.record_checksum(conn, e.id, e.file.checksum)
                    done.append(f"{e.renamed_from} is now recorded as {e.id}")
                else:
                    assert e.file is not None
                    bookkeeping.record_checksum(conn, e.id, e.file.checksum)
                    done.append(f"accepted the edited {e.id}")
    except psycopg.Error as exc:
        raise db.translate(exc, session.target, "repairing the migration history") from None
    return done
