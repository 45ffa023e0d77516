"""The dev database with several targets: one server, one database per target, CI=false.

A project in a temporary directory with Astegni's three targets (paths into
this repository) and no URL at all: migrate and verify start the one dev
server and give each target its own database, astegni_dev_<target>; `dev url`
prints a line per target's variable, `dev reset` empties each. Every test
stops the server it started.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from astegni_db import devdb
from astegni_db.disposable.local import port_is_listening
from astegni_db.settings import dbname_of
from tests.helpers import PROJECT_MIGRATIONS, REPO, Result, port_of, run_cli

DEV = {"CI": "false"}
TARGETS = {
    "user": ("DATABASE_URL", "migrations", "checks"),
    "admin": ("ADMIN_DATABASE_URL", "targets/admin/migrations", "targets/admin/checks"),
    "advertiser": (
        "ADVERTISER_DATABASE_URL",
        "targets/advertiser/migrations",
        "targets/advertiser/checks",
    ),
}
APPLIED = {
    "user": list(PROJECT_MIGRATIONS),
    "admin": ["0001_baseline", "0002_admin_indexes", "0003_admin_unique_constraints"],
    "advertiser": ["0001_baseline"],
}
OWN_TABLE = {
    "user": "tutoring_sessions",
    "admin": "admin_users",
    "advertiser": "advertiser_profiles",
}


@pytest.fixture(autouse=True)
def _no_inherited_target_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in this process: a URL in the environment would replace the dev database."""
    for variable, _, _ in TARGETS.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def project() -> Iterator[Path]:
    """A project with the three targets; its dev server is stopped and its files removed after.

    Not tmp_path: pytest's base temp dir is private to root, and the server runs as postgres.
    """
    directory = Path(tempfile.mkdtemp(prefix="astegni-targets-devdb-"))
    directory.chmod(0o755)
    (directory / ".git").mkdir()
    blocks = []
    for name, (variable, migrations, checks) in TARGETS.items():
        queries = REPO / checks / "queries"
        blocks.append(
            f'[targets.{name}]\nurl_env = "{variable}"\nmigrations = "{REPO / migrations}"\n'
            f'spec = "{REPO / checks / "schema.toml"}"\n'
            + (f'queries = "{queries}"\n' if queries.is_dir() else "")
        )
    (directory / "astegni-db.toml").write_text("\n".join(blocks))
    try:
        yield directory
    finally:
        devdb.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def applied(url: str) -> list[str] | None:
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('_yoyo_migration') IS NOT NULL").fetchone()
        if exists != (True,):
            return None
        rows = conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in rows.fetchall()}


def dev_urls(res: Result) -> dict[str, str]:
    """`dev url`'s VARIABLE=URL lines."""
    assert res.code == 0, res.output
    pairs = [line.split("=", 1) for line in res.stdout.splitlines()]
    return {variable: url for variable, url in pairs}


def test_migrate_and_verify_use_one_dev_server_with_a_database_per_target(project: Path) -> None:
    migrated = run_cli("migrate", cwd=project, env=DEV)
    assert migrated.code == 0, migrated.output
    assert "migrate: 3 ok" in migrated.stdout
    for name, (variable, _, _) in TARGETS.items():
        assert f"for target {name} (pass --database-url or set {variable}" in migrated.stderr

    urls = dev_urls(run_cli("dev", "url", cwd=project, env=DEV))
    assert list(urls) == [variable for variable, _, _ in TARGETS.values()]
    servers = {urlsplit(url).netloc for url in urls.values()}
    assert len(servers) == 1, urls  # one server: same user, password, host and port
    for name, (variable, _, _) in TARGETS.items():
        url = urls[variable]
        assert dbname_of(url) == f"astegni_dev_{name}"
        assert applied(url) == APPLIED[name]
        assert OWN_TABLE[name] in tables(url)
        assert not {t for n, t in OWN_TABLE.items() if n != name} & tables(url)
    # The cluster lives beside astegni-db.toml, and there is only the one.
    status = devdb.status(project)
    assert status.running and status.directory == project.resolve() / ".astegni-db" / "dev"
    assert port_of(status.url or "") == port_of(urls["DATABASE_URL"])

    verified = run_cli("verify", cwd=project, env=DEV)
    assert verified.code == 0, verified.output
    assert "verify: 3 ok" in verified.stdout
    for name in TARGETS:
        assert f"── {name} (postgresql://postgres:***@" in verified.stdout
    # Passwords are for `dev url` alone: the reports and notes redact them.
    password = urlsplit(urls["DATABASE_URL"]).password
    assert password and password not in migrated.output + verified.output

    # A subdirectory of the project shares the same dev databases.
    below = project / "deploy"
    below.mkdir()
    again = run_cli("status", "--check", "--target", "admin", cwd=below, env=DEV)
    assert again.code == 0, again.output
    assert not (below / ".astegni-db").exists()


