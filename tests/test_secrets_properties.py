"""Property: whatever a password holds, no piece of it is ever printed (issue 11, item 4).

Passwords are random tokens joined by generated strings of any characters
(URL delimiters, '%', quotes, backslashes, whitespace, non-ASCII), put into
the URL shapes astegni-db accepts (with and without a port, a query string,
an IPv6 host, each scheme), raw and percent-encoded, and handed over every
way a URL comes in (--database-url, DATABASE_URL, .env, ASTEGNI_DB_TEST_URL).
Every command that reads a URL runs, in every output format (text, JSON,
JUnit, -o files), against (a) a closed port, (b) a real server where a role
has exactly that password, and (c) with the URL typed where click does not
expect one. No token, and no five characters of one, may appear in stdout,
stderr, a JSON document, an -o file or a JUnit file.

The dev commands are left out: they never read a configured URL. A NUL is
never generated: no argument, environment variable or password can hold one.
Bytes that are not UTF-8 are (as Python hands them over: lone surrogates),
except on the real server, which stores a password as text.
"""

from __future__ import annotations

import json
import socket
import string
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from psycopg import sql

from astegni_db.disposable import Server, drop_database
from astegni_db.disposable.databases import unique_name
from tests.helpers import QUERIES, SPEC, TRACEBACK_MARKERS, Result, copy_migrations, run_cli

# Every five characters of a token mix an upper-case letter, a lower-case letter
# and a digit, which nothing astegni-db prints does by chance (checksums, ids and
# SQL are one case, timestamps hold separators), so any match is a leak.
_TRIPLET = st.tuples(
    st.sampled_from(string.ascii_uppercase),
    st.sampled_from(string.ascii_lowercase),
    st.sampled_from(string.digits),
).map("".join)
TOKENS = st.lists(_TRIPLET, min_size=3, max_size=4).map("".join)  # 9 to 12 characters
# What a URL parser trips on, weighted in; then anything at all.
_DELIMITERS = "/?#@:%[]&=+;,'\"\\ \t\n\r~é€ß𝄞＠／%2F%zz"
# Anything at all that a process can be handed. Not a NUL (no argument, variable
# or password holds one), nor a lone surrogate: a POSIX process gets bytes, and
# Python decodes them with surrogateescape, so the only surrogates that reach
# astegni-db are U+DC80..U+DCFF, standing for bytes that are not UTF-8 (see
# UNDECODABLE). Any other surrogate cannot be in argv, the environment or a file.
_ANY = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
UNDECODABLE = st.integers(0xDC80, 0xDCFF).map(chr)  # a byte 0x80..0xFF, not UTF-8
SEPARATORS = st.one_of(
    st.text(st.sampled_from(_DELIMITERS), max_size=4),
    st.text(_ANY, max_size=4),
)
# A server stores a password as text: only the other tests hand over bytes that are not.
SEPARATORS_OR_BYTES = st.one_of(SEPARATORS, st.text(st.one_of(_ANY, UNDECODABLE), max_size=4))


