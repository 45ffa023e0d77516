"""The lint reads the statements yoyo runs: yoyo's cut of a file (sqlparse) and
PostgreSQL's (pglast) must agree, or the lint says the file cannot run.

lint cuts a file with project/migration_files.split_statements (sqlparse, as
yoyo does) and parses each piece with PostgreSQL's grammar. For every file it
lints here, the pieces yoyo's own reader turns into steps must be the
statements PostgreSQL's parser finds in the whole file: same count, same
tokens (whitespace, comments and the trailing semicolon aside). Where sqlparse
cuts where PostgreSQL would not (an E'' string ending in a backslash, nested
comments), the piece yoyo sends is refused by the server and by the lint alike.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from astegni_db.lint import lint_paths
from astegni_db.project.migration_files import split_statements
from astegni_db.sqlgrammar import SqlSyntaxError, parse_statements
from tests.helpers import MIGRATIONS_DIR, REPO

# Every directory of migration files the project lints or tests lint with.
MIGRATION_DIRS = [
    MIGRATIONS_DIR,
    *sorted(p for p in (REPO / "tests" / "lint_cases").iterdir() if p.is_dir()),
    REPO / "tests" / "lint_corpus",
    REPO / "tests" / "lint_corpus" / "hazard",
    REPO / "tests" / "lint_corpus" / "safe",
]


def tokens(statement: str) -> list[str]:
    """The statement as PostgreSQL's scanner reads it, without comments and the final ';'."""
    from pglast import parser

    found = [
        statement[t.start : t.end + 1]
        for t in parser.scan(statement)
        if t.name not in ("SQL_COMMENT", "C_COMMENT")
    ]
    while found and found[-1] == ";":
        found.pop()
    return found


def first_line(chunk: str, line: int) -> int:
    """The line of the chunk's first token (the chunk starts with its comments)."""
    from pglast import parser

    first = next(
        (t.start for t in parser.scan(chunk) if t.name not in ("SQL_COMMENT", "C_COMMENT")), 0
    )
    return line + chunk.count("\n", 0, first)


def yoyo_steps(directory: Path) -> dict[str, list[str]]:
    """migration id -> the SQL of each step yoyo would run, in order."""
    import yoyo

    steps: dict[str, list[str]] = {}
    for migration in yoyo.read_migrations(str(directory)):
        migration.load()
        # A step without SQL only carries a rollback statement (the rollback file is longer).
        applied = [wrapper.step._apply for wrapper in migration.steps]
        steps[migration.id] = [s for s in applied if s is not None]
    return steps


def test_every_linted_file_is_cut_by_yoyo_where_postgresql_cuts_it() -> None:
    checked = refused = 0
    for directory in MIGRATION_DIRS:
        for migration_id, steps in yoyo_steps(directory).items():
            path = directory / f"{migration_id}.sql"
            text = path.read_text()
            try:
                statements = parse_statements(text)
            except SqlSyntaxError:
                # A case of a statement the grammar refuses (AD100's lint case, a corpus
                # hazard): PostgreSQL's scanner still says where its statements end.
                assert (
                    path.name == "bad.sql"
                    and directory.name.startswith("AD100")
                    or ("-- expect: AD100" in text)
                ), path
                parsed = [tokens(s) for s in pglast_scanner_split(text)]
                lines = None
                refused += 1
            else:
                parsed = [tokens(s.text) for s in statements]
                lines = [s.line for s in statements]
            # A comment after the last statement is a step of its own: an empty query.
            assert [tokens(s) for s in steps if tokens(s)] == parsed, path
            # The lint's own cut is yoyo's, and puts each statement on PostgreSQL's line.
            ours = [
                (tokens(chunk), first_line(chunk, line)) for chunk, line in split_statements(text)
            ]
            assert [t for t, _ in ours if t] == parsed, path
            if lines is not None:
                assert [line for t, line in ours if t] == lines, path
            checked += 1
    assert checked >= 100  # the project's migrations, the lint cases, the corpus
    assert refused >= 1  # AD100's cases


