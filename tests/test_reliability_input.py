"""Hostile and broken input through the real CLI: a clear line, a documented code, no secrets.

Every case runs the CLI (in-process with click's runner; as a real process where
a time bound is the point) and checks the exit code, that stderr carries an
``error:`` line naming the problem, and that no traceback and no password is
printed, in text and in --format json.
(tests/test_migrate.py covers the plain-text wrong-password, missing-database,
no-CREATE-rights, syntax-error and edited-migration cases; these add the rest.)
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from astegni_db.disposable import Server
from tests.helpers import (
    TRACEBACK_MARKERS,
    Result,
    assert_clean_failure,
    copy_migrations,
    run_cli,
    run_cli_process,
)
from tests.reliability_helpers import applied_ids, scalar

SECRET = "S3cret-Pass;word'--"  # quotes and SQL-ish text: must never reach output


def clean(res: Result, codes: tuple[int, ...], *, json_out: bool = False) -> str:
    """The one-line error message, after checking the failure is clean."""
    assert_clean_failure(res, codes, secrets=[SECRET])
    if json_out:
        payload = json.loads(res.stdout)
        assert payload["error"]["exit_code"] == res.code
        assert SECRET not in json.dumps(payload)
    return next(line for line in res.stderr.splitlines() if line.startswith("error: "))


def with_password(url: str, password: str, user: str | None = None) -> str:
    userinfo, rest = url.split("://", 1)[1].split("@", 1)
    name = user or userinfo.split(":", 1)[0]
    return f"postgresql://{name}:{password}@{rest}"


# --- URLs ---------------------------------------------------------------------

MALFORMED = {
    "no scheme": f"astegni:{SECRET}@localhost/db",
    "bad port": f"postgresql://u:{SECRET}@localhost:port/db",
    "port out of range": f"postgresql://u:{SECRET}@localhost:99999/db",
    "fragment": f"postgresql://u:{SECRET}@localhost/db#x",
    "unclosed ipv6": f"postgresql://u:{SECRET}@[::1/db",
    "blank": "   ",
    "bad query option": f"postgresql://u:{SECRET}@localhost/db?sslmode=sometimes",
}
UNKNOWN_SCHEMES = {
    "mysql": f"mysql://u:{SECRET}@localhost/db",
    "sqlite": "sqlite:///tmp/astegni.db",
    "psycopg2 driver": f"postgresql+psycopg2://u:{SECRET}@localhost/db",
    "http": f"http://u:{SECRET}@localhost/db",
}


@pytest.mark.parametrize(
    ("command", "url"),
    [(("migrate", "status")[i % 2], url) for i, url in enumerate(MALFORMED.values())],
    ids=list(MALFORMED),
)
def test_malformed_url(url: str, command: str) -> None:
    res = run_cli(command, "--format", "json", "--database-url", url)
    line = clean(res, (2,), json_out=True)
    assert "database URL" in line or "the database URL" in line, line


@pytest.mark.parametrize("url", list(UNKNOWN_SCHEMES.values()), ids=list(UNKNOWN_SCHEMES))
def test_unknown_scheme(url: str) -> None:
    res = run_cli("verify", "--database-url", url)
    line = clean(res, (2,))
    assert "unsupported URL scheme" in line and "postgresql://" in line, line


def test_malformed_url_in_env_and_dotenv(tmp_path: Path) -> None:
    res = run_cli("status", env={"DATABASE_URL": MALFORMED["bad port"]}, cwd=tmp_path)
    assert "DATABASE_URL" in clean(res, (2,))
    (tmp_path / ".env").write_text(f"DATABASE_URL={UNKNOWN_SCHEMES['mysql']}\n")
    res = run_cli("status", cwd=tmp_path)
    assert ".env" in clean(res, (2,))


# --- servers that cannot be reached or refuse us -----------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local port that accepts TCP connections and never says a word."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as listener:
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [
        "migrate",
        "status",
        "verify",
    ],
)
def test_host_that_never_answers_fails_within_the_connect_timeout(
    silent_server: int, command: str
) -> None:
    url = f"postgresql://astegni:{SECRET}@127.0.0.1:{silent_server}/astegni"
    started = time.monotonic()
    # A real process: if the time bound ever breaks, the test fails instead of hanging.
    res = run_cli_process(command, "--connect-timeout", "2", "--database-url", url, timeout=30)
    elapsed = time.monotonic() - started
    line = clean(res, (7,))
    assert "cannot connect" in line and "timeout" in line, line
    assert elapsed < 5 + 2, f"{elapsed:.1f}s"  # 2 s timeout + interpreter start on a busy box


def test_closed_port_fails_fast() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed again when the block ends
    res = run_cli(
        "migrate", "--format", "json", "--database-url",
        f"postgresql://u:{SECRET}@127.0.0.1:{port}/db",
    )  # fmt: skip
    assert "Connection refused" in clean(res, (7,), json_out=True)


@pytest.mark.parametrize("command", ["migrate", "verify", "rollback"])
def test_wrong_password_every_command_json(empty_db_url: str, command: str) -> None:
    args = [command, "--database-url", with_password(empty_db_url, SECRET)]
    if command != "rollback":
        args += ["--format", "json"]
    else:
        args += ["--yes"]
    res = run_cli(*args)
    line = clean(res, (7,), json_out=command != "rollback")
    assert "password authentication failed" in line


def test_missing_database_for_migrate_and_verify(empty_db_url: str) -> None:
    missing = empty_db_url.rsplit("/", 1)[0] + "/no_such_db"
    for command in ("migrate", "verify"):
        res = run_cli(command, "--format", "json", "--database-url", missing)
        assert 'database "no_such_db" does not exist' in clean(res, (7,), json_out=True)


@pytest.fixture
def role(pg_server: Server) -> Iterator[str]:
    name = f"astegni_role_{secrets.token_hex(3)}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(SECRET)
            )
        )
    try:
        yield name
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            # Only the databases where the role holds something: the server may be
            # shared (a CI service), and other sessions' databases come and go.
            used = conn.execute(
                "SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid"
                " WHERE s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)",
                (name,),
            ).fetchall()
            for (db,) in used:
                with psycopg.connect(pg_server.url_for(db), autocommit=True) as c:
                    c.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_role_without_create_rights_json(empty_db_url: str, role: str) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    url = with_password(empty_db_url, SECRET, user=role)
    res = run_cli("migrate", "--format", "json", "--database-url", url)
    line = clean(res, (1,), json_out=True)
    assert f"role {role} has no CREATE privilege on schema public" in line
    assert scalar(empty_db_url, "SELECT to_regclass('_yoyo_migration')") is None


def test_select_only_role_can_verify_and_status(migrated_db_url: str, role: str) -> None:
    with psycopg.connect(migrated_db_url, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(role)
            )
        )
    url = with_password(migrated_db_url, SECRET, user=role)
    res = run_cli("verify", "--format", "json", "--database-url", url)
    assert res.code == 0, res.output
    assert json.loads(res.stdout)["summary"]["error"] == 0
    res = run_cli("status", "--check", "--database-url", url)
    assert res.code == 0, res.output
    # ... and it really is read-only: migrate is refused, cleanly.
    res = run_cli("rollback", "--yes", "--database-url", url)
    clean(res, (1,))


# --- broken migrations directories -----------------------------------------------


def test_syntax_error_after_valid_ddl_json(migrated_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_typo.sql").write_text(
        "ALTER TABLE tutoring_sessions ADD COLUMN half_done integer;\n"
        "ALTER TABEL tutoring_sessions ADD COLUMN oops integer;\n"
    )
    res = run_cli(
        "migrate", "--format", "json", "--database-url", migrated_db_url,
        "--migrations-dir", str(migrations),
    )  # fmt: skip
    line = clean(res, (1,), json_out=True)
    assert "0009_typo" in line and "syntax error" in line and "rolled back" in line, line
    assert (
        scalar(
            migrated_db_url,
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'tutoring_sessions'::regclass"
            " AND attname = 'half_done'",
        )
        == 0
    )
    assert "0009_typo" not in applied_ids(migrated_db_url)


def test_edited_applied_migration_json(migrated_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    path = migrations / "0002_tutoring_sessions_schedule_fields.sql"
    path.write_text(path.read_text().replace("varchar(50)", "varchar(80)", 1))
    res = run_cli(
        "migrate", "--format", "json", "--database-url", migrated_db_url,
        "--migrations-dir", str(migrations),
    )  # fmt: skip
    assert "edited after it was applied" in clean(res, (5,), json_out=True)


BAD_FILES = {
    "huge": ("0009_dump.sql", b"-- " + b"x" * (9 * 1024 * 1024) + b"\n", "too large"),
    "binary": ("0009_blob.sql", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    "latin-1": ("0009_latin.sql", "SELECT 'Addis Abäba';\n".encode("latin-1"), "not valid UTF-8"),
    "bad name": ("0003 drop; --.sql", b"SELECT 1;\n", "migration names may use"),
    "post-apply hook": ("post-apply.sql", b"SELECT 1;\n", "post-apply hooks are not supported"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_in_migrations_dir(empty_db_url: str, tmp_path: Path, case: str) -> None:
    name, content, expected = BAD_FILES[case]
    migrations = copy_migrations(tmp_path / "m")
    (migrations / name).write_bytes(content)
    for command in ("migrate", "status"):
        res = run_cli(
            command, "--format", "json", "--database-url", empty_db_url,
            "--migrations-dir", str(migrations),
        )  # fmt: skip
        line = clean(res, (2,), json_out=True)
        assert expected in line, line
    assert applied_ids(empty_db_url) == []  # refused before touching the database


def test_non_migration_files_are_ignored(empty_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00" * 1000)
    (migrations / "notes.txt").write_text("not a migration")
    res = run_cli("migrate", "--database-url", empty_db_url, "--migrations-dir", str(migrations))
    assert res.code == 0, res.output


def test_missing_migrations_dir(empty_db_url: str, tmp_path: Path) -> None:
    res = run_cli(
        "migrate", "--database-url", empty_db_url, "--migrations-dir", str(tmp_path / "nope")
    )
    assert clean(res, (2,))


# --- spec files ---------------------------------------------------------------------

SPEC = Path(__file__).resolve().parent.parent / "checks" / "schema.toml"


def spec_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SPEC.read_text()
    assert old in text
    path = tmp_path / "schema.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_spec_with_unknown_key_names_its_location(migrated_db_url: str, tmp_path: Path) -> None:
    spec = spec_with(
        tmp_path,
        'grade_level = { type = "character varying(50)", nullable = true,',
        'grade_level = { type = "character varying(50)", nulable = true, nullable = true,',
    )
    res = run_cli("verify", "--spec", str(spec), "--database-url", migrated_db_url)
    line = clean(res, (2,))
    assert str(spec) in line and "tutoring_sessions" in line and "nulable" in line, line
    assert "unknown key" in line


def test_spec_with_toml_typo_names_line(migrated_db_url: str, tmp_path: Path) -> None:
    spec = spec_with(
        tmp_path, "[tables.tutor_teaching_schedules]", "[tables.tutor_teaching_schedules"
    )
    res = run_cli(
        "verify", "--format", "json", "--spec", str(spec), "--database-url", migrated_db_url
    )
    line = clean(res, (2,), json_out=True)
    assert str(spec) in line and "line" in line, line


def test_spec_identifiers_are_never_executed(migrated_db_url: str, tmp_path: Path) -> None:
    """Quotes and SQL in table, column and index names are data, not SQL."""
    evil_table = 'x"; DROP TABLE users; --'
    evil_column = "a'); DROP TABLE tutor_profiles; --"
    with psycopg.connect(migrated_db_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE {} ({} integer)").format(
                sql.Identifier(evil_table), sql.Identifier(evil_column)
            )
        )
    spec_text = SPEC.read_text() + (
        f"\n[tables.{json.dumps(evil_table)}.columns]\n"
        f'{json.dumps(evil_column)} = {{ type = "integer", nullable = true }}\n'
        f'{json.dumps("b; DELETE FROM users")} = {{ type = "text", nullable = true }}\n'
    )
    spec = tmp_path / "schema.toml"
    spec.write_text(spec_text)
    res = run_cli(
        "verify", "--format", "json", "--spec", str(spec), "--database-url", migrated_db_url
    )
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output
    assert res.code == 6, res.output  # the spec's extra column is missing: a finding, not SQL
    assert "b; DELETE FROM users" in res.stdout
    for table in ("users", "tutor_profiles", evil_table):
        assert scalar(migrated_db_url, "SELECT count(*) FROM pg_class WHERE relname = %s", (table,))
