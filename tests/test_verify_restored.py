"""A database restored from `pg_dump --schema-only` verifies like the original.

PostgreSQL prints the restored tutor_teaching_schedules CHECKs with their
string casts arranged differently; production databases restored from
backups must not fail verify for that.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

from astegni_db import api
from astegni_db.roundtrip.fixtures import load_dump
from tests.helpers import QUERIES, SPEC, pg_dump_for


def test_schema_restored_from_a_dump_verifies_clean(
    migrated_db_url: str, empty_db_url: str, tmp_path: Path
) -> None:
    dump = tmp_path / "schema.sql"
    subprocess.run(
        [
            pg_dump_for(migrated_db_url),
            "--schema-only",
            "--no-owner",
            "-f",
            str(dump),
            migrated_db_url,
        ],
        check=True,
        capture_output=True,
    )
    load_dump(api.as_target(empty_db_url), dump)
    with psycopg.connect(empty_db_url) as conn:
        restored = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'tutor_teaching_schedules'::regclass AND contype = 'c' "
            "ORDER BY conname"
        ).fetchall()
    assert restored, "the restored table has its CHECKs"
    report = api.verify(empty_db_url, SPEC, QUERIES)
    failing = [c.message for c in report.findings if c.status == "error"]
    assert failing == [] and report.exit_code == 0