def pglast_scanner_split(text: str) -> list[str]:
    """Statements as PostgreSQL's scanner delimits them (no grammar: for refused text)."""
    import pglast

    return list(pglast.split(text, with_parser=False))


# Each: a file, and the statements PostgreSQL finds in it (tokens joined by spaces).
AGREEING = {
    "dollar-quoted body": (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2 $$;\nSELECT 3;\n",
        ["CREATE FUNCTION f ( ) RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2 $$", "SELECT 3"],
    ),
    "tagged body with a nested tag and a string": (
        "DO $body$\nBEGIN\n  EXECUTE $q$ SELECT 1; $q$;\n  RAISE NOTICE 'a;b';\nEND\n$body$;\n"
        "SELECT 2;\n",
        [
            "DO $body$\nBEGIN\n  EXECUTE $q$ SELECT 1; $q$;\n  RAISE NOTICE 'a;b';\nEND\n$body$",
            "SELECT 2",
        ],
    ),
    "semicolons in strings and quoted names": (
        "INSERT INTO t VALUES ('a;b');\nSELECT 1 AS \"x;y\";\n",
        ["INSERT INTO t VALUES ( 'a;b' )", 'SELECT 1 AS "x;y"'],
    ),
    "semicolons in comments": (
        "SELECT 1; -- a; b\nSELECT 2; /* c; d */ SELECT 3;\n",
        ["SELECT 1", "SELECT 2", "SELECT 3"],
    ),
    "E'' string with an escaped quote": (
        "SELECT E'it\\'s; fine';\nSELECT 2;\n",
        ["SELECT E'it\\'s; fine'", "SELECT 2"],
    ),
    "standard string ending in a backslash": (
        "SELECT 'a\\';\nSELECT 2;\n",
        ["SELECT 'a\\'", "SELECT 2"],
    ),
    "BEGIN ATOMIC body": (
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3;\n",
        [
            "CREATE FUNCTION g ( ) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 ; SELECT 2 ; END",
            "SELECT 3",
        ],
    ),
}

# sqlparse cuts these where PostgreSQL does not: yoyo would send broken pieces.
DIVERGING = {
    "E'' string ending in an escaped backslash": "SELECT E'a\\\\';\nSELECT 'b;c';\n",
    "nested comment holding a semicolon": "SELECT 1;\n/* outer /* inner; */ still; */\nSELECT 2;\n",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "0001_tricky.sql"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", AGREEING)
def test_tricky_text_is_cut_alike(name: str, tmp_path: Path) -> None:
    text, expected = AGREEING[name]
    path = _write(tmp_path, text)
    steps = yoyo_steps(tmp_path)["0001_tricky"]
    parsed = [tokens(s.text) for s in parse_statements(text)]
    assert [tokens(e) for e in expected] == parsed
    assert [tokens(s) for s in steps] == parsed
    assert [tokens(chunk) for chunk, _ in split_statements(path.read_text())] == parsed


@pytest.mark.parametrize("name", DIVERGING)
def test_where_the_cuts_differ_the_server_and_the_lint_refuse_the_file(
    name: str, tmp_path: Path, empty_db_url: str
) -> None:
    text = DIVERGING[name]
    path = _write(tmp_path, text)
    steps = yoyo_steps(tmp_path)["0001_tricky"]
    assert [s.strip().rstrip(";") for s in steps] != [s.text for s in parse_statements(text)]
    refused = []
    with psycopg.connect(empty_db_url) as conn:
        for step in steps:
            try:
                parse_statements(step)
            except SqlSyntaxError:
                refused.append(step)
                with pytest.raises(psycopg.errors.SyntaxError):
                    conn.execute(step)
                conn.rollback()
    assert refused, "some piece yoyo sends must be one the server refuses"
    report = lint_paths([path], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert "AD100" in {f.rule for f in report.findings}
