"""Before migrating: which queries on a hot standby the migration's locks will run into.

Of all the locks DDL takes on the primary, only ACCESS EXCLUSIVE ones are
written to the WAL, and a standby takes each again when it replays it. A
query on the standby that holds that table (even a plain SELECT, which holds
ACCESS SHARE until its transaction ends) then conflicts with replay, and the
standby's ``max_standby_streaming_delay`` decides who gives way:

- ``-1``: replay waits for the query, however long it runs; everything after
  the lock waits too, so the standby falls further behind every second;
- otherwise: replay waits at most that long (since the WAL arrived), then the
  standby cancels the query (``canceling statement due to conflict with recovery``).

Which statement takes which lock is lint's knowledge (astegni_db/lint/locks.py),
read here from the pending migrations' parse trees; the standbys are asked
which sessions hold those tables now, and for how long they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astegni_db import db, sqlfiles
from astegni_db.errors import AstegniError
from astegni_db.project.migration_files import MigrationFile
from astegni_db.replicas.standbys import standby_name
from astegni_db.settings import DatabaseTarget

# A transaction open this long on a standby is worth naming: a shorter one
# delays replay by less than the migration itself takes.
DEFAULT_OLDER_THAN_S = 5.0
# The check only advises: a standby that does not answer this fast is left
# to the wait after the migration, which reports it properly.
_CHECK_CONNECT_TIMEOUT_S = 5
_CHECK_LOCK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ExclusiveLock:
    """A relation a pending migration locks ACCESS EXCLUSIVE (replayed on standbys)."""

    migration_id: str
    relation: str  # unqualified, as lint names relations
    line: int  # the statement's line in the migration file


@dataclass(frozen=True)
class ConflictWarning:
    """One session on one standby that the migration's replayed locks will conflict with."""

    standby: str  # standby_name
    pid: int
    application_name: str
    state: str  # active, idle in transaction...
    open_s: float  # how long its transaction has been open
    relations: tuple[str, ...]  # the tables (or indexes) it holds that the migrations lock
    migrations: tuple[str, ...]  # the pending migrations that lock them
    streaming_delay: str  # max_standby_streaming_delay as the standby shows it ("30s", "-1")
    streaming_delay_ms: int
    hot_standby_feedback: bool

    @property
    def outcome(self) -> str:
        if self.streaming_delay_ms < 0:
            return (
                "max_standby_streaming_delay = -1, so replay waits until it ends and the "
                "standby falls further behind meanwhile (lag grows without bound)"
            )
        if self.streaming_delay_ms == 0:
            return "max_standby_streaming_delay = 0, so the standby cancels it at once"
        return (
            f"max_standby_streaming_delay = {self.streaming_delay}, so the standby cancels it "
            f"if replay has waited {self.streaming_delay} for it"
        )

    def message(self) -> str:
        return (
            f"standby {self.standby}: pid {self.pid} ({self.application_name}, {self.state}, "
            f"transaction open {self.open_s:.0f} s) holds {', '.join(self.relations)}, "
            f"which {', '.join(self.migrations)} lock(s) ACCESS EXCLUSIVE; {self.outcome}"
        )

    def json_body(self) -> dict[str, Any]:
        return {
            "standby": self.standby,
            "pid": self.pid,
            "application_name": self.application_name,
            "state": self.state,
            "transaction_open_s": round(self.open_s, 1),
            "relations": list(self.relations),
            "migrations": list(self.migrations),
            "max_standby_streaming_delay": self.streaming_delay,
            "hot_standby_feedback": self.hot_standby_feedback,
            "outcome": self.outcome,
        }


