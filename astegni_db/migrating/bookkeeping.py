"""What the database says was applied: yoyo's tables plus our checksum table.

Reading needs only SELECT (``status`` and ``--dry-run`` must work for a
read-only role), so it uses plain queries and never yoyo's backend, which
creates tables on connect. The SQL is in ``astegni_db/sql/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from astegni_db import sqlfiles

if TYPE_CHECKING:
    import psycopg

# yoyo's default; the stock `yoyo` CLI reads the same table.
MIGRATION_TABLE = "_yoyo_migration"
CHECKSUM_TABLE = "_astegni_db_checksum"
# Created by the first migrate and deliberately kept by every rollback.
BOOKKEEPING_TABLES = (MIGRATION_TABLE, CHECKSUM_TABLE, "_yoyo_log", "_yoyo_version", "yoyo_lock")


@dataclass(frozen=True)
class AppliedMigration:
    id: str
    applied_at: datetime
    checksum: str | None  # None: applied by another tool (stock yoyo) before we tracked it


def read_applied(conn: psycopg.Connection[Any]) -> list[AppliedMigration]:
    """Applied migrations, oldest first; empty when nothing was ever applied."""
    row = conn.execute(sqlfiles.load("bookkeeping_tables")).fetchone()
    assert row is not None
    has_migrations, has_checksums = row
    if not has_migrations:
        return []
    query = "applied_migrations" if has_checksums else "applied_migrations_untracked"
    return [
        AppliedMigration(id=r[0], applied_at=r[1], checksum=r[2])
        for r in conn.execute(sqlfiles.load(query))
    ]


def create_checksum_table(conn: psycopg.Connection[Any]) -> None:
    if conn.execute("SELECT to_regclass(%s)", (CHECKSUM_TABLE,)).fetchone() == (None,):
        with conn.transaction():
            conn.execute(sqlfiles.load("checksum_table"))


def record_checksum(conn: psycopg.Connection[Any], migration_id: str, checksum: str) -> None:
    conn.execute(
        sqlfiles.load("checksum_record"), {"migration_id": migration_id, "checksum": checksum}
    )


def forget_checksum(conn: psycopg.Connection[Any], migration_id: str) -> None:
    conn.execute(sqlfiles.load("checksum_forget"), {"migration_id": migration_id})