def examples(n: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``n`` examples, sized so the module runs in about 15 s on two cores. No deadline
    (a run waits on servers and processes), no example database (every run is new)."""
    return settings(
        max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )


@dataclass(frozen=True)
class Password:
    text: str
    tokens: tuple[str, ...]

    @property
    def is_text(self) -> bool:
        """False when it holds bytes that are not UTF-8: refused however it is spelled."""
        return not any("\udc80" <= c <= "\udcff" for c in self.text)


@st.composite
def passwords(draw: st.DrawFn, *, undecodable: bool = False) -> Password:
    """Tokens joined by separators (``undecodable``: bytes that are not UTF-8 among them)."""
    separators = SEPARATORS_OR_BYTES if undecodable else SEPARATORS
    tokens = draw(st.lists(TOKENS, min_size=2, max_size=3, unique=True))
    text = tokens[0]
    for token in tokens[1:]:
        text += draw(separators) + token
    return Password(draw(separators) + text + draw(separators), tuple(tokens))


# URL shapes: {p} is the password (raw or encoded), {port} the port.
SHAPES = {
    "port": "postgresql://{user}:{p}@127.0.0.1:{port}/{db}",
    "no port, query": "postgres://{user}:{p}@127.0.0.1/{db}?port={port}&sslmode=disable",
    "query": "postgresql://{user}:{p}@127.0.0.1:{port}/{db}?sslmode=disable&connect_timeout=2",
    "psycopg scheme": "postgresql+psycopg://{user}:{p}@localhost:{port}/{db}",
    "ipv6": "postgresql://{user}:{p}@[::1]:{port}/{db}?application_name=x",
}


def url(shape: str, user: str, password: str, port: int, db: str, *, encode: bool) -> str:
    # Encoded as a user would: a byte that is not UTF-8 becomes its own %XX.
    p = quote(password, safe="", errors="surrogateescape") if encode else password
    return SHAPES[shape].format(user=user, p=p, port=port, db=db)


def assert_nothing_of(password: Password, res: Result, files: Path) -> None:
    """No token of ``password``, nor five characters of one, in anything the run wrote."""
    written = {f"file {f.name}": f.read_text(errors="replace") for f in files.iterdir()}
    texts = {"stdout": res.stdout, "stderr": res.stderr, **written}
    for token in password.tokens:
        pieces = {token[i : i + 5] for i in range(len(token) - 4)}
        for where, text in texts.items():
            leaked = sorted(piece for piece in pieces if piece in text)
            assert not leaked, f"{where} holds {leaked} of {password.text!r}:\n{text}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output, res.output


def failed_cleanly(res: Result, codes: tuple[int, ...]) -> None:
    assert res.code in codes, res.output
    assert "error: " in res.stderr, res.output


def json_of(res: Result) -> dict[str, object]:
    document: dict[str, object] = json.loads(res.stdout)
    assert document["exit_code"] == res.code, res.stdout
    return document


# Each command that reads a URL, in each format; {out} is a directory for files.
def commands(migrations: Path, out: Path) -> dict[str, list[str]]:
    m = ["--migrations-dir", str(migrations)]
    spec = ["--spec", str(SPEC)]
    verify = [*spec, "--queries", str(QUERIES)]
    return {
        "status": ["status", *m],
        "status json": ["status", "--format", "json", *m],
        "migrate": ["migrate", *m, *spec],
        "migrate json": ["migrate", "--format", "json", *m, *spec],
        "dry run": ["migrate", "--dry-run", *m],
        "verify junit": ["verify", *verify, "--junit", str(out / "verify.xml")],
        "verify json": ["verify", *verify, "--format", "json"],
        "verify -o junit": ["verify", *verify, "--format", "junit", "-o", str(out / "v.xml")],
        "inspect -o": ["inspect", *spec, "-o", str(out / "live.toml")],
        "verify plan": ["plan", "--dry-run", *spec, *m],
        "verify plan json": ["plan", "--dry-run", "--format", "json", *spec, *m],
        "rollback": ["rollback", "--yes", *m],
        "repair": ["repair", "--yes", *m],
    }


def check_command(migrations: Path, out: Path, fmt: str) -> list[str]:
    junit = ["--junit", str(out / "check.xml")]
    return ["check", "--backend", "url", "--migrations-dir", str(migrations), "--spec", str(SPEC),
            "--format", fmt, "-o", str(out / f"check.{fmt}"), *junit]  # fmt: skip


def given_as(way: str, url_: str, args: list[str], workdir: Path) -> Result:
    """``args`` with the URL handed over ``way``."""
    if way == "flag":
        return run_cli(*args, "--database-url", url_, "--connect-timeout", "2")
    if way == "env":
        return run_cli(*args, "--connect-timeout", "2", env={"DATABASE_URL": url_})
    # The bytes as they were (surrogateescape): a .env file need not be UTF-8.
    (workdir / ".env").write_text(f"DATABASE_URL={url_}\n", "utf-8", "surrogateescape")
    return run_cli(*args, "--connect-timeout", "2", cwd=workdir)


@pytest.fixture(scope="module")
def migrations() -> Iterator[Path]:
    """The project's migrations as the module starts (others may add some meanwhile)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield copy_migrations(Path(tmp) / "migrations")


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A port where connecting is refused at once: bound, never listening, so that no
    server another test starts meanwhile can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        yield port


# -- (a) a closed port ----------------------------------------------------------------------


@examples(60)
@given(
    password=passwords(undecodable=True),
    shape=st.sampled_from(sorted(SHAPES)),
    encode=st.booleans(),
    way=st.sampled_from(["flag", "env", "dotenv"]),
)
def test_unreachable_server_prints_no_piece_of_the_password(
    migrations: Path, closed_port: int, password: Password, shape: str, encode: bool, way: str
) -> None:
    address = url(shape, "app", password.text, closed_port, "astegni", encode=encode)
    with tempfile.TemporaryDirectory() as tmp:
        out, workdir = Path(tmp) / "out", Path(tmp) / "project"
        out.mkdir()
        workdir.mkdir()
        for name, args in commands(migrations, out).items():
            res = given_as(way, address, args, workdir)
            assert_nothing_of(password, res, out)
            failed_cleanly(res, (2, 7))  # refused as malformed, or the connection was
            if encode and password.is_text and shape != "ipv6":
                assert res.code == 7 and "Connection refused" in res.stderr, (name, res.output)
            if "json" in name:
                assert json_of(res)["ok"] is False
        for fmt in ("json", "text"):
            res = run_cli(
                *check_command(migrations, out, fmt),
                env={"ASTEGNI_DB_TEST_URL": address},
            )
            assert_nothing_of(password, res, out)
            assert res.code in (2, 7), res.output


# -- (b) a real server, a role with exactly that password ----------------------------------------


@dataclass(frozen=True)
class Account:
    role: str
    dbname: str
    port: int
    admin_url: str

    def set_password(self, password: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(self.role), sql.Literal(password)
                )
            )


