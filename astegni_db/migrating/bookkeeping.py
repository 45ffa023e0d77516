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
PROGRESS_TABLE = "_astegni_db_progress"
# Created by the first migrate and deliberately kept by every rollback.
BOOKKEEPING_TABLES = (
    MIGRATION_TABLE,
    CHECKSUM_TABLE,
    PROGRESS_TABLE,
    "_yoyo_log",
    "_yoyo_version",
    "yoyo_lock",
)


@dataclass(frozen=True)
class AppliedMigration:
    id: str
    applied_at: datetime
    checksum: str | None  # None: applied by another tool (stock yoyo) before we tracked it


@dataclass(frozen=True)
class StatementProgress:
    """One statement of a non-transactional migration that has not been recorded yet."""

    migration_id: str
    direction: str  # apply, rollback
    statement_no: int  # 1-based
    statements: int
    line: int
    state: str  # running (or killed while running), done, failed
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class History:
    applied: list[AppliedMigration]
    progress: dict[str, list[StatementProgress]]  # by migration id, in statement order


def read_history(conn: psycopg.Connection[Any]) -> History:
    """Applied migrations, oldest first, and the journal of unfinished ones."""
    row = conn.execute(sqlfiles.load("bookkeeping_tables")).fetchone()
    assert row is not None
    has_migrations, has_checksums, has_progress = row
    progress: dict[str, list[StatementProgress]] = {}
    if has_progress:
        for r in conn.execute(sqlfiles.load("progress_read")):
            progress.setdefault(r[0], []).append(StatementProgress(*r))
    if not has_migrations:
        return History([], progress)
    query = "applied_migrations" if has_checksums else "applied_migrations_untracked"
    applied = [
        AppliedMigration(id=r[0], applied_at=r[1], checksum=r[2])
        for r in conn.execute(sqlfiles.load(query))
    ]
    return History(applied, progress)


def create_tables(conn: psycopg.Connection[Any]) -> None:
    """Our checksum table and progress journal, beside yoyo's tables."""
    for table, ddl in ((CHECKSUM_TABLE, "checksum_table"), (PROGRESS_TABLE, "progress_table")):
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
            with conn.transaction():
                conn.execute(sqlfiles.load(ddl))


def mark_statement(
    conn: psycopg.Connection[Any],
    migration_id: str,
    direction: str,
    statement_no: int,
    statements: int,
    line: int,
    state: str,
    error: str | None = None,
) -> None:
    conn.execute(
        sqlfiles.load("progress_mark"),
        {
            "migration_id": migration_id,
            "direction": direction,
            "statement_no": statement_no,
            "statements": statements,
            "line": line,
            "state": state,
            "error": error,
        },
    )


def clear_progress(conn: psycopg.Connection[Any], migration_id: str) -> None:
    conn.execute(sqlfiles.load("progress_clear"), {"migration_id": migration_id})


def record_checksum(conn: psycopg.Connection[Any], migration_id: str, checksum: str) -> None:
    conn.execute(
        sqlfiles.load("checksum_record"), {"migration_id": migration_id, "checksum": checksum}
    )


def forget_checksum(conn: psycopg.Connection[Any], migration_id: str) -> None:
    conn.execute(sqlfiles.load("checksum_forget"), {"migration_id": migration_id})
