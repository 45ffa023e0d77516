"""The lint's claims about rewrites, checked against a real PostgreSQL server.

A rule that calls a change catalog-only must be right: for every case here the
lint's verdict is compared with what the server did (did the table's
relfilenode change?).
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from astegni_db.lint import lint_paths
from astegni_db.lint.types import parse_type_text, rewrites

TYPE_CHANGES = [
    ("varchar(10)", "varchar(20)"),
    ("varchar(10)", "varchar(5)"),
    ("varchar(10)", "varchar"),
    ("varchar(10)", "text"),
    ("character varying(10)", "character varying(64)"),
    ("text", "varchar"),
    ("text", "varchar(100)"),
    ("varchar", "varchar(100)"),
    ("numeric(8,2)", "numeric(10,2)"),
    ("numeric(8,2)", "numeric"),
    ("numeric(8,2)", "numeric(10,3)"),
    ("numeric(8,2)", "numeric(6,2)"),
    ("integer", "bigint"),
    ("int", "integer"),
    ("cidr", "inet"),
    ("text[]", "varchar[]"),
]

ADDED_COLUMNS = [
    "c timestamptz DEFAULT now()",
    "c timestamp DEFAULT CURRENT_TIMESTAMP",
    "c timestamptz DEFAULT statement_timestamp()",
    "c text NOT NULL DEFAULT 'x'",
    "c integer",
    "c timestamptz DEFAULT clock_timestamp()",
    "c double precision DEFAULT random()",
    "c uuid DEFAULT gen_random_uuid()",
    "c serial",
    "c bigint GENERATED ALWAYS AS IDENTITY",
    "c integer GENERATED ALWAYS AS (id * 2) STORED",
]


def _server_rewrites(url: str, column_type: str, alter: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS probe")
        conn.execute(f"CREATE TABLE probe (id integer, v {column_type})")
        conn.execute("INSERT INTO probe (id) SELECT g FROM generate_series(1, 50) AS g")
        before = conn.execute("SELECT pg_relation_filenode('probe')").fetchone()
        conn.execute(f"ALTER TABLE probe {alter}")
        after = conn.execute("SELECT pg_relation_filenode('probe')").fetchone()
    return before != after


def test_type_change_verdicts_match_the_server(empty_db_url: str) -> None:
    wrong = []
    for old, new in TYPE_CHANGES:
        old_type, new_type = parse_type_text(old), parse_type_text(new)
        assert old_type is not None and new_type is not None
        predicted = rewrites(old_type, new_type)
        observed = _server_rewrites(empty_db_url, old, f"ALTER COLUMN v TYPE {new}")
        if predicted != observed:
            wrong.append(f"{old} -> {new}: lint says rewrite={predicted}, server did {observed}")
    assert wrong == []


def test_volatile_default_verdicts_match_the_server(empty_db_url: str, tmp_path: Path) -> None:
    wrong = []
    for column in ADDED_COLUMNS:
        migration = tmp_path / "0002_add.sql"
        migration.write_text(f"ALTER TABLE probe ADD COLUMN {column};\n")
        report = lint_paths(
            [migration], spec_path=None, queries_dir=None, disabled=["AD110", "AD106"]
        )
        flagged = [f.rule for f in report.findings] == ["AD101"]
        observed = _server_rewrites(empty_db_url, "integer", f"ADD COLUMN {column}")
        if flagged != observed:
            wrong.append(f"ADD COLUMN {column}: lint flags={flagged}, server rewrote={observed}")
    assert wrong == []
