"""The lint's claims about rewrites, checked against a real PostgreSQL server.

A rule that calls a change catalog-only must be right: for every case here the
lint's verdict is compared with what the server did (did the table's
relfilenode change?). The built-in functions' volatilities the lint ships
(astegni_db/lint/pg15_function_volatility.txt) are compared with the server's
pg_proc; to regenerate the file: ``python -m tests.test_lint_facts URL`` with
the URL of a PostgreSQL 15 server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

from astegni_db.lint import lint_paths
from astegni_db.lint.types import parse_type_text, rewrites
from astegni_db.lint.volatility import CATALOG_FILE, CATALOG_QUERY, render_catalog

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
    # Functions FUNCTIONS creates, which the lint sees created by an earlier migration.
    "c integer DEFAULT probe_volatile()",
    "c integer DEFAULT probe_stable()",
    "c integer DEFAULT probe_immutable()",
    "c integer DEFAULT probe_undeclared()",
    "c text DEFAULT lower('X')",
    "c text DEFAULT 'x'::text",
    "c text DEFAULT timeofday()",
    "c text DEFAULT md5(random()::text)",
]
# The same plpgsql body VOLATILE and STABLE; an IMMUTABLE sql function; one that says
# nothing (PostgreSQL makes it VOLATILE).
FUNCTIONS = """
CREATE FUNCTION probe_volatile() RETURNS integer LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN 1; END $$;
CREATE FUNCTION probe_stable() RETURNS integer LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN 1; END $$;
CREATE FUNCTION probe_immutable() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE OR REPLACE FUNCTION probe_undeclared() RETURNS integer LANGUAGE plpgsql
    AS $$ BEGIN RETURN 1; END $$;
"""


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
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(FUNCTIONS)
    functions = tmp_path / "0001_functions.sql"
    functions.write_text(FUNCTIONS)
    wrong = []
    for column in ADDED_COLUMNS:
        migration = tmp_path / "0002_add.sql"
        migration.write_text(f"ALTER TABLE probe ADD COLUMN {column};\n")
        report = lint_paths(
            [functions, migration], spec_path=None, queries_dir=None, disabled=["AD110", "AD106"]
        )
        found = [f.rule for f in report.findings if f.file == str(migration)]
        flagged = found == ["AD101"]
        observed = _server_rewrites(empty_db_url, "integer", f"ADD COLUMN {column}")
        if flagged != observed:
            wrong.append(f"ADD COLUMN {column}: lint flags={flagged}, server rewrote={observed}")
    assert wrong == []


def test_function_volatility_file_is_postgresql_15s(empty_db_url: str) -> None:
    with psycopg.connect(empty_db_url) as conn:
        major = conn.info.server_version // 10000
        assert major == 15, f"the file records PostgreSQL 15's pg_proc; this server is {major}"
        expected = render_catalog(conn.execute(CATALOG_QUERY).fetchall())
        volatile_operators = conn.execute(
            "SELECT count(*) FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode"
            " WHERE p.provolatile = 'v'"
        ).fetchone()
    # Stale: regenerate with `python -m tests.test_lint_facts URL` (the module docstring).
    assert CATALOG_FILE.read_text(encoding="utf-8") == expected
    # The lint does not look at operators (astegni_db/lint/volatility.py): none is volatile.
    assert volatile_operators == (0,)


if __name__ == "__main__":
    with psycopg.connect(sys.argv[1]) as connection:
        CATALOG_FILE.write_text(
            render_catalog(connection.execute(CATALOG_QUERY).fetchall()), encoding="utf-8"
        )
    print(f"wrote {CATALOG_FILE}")