@pytest.fixture(scope="module")
def account(pg_server: Server) -> Iterator[Account]:
    """A role that owns a database and may create others (for `check --backend url`)."""
    role = unique_name("secret_role")
    dbname = unique_name("secret_props")
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(dbname), sql.Identifier(role)
            )
        )
    port = urlsplit(pg_server.url).port
    assert port is not None
    try:
        yield Account(role, dbname, port, pg_server.url)
    finally:
        drop_database(pg_server, dbname)
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


# On the real server: the shapes whose host it listens on.
REACHABLE = sorted(shape for shape in SHAPES if shape != "ipv6")


@examples(16)
@given(
    password=passwords(),
    wrong=passwords(),
    shape=st.sampled_from(REACHABLE),
    way=st.sampled_from(["flag", "env", "dotenv"]),
)
def test_real_server_with_that_password_prints_no_piece_of_it(
    account: Account, migrations: Path, password: Password, wrong: Password, shape: str, way: str
) -> None:
    assume(set(wrong.tokens).isdisjoint(password.tokens))
    account.set_password(password.text)
    good = url(shape, account.role, password.text, account.port, account.dbname, encode=True)
    with tempfile.TemporaryDirectory() as tmp:
        out, workdir = Path(tmp) / "out", Path(tmp) / "project"
        out.mkdir()
        workdir.mkdir()
        outcomes: dict[str, int] = {}
        for name, args in commands(migrations, out).items():
            res = given_as(way, good, args, workdir)
            assert_nothing_of(password, res, out)
            outcomes[name] = res.code
            if "json" in name:
                json_of(res)
        # It really connected: every command did its work (verify and plan, named
        # "verify ...", may find drift others made).
        assert {n: c for n, c in outcomes.items() if not n.startswith("verify")} == dict.fromkeys(
            [n for n in outcomes if not n.startswith("verify")], 0
        ), outcomes
        assert {outcomes[n] for n in outcomes if n.startswith("verify")} <= {0, 6}, outcomes
        for written in ("verify.xml", "v.xml"):
            assert "<testsuites" in (out / written).read_text()
        assert "tutoring_sessions" in (out / "live.toml").read_text()
        res = given_as(way, good, ["migrate", "--migrations-dir", str(migrations)], workdir)
        assert res.code == 0, res.output  # what rollback took back, applied again

        # The same password, raw in the URL: refused as malformed, or it logs in (or not).
        raw = url(shape, account.role, password.text, account.port, account.dbname, encode=False)
        for args in (
            ["status", "--format", "json", "--migrations-dir", str(migrations)],
            ["verify", "--spec", str(SPEC), "--no-queries"],
        ):
            res = given_as(way, raw, args, workdir)
            assert_nothing_of(password, res, out)
            assert res.code in (0, 2, 6, 7), res.output

        # A wrong password: the server says so, naming neither.
        bad = url(shape, account.role, wrong.text, account.port, account.dbname, encode=True)
        status = ["status", "--format", "json", "--migrations-dir", str(migrations)]
        res = given_as(way, bad, status, workdir)
        assert_nothing_of(password, res, out)
        assert_nothing_of(wrong, res, out)
        assert res.code == 7 and "password authentication failed" in res.stderr, res.output


