"""What the database says was applied: yoyo's tables plus our checksum table.

Reading needs only SELECT (``status`` and ``--dry-run`` must work for a
read-only role), so it uses plain queries and never yoyo's backend, which
creates tables on connect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# yoyo's default; the stock `yoyo` CLI reads the same table.
MIGRATION_TABLE = "_yoyo_migration"
CHECKSUM_TABLE = "_astegni_db_checksum"

CREATE_CHECKSUM_TABLE = f"""
CREATE TABLE IF NOT EXISTS {CHECKSUM_TABLE} (
    migration_id varchar(191) PRIMARY KEY,
    checksum char(64) NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)"""
COMMENT_CHECKSUM_TABLE = (
    f"COMMENT ON TABLE {CHECKSUM_TABLE} IS "
    "'astegni-db: content checksum of each applied migration (LF-normalised sha256)'"
)
UPSERT_CHECKSUM = f"""
INSERT INTO {CHECKSUM_TABLE} (migration_id, checksum) VALUES (%s, %s)
ON CONFLICT (migration_id) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()"""
DELETE_CHECKSUM = f"DELETE FROM {CHECKSUM_TABLE} WHERE migration_id = %s"


@dataclass(frozen=True)
class AppliedMigration:
    id: str
    applied_at: datetime
    checksum: str | None  # None: applied by another tool (stock yoyo) before we tracked it


def read_applied(conn: psycopg.Connection) -> list[AppliedMigration]:
    """Applied migrations, oldest first; empty when nothing was ever applied."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        (MIGRATION_TABLE, CHECKSUM_TABLE),
    ).fetchone()
    assert row is not None
    has_migrations, has_checksums = row
    if not has_migrations:
        return []
    if has_checksums:
        query = f"""
            SELECT m.migration_id, m.applied_at_utc, c.checksum
            FROM {MIGRATION_TABLE} AS m
            LEFT JOIN {CHECKSUM_TABLE} AS c ON c.migration_id = m.migration_id
            ORDER BY m.applied_at_utc, m.migration_id"""
    else:
        query = f"""
            SELECT migration_id, applied_at_utc, NULL
            FROM {MIGRATION_TABLE} ORDER BY applied_at_utc, migration_id"""
    return [AppliedMigration(id=r[0], applied_at=r[1], checksum=r[2]) for r in conn.execute(query)]
