"""A password never appears in any output, whichever way it was given.

The database URL reaches astegni-db four ways: --database-url, the
DATABASE_URL environment variable, a .env file in the working directory, and
a ``password=`` query parameter inside any of them. For each way, every
command (migrate, status, verify, rollback) runs into success and into each
failure a user meets (wrong password, missing database, failing migration,
lock timeout), in text and JSON, and neither the password nor its
URL-encoded spelling may show up in stdout or stderr.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

from astegni_db.disposable import Server, drop_database
from astegni_db.disposable.databases import unique_name
from astegni_db.migrating.lock import LOCK_KEY
from tests.cli_runner import MIGRATIONS_DIR, REPO, Result, copy_migrations, run_cli
from tests.reliability_helpers import TRACEBACK_MARKERS

# Characters that must be percent-encoded in a URL, so both spellings are tested.
PASSWORD = "Zebra#42:s@c/ret%?&"
WRONG_PASSWORD = "Wrong#99:p@ss/word"
SPEC = REPO / "checks" / "schema.toml"
QUERIES = REPO / "checks" / "queries"
INPUT_PATHS = ("flag", "env", "dotenv", "query")


@dataclass(frozen=True)
class Account:
    role: str
    host: str
    port: int
    dbname: str


@pytest.fixture
def account(pg_server: Server) -> Iterator[Account]:
    """A role with PASSWORD that owns a fresh database (so it may migrate it)."""
    role = f"astegni_secret_{secrets.token_hex(3)}"
    dbname = unique_name("secrets")
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)
            )
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(dbname), sql.Identifier(role)
            )
        )
    parts = urlsplit(pg_server.url)
    try:
        yield Account(role, parts.hostname or "127.0.0.1", parts.port or 5432, dbname)
    finally:
        drop_database(pg_server, dbname)
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def url_for(acct: Account, path: str, password: str = PASSWORD, dbname: str | None = None) -> str:
    db = dbname or acct.dbname
    if path == "query":
        return (
            f"postgresql://{acct.role}@{acct.host}:{acct.port}/{db}"
            f"?password={quote(password, safe='')}&application_name=x"
        )
    return f"postgresql://{acct.role}:{quote(password, safe='')}@{acct.host}:{acct.port}/{db}"


def run(path: str, url: str, tmp: Path, *args: str) -> Result:
    """The CLI with ``url`` given the ``path`` way (the query form goes in as a flag)."""
    if path in ("flag", "query"):
        return run_cli(*args, "--database-url", url)
    if path == "env":
        return run_cli(*args, env={"DATABASE_URL": url})
    workdir = tmp / "project"
    workdir.mkdir(exist_ok=True)
    (workdir / ".env").write_text(f"# local settings\nDATABASE_URL='{url}'\n")
    return run_cli(*args, cwd=workdir)


def assert_no_secret(res: Result, *passwords: str) -> None:
    for password in passwords:
        for spelling in {password, quote(password, safe=""), quote(password)}:
            assert spelling not in res.output, f"password leaked ({spelling!r}):\n{res.output}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output, res.output


def dirs(migrations: Path = MIGRATIONS_DIR) -> list[str]:
    return ["--migrations-dir", str(migrations)]


VERIFY = ["--spec", str(SPEC), "--queries", str(QUERIES)]


@pytest.mark.parametrize(
    "path", [p if p == "flag" else pytest.param(p, marks=pytest.mark.slow) for p in INPUT_PATHS]
)
def test_password_never_printed(account: Account, path: str, tmp_path: Path) -> None:
    url = url_for(account, path)
    failing = copy_migrations(tmp_path / "failing")
    (failing / "0003_broken.sql").write_text("ALTER TABLE tutoring_sessions ADD COLUMN x intt;\n")
    outcomes: list[tuple[str, int]] = []

    def check(expected: int, *args: str) -> None:
        res = run(path, url, tmp_path, *args)
        assert_no_secret(res, PASSWORD)
        assert res.code == expected, res.output
        outcomes.append((args[0], res.code))

    # Success, text and JSON.
    check(0, "migrate", *dirs())
    check(0, "status", "--format", "json", *dirs())
    check(0, "verify", "--format", "json", *VERIFY)
    check(0, "verify", *VERIFY)
    check(0, "rollback", "--yes", *dirs())
    check(0, "migrate", "--format", "json", *dirs())
    # A failing migration, and another run holding the lock.
    check(1, "migrate", *dirs(failing))
    with psycopg.connect(url_for(account, "flag"), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        check(4, "migrate", "--format", "json", "--lock-timeout", "0", *dirs(failing))
        check(4, "rollback", "--yes", "--lock-timeout", "0", *dirs())

    # Failures before a session exists: the wrong password itself must not leak either.
    wrong = url_for(account, path, password=WRONG_PASSWORD)
    for args in (["migrate", "--format", "json"], ["status"], ["verify", "--format", "json"]):
        res = run(path, wrong, tmp_path, *args, *(dirs() if args[0] != "verify" else VERIFY))
        assert_no_secret(res, PASSWORD, WRONG_PASSWORD)
        assert res.code == 7 and "password authentication failed" in res.stderr, res.output
    missing = url_for(account, path, dbname="no_such_database")
    for args in (["migrate"], ["status", "--format", "json"], ["verify"]):
        res = run(path, missing, tmp_path, *args, *(dirs() if args[0] != "verify" else VERIFY))
        assert_no_secret(res, PASSWORD)
        assert res.code == 7 and "no_such_database" in res.stderr, res.output
    assert [code for _, code in outcomes] == [0, 0, 0, 0, 0, 0, 1, 4, 4]


def test_dotenv_values_are_not_echoed(account: Account, tmp_path: Path) -> None:
    """A malformed .env URL is reported by where it came from, not by its text."""
    workdir = tmp_path / "project"
    workdir.mkdir()
    bad = f"postgresql://{account.role}:{quote(PASSWORD, safe='')}@{account.host}:notaport/db"
    (workdir / ".env").write_text(f"DATABASE_URL={bad}\nOTHER_SECRET={PASSWORD}\n")
    for args in (["status"], ["migrate", "--format", "json"], ["verify"]):
        res = run_cli(*args, cwd=workdir)
        assert_no_secret(res, PASSWORD)
        assert res.code == 2 and ".env" in res.stderr, res.output
