"""Snapshots of the schema objects in a database, and what changed between two.

A rollback undid its migration when the snapshot after the rollback equals
the one taken before the migration was applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from astegni_db import db, sqlfiles
from astegni_db.errors import ConnectionFailed, MigrationFailed
from astegni_db.migrating import bookkeeping

# Created by the first migrate and deliberately kept by every rollback.
BOOKKEEPING_TABLES = (
    bookkeeping.MIGRATION_TABLE,
    bookkeeping.CHECKSUM_TABLE,
    "_yoyo_log",
    "_yoyo_version",
    "yoyo_lock",
)

Snapshot = dict[str, str]  # "kind identity" -> description


def snapshot(url: str) -> Snapshot:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            rows = conn.execute(
                sqlfiles.load("schema_objects"), {"ignored": list(BOOKKEEPING_TABLES)}
            ).fetchall()
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(f"lost the check database: {db.describe_db_error(exc)}") from None
    except psycopg.Error as exc:
        raise MigrationFailed(f"reading the schema failed: {db.describe_db_error(exc)}") from None
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