def test_dev_url_with_a_target_prints_its_url_alone(project: Path) -> None:
    started = run_cli("dev", "start", "--target", "admin", "--target", "user", cwd=project, env=DEV)
    assert started.code == 0, started.output
    # Chosen targets come in the file's order, a VARIABLE=URL line each.
    lines = dict(line.split("=", 1) for line in started.stdout.splitlines())
    assert list(lines) == ["DATABASE_URL", "ADMIN_DATABASE_URL"]

    only = run_cli("dev", "url", "--target", "admin", cwd=project, env=DEV)
    assert only.code == 0, only.output
    assert only.stdout.strip() == lines["ADMIN_DATABASE_URL"]
    assert "\n" not in only.stdout.strip() and "=" not in only.stdout.split("://")[0]
    with psycopg.connect(only.stdout.strip()) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("astegni_dev_admin",)
    # The advertiser's database is made when it is first used, not before.
    server = lines["DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres") as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert {"astegni_dev_user", "astegni_dev_admin"} <= names
    assert "astegni_dev_advertiser" not in names

    res = run_cli("dev", "url", "--target", "billing", cwd=project, env=DEV)
    assert res.code == 2 and "unknown target 'billing'" in res.stderr, res.output


def test_dev_reset_empties_every_targets_database(project: Path) -> None:
    assert run_cli("migrate", cwd=project, env=DEV).code == 0
    urls = dev_urls(run_cli("dev", "url", cwd=project, env=DEV))
    assert all(applied(url) is not None for url in urls.values())

    res = run_cli("dev", "reset", "--target", "advertiser", "--yes", cwd=project, env=DEV)
    assert res.code == 0, res.output
    assert applied(urls["ADVERTISER_DATABASE_URL"]) is None
    assert applied(urls["ADMIN_DATABASE_URL"]) == APPLIED["admin"]

    res = run_cli("dev", "reset", cwd=project, env=DEV)  # no terminal, no --yes: refused
    assert res.code == 2 and "--yes" in res.stderr, res.output
    assert applied(urls["ADMIN_DATABASE_URL"]) == APPLIED["admin"]

    res = run_cli("dev", "reset", "--yes", cwd=project, env=DEV)
    assert res.code == 0, res.output
    for name in ("astegni_dev_user", "astegni_dev_admin", "astegni_dev_advertiser"):
        assert name in res.stdout
    for variable, url in urls.items():
        assert applied(url) is None, variable
        assert tables(url) == set(), variable
    assert dev_urls(run_cli("dev", "url", cwd=project, env=DEV)) == urls  # same server

    # And the next migrate fills them again.
    assert run_cli("migrate", cwd=project, env=DEV).code == 0
    assert applied(urls["ADMIN_DATABASE_URL"]) == APPLIED["admin"]


def test_stopping_the_dev_server_stops_every_targets_database(project: Path) -> None:
    assert run_cli("migrate", "--target", "user", "--target", "admin", cwd=project,
                   env=DEV).code == 0  # fmt: skip
    urls = dev_urls(run_cli("dev", "url", cwd=project, env=DEV))
    assert run_cli("dev", "stop", cwd=project, env=DEV).stdout.strip() == "stopped"
    assert not port_is_listening(port_of(urls["DATABASE_URL"]))
    # Under CI the dev database is refused for every target, even with it on disk.
    res = run_cli("migrate", cwd=project)
    assert res.code == 2 and "CI=true" in res.stderr, res.output
    assert not port_is_listening(port_of(urls["DATABASE_URL"]))
    # Restarted on demand, the data is still there.
    res = run_cli("status", "--check", "--target", "admin", cwd=project, env=DEV)
    assert res.code == 0, res.output
    assert applied(urls["ADMIN_DATABASE_URL"]) == APPLIED["admin"]
