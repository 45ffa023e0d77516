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

import json
import logging
import os
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

from astegni_db import api
from astegni_db.disposable import Server, drop_database
from astegni_db.disposable.databases import unique_name
from astegni_db.migrating.lock import LOCK_KEY
from tests.helpers import (
    MIGRATIONS_DIR,
    QUERIES,
    SPEC,
    TRACEBACK_MARKERS,
    Result,
    copy_migrations,
    run_cli,
)

# Characters that must be percent-encoded in a URL, so both spellings are tested.
PASSWORD = "Zebra#42:s@c/ret%?&"
WRONG_PASSWORD = "Wrong#99:p@ss/word"


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


@pytest.mark.slow
def test_password_never_printed_full_matrix(account: Account, tmp_path: Path) -> None:
    """Every command, success and every failure, text and JSON (the URL by flag)."""
    url = url_for(account, "flag")
    failing = copy_migrations(tmp_path / "failing")
    # Numbered to sort after every migration the project has, now and later.
    (failing / "9999_broken.sql").write_text("ALTER TABLE tutoring_sessions ADD COLUMN x intt;\n")
    outcomes: list[int] = []

    def check(expected: int, *args: str) -> None:
        res = run("flag", url, tmp_path, *args)
        assert_no_secret(res, PASSWORD)
        assert res.code == expected, res.output
        outcomes.append(res.code)

    check(0, "migrate", *dirs())
    check(0, "status", "--format", "json", *dirs())
    check(0, "verify", "--format", "json", *VERIFY)
    check(0, "verify", *VERIFY)
    check(0, "rollback", "--yes", *dirs())
    check(0, "migrate", "--format", "json", *dirs())
    check(1, "migrate", *dirs(failing))
    check(1, "migrate", "--format", "json", *dirs(failing))
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        check(4, "migrate", "--format", "json", "--lock-timeout", "0", *dirs(failing))
        check(4, "rollback", "--yes", "--lock-timeout", "0", *dirs())

    wrong = url_for(account, "flag", password=WRONG_PASSWORD)
    for args in (["migrate", "--format", "json"], ["status"], ["rollback", "--yes"]):
        res = run("flag", wrong, tmp_path, *args, *dirs())
        assert_no_secret(res, PASSWORD, WRONG_PASSWORD)
        assert res.code == 7 and "password authentication failed" in res.stderr, res.output
    res = run("flag", wrong, tmp_path, "verify", "--format", "json", *VERIFY)
    assert_no_secret(res, PASSWORD, WRONG_PASSWORD)
    assert res.code == 7, res.output
    missing = url_for(account, "flag", dbname="no_such_database")
    for args in (
        ["migrate", *dirs()],
        ["status", "--format", "json", *dirs()],
        ["verify", *VERIFY],
    ):
        res = run("flag", missing, tmp_path, *args)
        assert_no_secret(res, PASSWORD)
        assert res.code == 7 and "no_such_database" in res.stderr, res.output
    assert outcomes == [0, 0, 0, 0, 0, 0, 1, 1, 4, 4]


