"""How far down the round trip may go when it starts from a dump or a legacy state.

From an empty database every migration is rolled back. From a dump, some
migrations found their objects already there (the baseline on a production
schema creates nothing) or changed objects the dump had (0002 rewriting the
comments of columns a legacy script added): rolling those back would drop or
alter what the dump had, which is never what a rollback on production may do.

So each rollback, newest first, is first tried inside a transaction that is
then thrown away, on the schema as it would be by then. It is taken only if
it gives back exactly the schema from before its migration, every object of
the dump included; the first one that would not, and every older one, stay
applied, and the report says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astegni_db import db
from astegni_db.project.migration_files import MigrationFile, split_statements
from astegni_db.roundtrip.objects import Snapshot, snapshot_on
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import psycopg


# A migration the round trip applied, and the schema right after it.
AppliedStep = tuple[str, Snapshot]


@dataclass
class RollbackPlan:
    roll_back: list[str] = field(default_factory=list)  # newest first
    kept: str | None = None  # the newest migration that stays applied (older ones stay too)
    reason: str = ""  # why it stays


def plan_rollbacks(
    target: DatabaseTarget,
    start: Snapshot,
    applied: Sequence[AppliedStep],
    files: Mapping[str, MigrationFile],
) -> RollbackPlan:
    """The migrations to roll back, newest first, and where the descent stops."""
    plan = RollbackPlan()
    if not start:  # an empty database: nothing of anyone else's to keep
        plan.roll_back = [migration for migration, _ in reversed(applied)]
        return plan
    before = _states_before(start, applied)
    with (
        db.connect(target, purpose="check trial") as conn,
        conn.transaction(force_rollback=True),  # every trial is thrown away
    ):
        for migration, after in reversed(applied):
            reason = _why_kept(conn, start, before[migration], after, files.get(migration))
            if reason:
                plan.kept, plan.reason = migration, reason
                break
            plan.roll_back.append(migration)
    return plan


def _states_before(start: Snapshot, applied: Sequence[AppliedStep]) -> dict[str, Snapshot]:
    before: dict[str, Snapshot] = {}
    previous = start
    for migration, after in applied:
        before[migration] = previous
        previous = after
    return before


def _why_kept(
    conn: psycopg.Connection[Any],
    start: Snapshot,
    expected: Snapshot,
    after: Snapshot,
    mf: MigrationFile | None,
) -> str:
    """Why a migration must stay applied on this start; empty when its rollback may run.

    ``expected`` is the schema before it was applied, ``after`` the schema right after.
    """
    import psycopg

    # A migration that created nothing here may only be undone if its rollback
    # changes nothing either (0004 on every start but the ORM's): otherwise the
    # rollback could only remove what the dump had.
    created_nothing = not after.keys() - expected.keys()
    if created_nothing and after != expected:
        return _CREATED_NOTHING
    if mf is None or mf.rollback_sql is None or not mf.is_sql:
        return (
            _CREATED_NOTHING
            if created_nothing
            else ("its rollback cannot be tried without running it: not a SQL file")
        )
    trial_sql = trial_text(mf.rollback_sql) if not mf.transactional else mf.rollback_sql
    if trial_sql is None:
        return (
            _CREATED_NOTHING
            if created_nothing
            else (
                "its rollback cannot be tried without running it: a statement in it cannot run "
                "inside a transaction"
            )
        )
    try:
        with conn.transaction():  # a savepoint: older trials see this one done
            conn.execute(trial_sql.encode())
            trial = snapshot_on(conn)
    except psycopg.Error as exc:
        return (
            _CREATED_NOTHING
            if created_nothing
            else (f"its rollback refuses here: {db.describe_db_error(exc)}")
        )
    lost = sorted((key for key in start if trial.get(key) != expected.get(key)), key=_weight)
    if lost and created_nothing:
        return _CREATED_NOTHING
    if lost:
        shown = ", ".join(lost[:3]) + (f" and {len(lost) - 3} more" if len(lost) > 3 else "")
        return f"its rollback would drop or change {len(lost)} object(s) the dump had: {shown}"
    return ""


_CREATED_NOTHING = "it created nothing here, so its rollback could only remove what the dump had"


_CONCURRENTLY = re.compile(
    r"\A((?:\s+|--[^\n]*\n|/\*.*?\*/)*(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX|"
    r"REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE)))\s+CONCURRENTLY\b",
    re.IGNORECASE | re.DOTALL,
)
_REFUSED_IN_TRANSACTION = re.compile(
    r"\b(CONCURRENTLY|VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE)\b", re.IGNORECASE
)


def trial_text(rollback_sql: str) -> str | None:
    """A `-- transactional: false` rollback as one transaction can try it; None if it cannot.

    ``CREATE/DROP INDEX CONCURRENTLY`` and ``REINDEX ... CONCURRENTLY`` end in
    the same catalog as their plain forms, which a transaction accepts: only
    the locks differ, and the trial runs on a throwaway server inside a
    savepoint that is rolled back. The real rollback later runs the file as
    written. Anything else PostgreSQL refuses in a transaction (VACUUM, a
    CONCURRENTLY elsewhere) cannot be tried.
    """
    statements = []
    for statement, _line in split_statements(rollback_sql):
        plain = _CONCURRENTLY.sub(r"\1", statement, count=1)
        if _REFUSED_IN_TRANSACTION.search(_without_comments(plain)):
            return None
        statements.append(plain)
    return "\n".join(statements)  # each keeps its own ";" (split_statements)


def _without_comments(statement: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement, flags=re.DOTALL)


def _weight(key: str) -> tuple[int, str]:
    """Whole relations first: "table public.users" says more than its columns do."""
    kind = key.split(" ", 1)[0]
    return (0 if kind in ("table", "view", "schema") else 1, key)