@examples(2)
@given(password=passwords(), shape=st.sampled_from(REACHABLE))
def test_check_on_a_url_server_with_that_password_prints_no_piece_of_it(
    account: Account, migrations: Path, password: Password, shape: str
) -> None:
    """`check --backend url`: the whole round trip, as the role, on ASTEGNI_DB_TEST_URL."""
    account.set_password(password.text)
    address = url(shape, account.role, password.text, account.port, "postgres", encode=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        res = run_cli(*check_command(migrations, out, "json"), env={"ASTEGNI_DB_TEST_URL": address})
        assert_nothing_of(password, res, out)
        assert res.code in (0, 6), res.output  # it ran: passed, or verify found drift
        report = json.loads((out / "check.json").read_text())
        assert report["command"] == "check" and report["exit_code"] == res.code
        assert "<testsuites" in (out / "check.xml").read_text()


# -- (c) the URL where click does not expect one ------------------------------------------------

MISPLACED: dict[str, Callable[[str], list[str]]] = {
    "extra argument": lambda u: ["migrate", u],
    "extra argument, json": lambda u: ["status", "--format", "json", u],
    "extra argument, verify": lambda u: ["verify", u],
    "extra argument, check": lambda u: ["check", u],
    "extra argument, rollback": lambda u: ["rollback", "--yes", u],
    "no such command": lambda u: [u],
    "bad --format": lambda u: ["status", "--format", u],
    "bad --connect-timeout": lambda u: ["inspect", "--connect-timeout", u],
    "no such path": lambda u: ["lint", u],
    "--database-url twice, then one extra": lambda u: [
        "status",
        "--database-url",
        u,
        "--database-url",
        u,
        u,
    ],
}


@examples(150)
@given(
    password=passwords(undecodable=True),
    shape=st.sampled_from(sorted(SHAPES)),
    encode=st.booleans(),
)
def test_url_in_the_wrong_place_is_a_usage_error_without_the_password(
    closed_port: int, password: Password, shape: str, encode: bool
) -> None:
    address = url(shape, "app", password.text, closed_port, "astegni", encode=encode)
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in MISPLACED.items():
            res = run_cli(*args(address))
            assert_nothing_of(password, res, Path(tmp))
            assert res.code == 2, (name, res.output)
            lines = res.stderr.splitlines()  # one line, and click's pointer to the help
            assert len(lines) == 2 and lines[0].startswith("error: "), (name, res.stderr)
            assert lines[1].startswith("Try 'astegni-db") and not res.stdout, (name, res.output)