@pytest.mark.parametrize("path", ["env", "dotenv", "query"])
def test_password_never_printed_by_input_path(account: Account, path: str, tmp_path: Path) -> None:
    """Each other way in, through a success and the failures that echo a URL."""
    url = url_for(account, path)
    res = run(path, url, tmp_path, "migrate", "--format", "json", *dirs())
    assert_no_secret(res, PASSWORD)
    assert res.code == 0, res.output
    res = run(path, url, tmp_path, "verify", *VERIFY)
    assert_no_secret(res, PASSWORD)
    assert res.code == 0, res.output
    with psycopg.connect(url_for(account, "flag"), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        res = run(path, url, tmp_path, "rollback", "--yes", "--lock-timeout", "0", *dirs())
        assert_no_secret(res, PASSWORD)
        assert res.code == 4, res.output
    wrong = url_for(account, path, password=WRONG_PASSWORD)
    res = run(path, wrong, tmp_path, "status", "--format", "json", *dirs())
    assert_no_secret(res, PASSWORD, WRONG_PASSWORD)
    assert res.code == 7 and "password authentication failed" in res.stderr, res.output
    missing = url_for(account, path, dbname="no_such_database")
    res = run(path, missing, tmp_path, "migrate", *dirs())
    assert_no_secret(res, PASSWORD)
    assert res.code == 7 and "no_such_database" in res.stderr, res.output


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


def fragments(secret: str, size: int = 3) -> set[str]:
    """Every run of ``size`` characters of ``secret``: none may be printed either."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.mark.parametrize(
    "raw_password",
    ["Sla/sh9x", "Que?ry7x", "Hash#5xy", "Fi@rst8x", "12/34xyz"],
    ids=["slash", "question", "hash", "at", "port-like"],
)
@pytest.mark.parametrize("path", ["flag", "env", "dotenv"])
def test_unencoded_password_is_refused_without_a_fragment_of_it(
    raw_password: str, path: str, tmp_path: Path
) -> None:
    """A password pasted unencoded into a URL ('/', '?', '#' or '@' in it) ends the
    host part early, so parsers disagree on what is the host, port or database and
    print pieces of it. astegni-db refuses such a URL (exit 2) before connecting,
    and its message quotes no part of the password, not even three characters."""
    url = f"postgresql://astegni:{raw_password}@127.0.0.1:5432/astegni"
    for args in (["status"], ["migrate", "--format", "json"], ["verify", *VERIFY]):
        res = run(path, url, tmp_path, *args, *(dirs() if args[0] != "verify" else []))
        assert res.code == 2, res.output
        assert "must be percent-encoded" in res.stderr, res.output
        leaked = {piece for piece in fragments(raw_password) if piece in res.output}
        assert not leaked, f"fragments {sorted(leaked)} of the password printed:\n{res.output}"
        if "--format" in args:
            assert json.loads(res.stdout)["error"]["exit_code"] == 2


def test_encoded_password_with_the_same_characters_is_accepted() -> None:
    for raw_password in ["Sla/sh9x", "Que?ry7x", "Hash#5xy", "Fi@rst8x"]:
        url = f"postgresql://astegni:{quote(raw_password, safe='')}@127.0.0.1:1/astegni"
        res = run_cli("status", "--connect-timeout", "1", "--database-url", url, *dirs())
        assert res.code == 7 and "cannot connect" in res.stderr, res.output  # parsed, then refused
        assert raw_password not in res.output and quote(raw_password, safe="") not in res.output


@pytest.mark.parametrize(
    "url",
    [
        # The password's '/' or '?' comes first: the rest of it reads as a query (libpq
        # quotes a query parameter it cannot read), its '@' as part of a parameter.
        "postgres://astegni:/?Kx7Qw2Zp@127.0.0.1/astegni?port=1&sslmode=disable",
        "postgresql://astegni:/?Kx7Qw2Zp@127.0.0.1:1/astegni",
        "postgresql://astegni:12/?Kx7Qw2Zp@127.0.0.1:1/astegni",
        "postgresql://astegni:/?x=Kx7Qw2Zp&@127.0.0.1:1/astegni",
        "postgresql://astegni:?Kx7Qw2Zp",  # the rest cut off (a line break in .env)
    ],
)
def test_password_read_as_a_query_is_refused_without_a_fragment_of_it(url: str) -> None:
    for args in (["status", "--format", "json", *dirs()], ["verify", *VERIFY]):
        res = run_cli(*args, "--database-url", url)
        assert res.code == 2 and "must be percent-encoded" in res.stderr, res.output
        leaked = {piece for piece in fragments("Kx7Qw2Zp") if piece in res.output}
        assert not leaked, f"fragments {sorted(leaked)} of the password printed:\n{res.output}"


@pytest.mark.parametrize("path", ["flag", "env", "dotenv", "encoded", "misplaced"])
def test_password_bytes_that_are_not_utf8_are_refused_without_a_fragment(
    path: str, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8 (Latin-1, say) reach Python as lone surrogates, or
    percent-encoded; psycopg reads every part of a URL as UTF-8, so they are refused
    (exit 2, not an internal error), and click's echo of a misplaced URL hides them."""
    password = "Kx7\udce9Qw2Zp"  # the byte 0xE9: 'é' in Latin-1
    url = f"postgresql://astegni:{password}@127.0.0.1:1/astegni"
    if path == "encoded":
        url = f"postgresql://astegni:{quote(password, errors='surrogateescape')}@127.0.0.1:1/x"
    if path == "misplaced":
        res = run_cli("migrate", url)
    elif path == "dotenv":
        workdir = tmp_path / "project"
        workdir.mkdir()
        (workdir / ".env").write_bytes(os.fsencode(f"DATABASE_URL={url}\n"))
        res = run_cli("status", *dirs(), cwd=workdir)
    else:
        res = run("env" if path == "env" else "flag", url, tmp_path, "status", *dirs())
    assert res.code == 2, res.output
    assert "not UTF-8" in res.stderr or path == "misplaced", res.output
    pieces = fragments("Kx7\ufffdQw2Zp") | {"Kx7", "Qw2"}
    leaked = {piece for piece in pieces if piece in res.output}
    assert not leaked, f"fragments {sorted(leaked)} of the password printed:\n{res.output}"


def test_library_warnings_and_log_records_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a library says on its own (a Python warning, a log record that logging
    would print as it is, having no handler) goes through the redactor too."""

    def talkative_status(*_args: object, **_kwargs: object) -> None:
        warnings.warn(f"careful with {PASSWORD}", UserWarning, stacklevel=1)
        logging.getLogger("psycopg").warning("error ignored on %s", "postgresql://u:pw@h/db")
        logging.getLogger("yoyo").error("could not apply %s", quote(PASSWORD, safe=""))
        raise SystemExit(0)

    monkeypatch.setattr(api, "status", talkative_status)
    url = f"postgresql://astegni:{quote(PASSWORD, safe='')}@127.0.0.1:1/astegni"
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a real run: none
    res = run_cli("status", *dirs(), "--database-url", url)
    assert_no_secret(res, PASSWORD)
    assert "postgresql://u:***@h/db" in res.stderr and "warning: yoyo:" in res.stderr, res.stderr
    assert res.stderr.count("***") == 3, res.stderr
