"""Installed, not cloned: a deploy image that ran `pip install astegni-db` and has no checkout.

Once per session a wheel is built from the working tree (in a copy, so that
the build's own files never land in the repository), and installed with its
dependencies into a clean virtual environment that cannot see this one (no
system site-packages, no editable install, no PYTHONPATH). Its `astegni-db`
then runs from a directory that holds no project, against the suite's
throwaway databases: it must find Astegni's three targets in the files the
wheel ships (astegni_db/bundled/), say that it did, migrate and verify them,
and say exactly what to pass when a URL is missing. A checkout's own files,
when present, win over the shipped ones.

The dependencies come from the package index the machine's pip is set up
for, pinned to the versions this environment tested (the wheels pip cached
when it installed them make that quick).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from astegni_db import api
from astegni_db.errors import ExitCode
from astegni_db.project.config import load_project
from astegni_db.project.migration_files import load_migration_files
from astegni_db.settings import parse_database_url
from tests.helpers import (
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    QUERIES,
    REPO,
    SPEC,
    TRACEBACK_MARKERS,
    Result,
    assert_clean_failure,
    copy_migrations,
)

# Building and installing a wheel is the slow part; it runs once per session.
pytestmark = pytest.mark.slow

BUNDLED = "astegni_db/bundled"
# Everything a deploy's environment might hold that would point the installed tool
# at a database, a project or another copy of astegni_db.
_SCRUBBED = (
    "DATABASE_URL",
    "ADMIN_DATABASE_URL",
    "ADVERTISER_DATABASE_URL",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "VIRTUAL_ENV",
    "NO_COLOR",
)
_PIP_TIMEOUT_S = 600


@dataclass(frozen=True)
class Installed:
    """astegni-db installed from its wheel into a virtual environment of its own."""

    wheel: Path
    venv: Path
    package: Path  # the installed astegni_db package directory
    version: str
    nowhere: Path  # a directory with no project in it or above it

    @property
    def bundled_config(self) -> Path:
        return self.package / "bundled" / "astegni-db.toml"

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        """The installed ``astegni-db ARGS``, as a deploy runs it (CI=true, no URL unless given)."""
        environ = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        environ["CI"] = "true"
        environ.update(env or {})
        done = subprocess.run(
            [str(self.venv / "bin" / "astegni-db"), *args],
            cwd=cwd or self.nowhere,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def _run_checked(args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def copy_for_build(dest: Path) -> Path:
    """What a wheel build reads from the working tree: the package, its metadata, and the
    directories astegni_db/bundled/ links to (the links themselves copied as links)."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    for licence in REPO.glob("LICEN[CS]E*"):
        shutil.copy2(licence, dest / licence.name)
    shutil.copytree(
        REPO / "astegni_db",
        dest / "astegni_db",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for link in (REPO / BUNDLED).iterdir():
        if not link.is_symlink():
            continue  # a file of the package itself: copied with it
        source = link.resolve()
        into = dest / source.relative_to(REPO)
        if source.is_dir():
            shutil.copytree(source, into, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            into.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into)
    return dest


def pinned_versions() -> str:
    """This environment's dependency versions as pip constraints (not the editable install)."""
    frozen = _run_checked(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"]
    )
    return "".join(f"{line}\n" for line in frozen.splitlines() if "==" in line)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    source = copy_for_build(root / "source")
    wheels = root / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run_checked([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(source)])
    (wheel,) = wheels.glob("astegni_db-*.whl")
    venv = root / "venv"
    # A clean environment: the base interpreter, without this one's site-packages.
    _run_checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    constraints = root / "constraints.txt"
    constraints.write_text(pinned_versions())
    _run_checked(
        [
            *pip, "--python", str(venv / "bin" / "python"), "install", "--quiet",
            "--constraint", str(constraints), str(wheel),
        ]
    )  # fmt: skip
    nowhere = root / "deploy"
    nowhere.mkdir()
    where = _run_checked(
        [
            str(venv / "bin" / "python"), "-c",
            "import astegni_db; print(astegni_db.__version__); print(astegni_db.__file__)",
        ],
        cwd=nowhere,
    ).split()  # fmt: skip
    package = Path(where[1]).parent
    # The copy the wheel installed, not this checkout's.
    assert package.is_relative_to(venv), package
    return Installed(wheel, venv, package, where[0], nowhere)


def astegni_files() -> dict[str, bytes]:
    """Every file of Astegni's targets in the repository, by its path under the repository:
    astegni-db.toml and each target's migrations, spec and application queries."""
    project = load_project(REPO)
    assert project.source == REPO / "astegni-db.toml"
    assert project.names == ["user", "admin", "advertiser"]
    paths = [project.source]
    for target in project.targets:
        paths += [p for p in target.migrations_dir.rglob("*") if p.is_file()]
        paths.append(target.spec)
        if target.queries is not None:
            paths += [p for p in target.queries.rglob("*") if p.is_file()]
    return {str(p.relative_to(REPO)): p.read_bytes() for p in paths}


def public_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def applied(url: str, migrations: Path) -> list[str]:
    plan = api.status(parse_database_url(url, "the test database"), migrations).plan
    return [e.id for e in plan.entries if e.applied_at is not None]


def migration_ids(directory: Path) -> list[str]:
    return [f.id for f in load_migration_files(directory)]


def error_lines(done: Result) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error: ")]


def test_the_wheel_ships_every_migration_spec_and_query_as_real_files(
    installed: Installed,
) -> None:
    expected = astegni_files()
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {
            info.filename.removeprefix(f"{BUNDLED}/"): info
            for info in wheel.infolist()
            if info.filename.startswith(f"{BUNDLED}/") and not info.is_dir()
        }
        assert sorted(shipped) == sorted(expected)
        for name, info in shipped.items():
            mode = info.external_attr >> 16
            assert not stat.S_ISLNK(mode), f"{name} is a symbolic link in the wheel"
            assert wheel.read(info) == expected[name], f"{name} differs from the repository's"
    # Installed, they are files of the package, not links back to a checkout.
    bundled = installed.package / "bundled"
    installed_files = [p for p in bundled.rglob("*") if not p.is_dir()]
    assert sorted(str(p.relative_to(bundled)) for p in installed_files) == sorted(expected)
    assert not [p for p in bundled.rglob("*") if p.is_symlink()]


def test_installed_migrate_and_verify_use_the_shipped_user_target_from_any_directory(
    installed: Installed, empty_db_url: str
) -> None:
    migrated = installed.run("migrate", "--database-url", empty_db_url)

    assert migrated.code == ExitCode.OK, migrated.output
    assert (
        f"Using the project shipped with astegni-db {installed.version} "
        f"({installed.bundled_config}): there is no astegni-db.toml and no migrations/ here"
    ) in migrated.stderr
    assert f"Applied {len(PROJECT_MIGRATIONS)} migration(s)" in migrated.stdout
    assert applied(empty_db_url, MIGRATIONS_DIR) == list(PROJECT_MIGRATIONS)

    verified = installed.run("verify", "--database-url", empty_db_url)

    assert verified.code == ExitCode.OK, verified.output
    assert "schema matches the spec" in verified.stdout
    assert f"({installed.bundled_config})" in verified.stderr
    # The application queries came along too: each was checked.
    queries = len(list(QUERIES.glob("*.sql")))
    assert f"queries: {queries}/{queries} checks ok" in verified.stdout


def test_installed_migrate_and_verify_the_shipped_admin_target(
    installed: Installed, empty_db_url: str
) -> None:
    admin_migrations = REPO / "targets" / "admin" / "migrations"

    migrated = installed.run("migrate", "--target", "admin", "--database-url", empty_db_url)

    assert migrated.code == ExitCode.OK, migrated.output
    assert f"({installed.bundled_config})" in migrated.stderr
    assert applied(empty_db_url, admin_migrations) == migration_ids(admin_migrations)

    verified = installed.run("verify", "--target", "admin", "--database-url", empty_db_url)

    assert verified.code == ExitCode.OK, verified.output
    assert "schema matches the spec" in verified.stdout
    queries = len(list((REPO / "targets" / "admin" / "checks" / "queries").glob("*.sql")))
    assert f"queries: {queries}/{queries} checks ok" in verified.stdout


def test_installed_without_any_url_under_ci_says_exactly_what_to_pass(
    installed: Installed,
) -> None:
    done = installed.run("migrate")

    assert_clean_failure(done, [ExitCode.USAGE])
    (line,) = error_lines(done)
    assert line == (
        "error: no database URL for targets user, admin, advertiser: set DATABASE_URL, "
        "ADMIN_DATABASE_URL and ADVERTISER_DATABASE_URL "
        "(or pass --database-url with --target user); "
        "the local dev database is never used when CI=true"
    )
    assert f"({installed.bundled_config})" in done.stderr


def test_installed_without_any_url_outside_ci_never_starts_a_dev_database(
    installed: Installed,
) -> None:
    """Outside a checkout is a deploy image: a throwaway database there would turn a
    forgotten URL into a migrate that passes."""
    done = installed.run("migrate", env={"CI": "false"})

    assert_clean_failure(done, [ExitCode.USAGE])
    (line,) = error_lines(done)
    assert line.startswith("error: no database URL for targets user, admin, advertiser: ")
    assert line.endswith("outside a checkout the local dev database is never used")
    assert not (installed.nowhere / ".astegni-db").exists(), "no dev database was created"


def test_installed_with_database_url_but_no_admin_url_names_it_and_touches_nothing(
    installed: Installed, empty_db_url: str
) -> None:
    done = installed.run("migrate", env={"DATABASE_URL": empty_db_url})

    assert_clean_failure(done, [ExitCode.USAGE])
    (line,) = error_lines(done)
    assert line.startswith("error: target 'admin' has no database URL: set ADMIN_DATABASE_URL")
    assert "--target" in line
    # Every URL is resolved before any database is touched: the user database is as it was.
    assert public_tables(empty_db_url) == []


def test_installed_new_and_plan_never_write_into_the_shipped_project(
    installed: Installed,
) -> None:
    bundled = installed.package / "bundled"
    before = sorted(p.relative_to(bundled) for p in bundled.rglob("*"))

    scaffolded = installed.run("new", "--target", "user", "add_session_notes")
    planned = installed.run(
        "plan", "--target", "user", "--yes",
        "--database-url", "postgresql://app:secret@127.0.0.1:1/astegni_user_db",
    )  # fmt: skip

    for done in (scaffolded, planned):
        assert_clean_failure(done, [ExitCode.USAGE], secrets=["secret"])
        (line,) = error_lines(done)
        assert "there is no project here to write them into" in line
        assert "run it in your checkout, or pass --migrations-dir" in line
    assert error_lines(planned)[0].endswith("(--dry-run writes nothing)")
    assert sorted(p.relative_to(bundled) for p in bundled.rglob("*")) == before


def test_a_checkouts_own_migrations_win_over_the_shipped_ones(
    installed: Installed, empty_db_url: str, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    migrations = copy_migrations(checkout / "migrations")
    (migrations / "0005_local_only.sql").write_text(
        "CREATE TABLE local_only (id bigint PRIMARY KEY);\n"
    )
    shutil.copytree(QUERIES, checkout / "checks" / "queries")
    shutil.copy2(SPEC, checkout / "checks" / "schema.toml")

    done = installed.run("migrate", "--database-url", empty_db_url, cwd=checkout)

    assert done.code == ExitCode.OK, done.output
    assert "Using the project shipped" not in done.output
    assert applied(empty_db_url, migrations) == [*PROJECT_MIGRATIONS, "0005_local_only"]
    assert "local_only" in public_tables(empty_db_url)


def test_a_checkouts_own_configuration_wins_over_the_shipped_one(
    installed: Installed, empty_db_url: str, tmp_path: Path
) -> None:
    checkout = tmp_path / "service"
    (checkout / "db" / "migrations").mkdir(parents=True)
    (checkout / "db" / "migrations" / "0001_orders.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n"
    )
    (checkout / "astegni-db.toml").write_text(
        '[targets.orders]\nurl_env = "ORDERS_DATABASE_URL"\n'
        'migrations = "db/migrations"\nspec = "db/schema.toml"\n'
    )

    done = installed.run("migrate", cwd=checkout, env={"ORDERS_DATABASE_URL": empty_db_url})

    assert done.code == ExitCode.OK, done.output
    assert "Using the project shipped" not in done.output
    assert applied(empty_db_url, checkout / "db" / "migrations") == ["0001_orders"]
    tables = public_tables(empty_db_url)
    assert "orders" in tables and "tutoring_sessions" not in tables  # none of Astegni's
    for marker in TRACEBACK_MARKERS:
        assert marker not in done.output