@dataclass
class ConflictCheck:
    """What the check before migrating found: warnings, and what it could not check."""

    locks: list[ExclusiveLock] = field(default_factory=list)
    warnings: list[ConflictWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def exclusive_locks(
    files: Sequence[MigrationFile], pending_ids: Sequence[str]
) -> tuple[list[ExclusiveLock], list[str]]:
    """The ACCESS EXCLUSIVE locks the pending migrations among ``files`` take on
    relations that exist before them, and notes on what could not be read.

    Every file is read in order, applied ones too, so that lint's history knows
    which table an index belongs to (DROP INDEX locks its table). A relation a
    pending migration creates is left out: no standby query can hold it yet.
    """
    from astegni_db.lint.context import FileContext, History
    from astegni_db.lint.locks import ACCESS_EXCLUSIVE
    from astegni_db.lint.readset import ReadSet
    from astegni_db.lint.statements import parse_migration

    pending = set(pending_ids)
    history = History()
    created_before: set[str] = set()
    found: list[ExclusiveLock] = []
    notes: list[str] = []
    for migration in files:
        if not migration.is_sql:
            if migration.id in pending:
                notes.append(f"{migration.id}: Python migrations are not read for their locks")
            continue
        source = parse_migration(migration)
        if source.syntax_errors and migration.id in pending:
            notes.append(f"{migration.id}: not read for its locks (a syntax error)")
        ctx = FileContext(source, ReadSet(), history)
        for statement in source.statements:
            if migration.id in pending:
                for name, mode in ctx.locks(statement).items():
                    new = name in created_before or not ctx.is_existing(name)
                    if mode == ACCESS_EXCLUSIVE and not new:
                        found.append(ExclusiveLock(migration.id, name, statement.line))
            ctx.record(statement)
        if migration.id in pending:
            # A table an earlier pending migration creates is as new as this one's.
            created_before |= ctx.created
    return found, notes


def standby_conflicts(
    standbys: Sequence[DatabaseTarget],
    locks: Sequence[ExclusiveLock],
    *,
    older_than_s: float = DEFAULT_OLDER_THAN_S,
) -> ConflictCheck:
    """Ask each standby which sessions, open at least ``older_than_s``, hold a relation
    in ``locks``; one warning per session. Never raises for a standby's sake: one
    that cannot be asked becomes a note (the wait after migrating reports it)."""
    check = ConflictCheck(locks=list(locks))
    if not locks:
        return check
    names = sorted({lock.relation for lock in locks})
    for target in standbys:
        try:
            check.warnings += _ask_standby(target, locks, names, older_than_s)
        except AstegniError as exc:
            check.notes.append(
                f"standby {standby_name(target)}: conflicts not checked: {exc.message}"
            )
    return check


def check_before_migrating(
    primary: DatabaseTarget,
    standbys: Sequence[DatabaseTarget],
    migrations_dir: Path,
    *,
    older_than_s: float = DEFAULT_OLDER_THAN_S,
) -> ConflictCheck:
    """What is pending on ``primary`` (read-only), its ACCESS EXCLUSIVE locks, and the
    standby sessions they will conflict with. A primary that cannot be read raises:
    the migration would fail the same way."""
    from astegni_db.migrating.plan import State
    from astegni_db.migrating.session import read_plan

    if not standbys:
        return ConflictCheck()
    plan = read_plan(primary, migrations_dir, purpose="standby conflicts")
    files = [entry.file for entry in plan.entries if entry.file is not None]
    pending = [entry.id for entry in plan.entries if entry.state == State.PENDING]
    if not pending:
        return ConflictCheck()
    locks, notes = exclusive_locks(files, pending)
    check = standby_conflicts(standbys, locks, older_than_s=older_than_s)
    check.notes = notes + check.notes
    return check


def _ask_standby(
    target: DatabaseTarget, locks: Sequence[ExclusiveLock], names: list[str], older_than_s: float
) -> list[ConflictWarning]:
    from psycopg.rows import dict_row

    name = standby_name(target)
    quick = DatabaseTarget(
        url=target.url,
        source=target.source,
        secrets=target.secrets,
        connect_timeout=min(target.connect_timeout, _CHECK_CONNECT_TIMEOUT_S),
    )
    with (
        db.bounded_read_only_session(
            quick,
            purpose="standby conflicts",
            doing=f"checking standby {name} for conflicting queries",
            lock_timeout_s=_CHECK_LOCK_TIMEOUT_S,
        ) as conn,
        conn.cursor(row_factory=dict_row) as cur,
    ):
        settings = cur.execute(sqlfiles.load("replica_conflict_settings")).fetchone()
        assert settings is not None
        if not settings["in_recovery"]:
            raise _not_a_standby(name)
        sessions = cur.execute(
            sqlfiles.load("replica_conflicting_queries"),
            {"names": names, "older_than_s": float(older_than_s)},
        ).fetchall()
    warnings = []
    for row in sessions:
        held = tuple(row["relations"])
        warnings.append(
            ConflictWarning(
                standby=name,
                pid=int(row["pid"]),
                application_name=str(row["application_name"]),
                state=str(row["state"]),
                open_s=float(row["open_s"] or 0.0),
                relations=held,
                migrations=tuple(
                    dict.fromkeys(k.migration_id for k in locks if k.relation in held)
                ),
                streaming_delay=str(settings["streaming_delay"]),
                streaming_delay_ms=int(settings["streaming_delay_ms"]),
                hot_standby_feedback=bool(settings["hot_standby_feedback"]),
            )
        )
    return warnings


def _not_a_standby(name: str) -> AstegniError:
    from astegni_db.errors import ConfigError

    return ConfigError(f"{name} is not a standby: pg_is_in_recovery() is false there")
