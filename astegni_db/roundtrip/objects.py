"""Snapshots of the schema objects in a database, and what changed between two.

A rollback undid its migration when the snapshot after the rollback equals
the one taken before the migration was applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astegni_db import db, sqlfiles
from astegni_db.migrating.bookkeeping import BOOKKEEPING_TABLES
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    import psycopg

Snapshot = dict[str, str]  # "kind identity" -> description


def snapshot(target: DatabaseTarget) -> Snapshot:
    with db.read_only_session(target, purpose="check", doing="reading the schema") as conn:
        return snapshot_on(conn)


def snapshot_on(conn: psycopg.Connection[Any]) -> Snapshot:
    """The schema as ``conn`` sees it, uncommitted changes of its own transaction included."""
    rows = conn.execute(
        sqlfiles.load("schema_objects"), {"ignored": list(BOOKKEEPING_TABLES)}
    ).fetchall()
    return {f"{kind} {ident}": description for kind, ident, description in rows}


@dataclass(frozen=True)
class ObjectDiff:
    left_behind: list[str] = field(default_factory=list)  # in after, not in before
    removed: list[str] = field(default_factory=list)  # in before, gone after
    changed: list[str] = field(default_factory=list)  # in both, described differently

    @property
    def undone(self) -> bool:
        """Nothing the migration made is left and nothing it changed stays changed."""
        return not self.left_behind and not self.changed

    def lines(self) -> list[str]:
        return (
            [f"left behind: {key}" for key in self.left_behind]
            + [f"still changed: {key}" for key in self.changed]
            + [f"removed although it existed before: {key}" for key in self.removed]
        )


def diff(before: Snapshot, after: Snapshot) -> ObjectDiff:
    return ObjectDiff(
        left_behind=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        changed=sorted(k for k in before.keys() & after.keys() if before[k] != after[k]),
    )
