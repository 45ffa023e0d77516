"""pytest plugin: a migrated, disposable PostgreSQL database per test.

Installed with the package (entry point ``pytest11``) but off until enabled:

    pytest --astegni-db                      # or, in pyproject.toml:
    [tool.pytest.ini_options]
    astegni_db = true
    astegni_db_migrations = "migrations"     # default: <rootdir>/migrations

Fixtures (requesting one while the plugin is off fails with a one-line hint):

- ``astegni_db_server``   (session)  Server: ``.url`` superuser URL, ``.url_for(dbname)``
- ``astegni_db_template`` (session)  name of the database migrated once per session
- ``astegni_db_url``      (function) URL of a fresh clone of the template, dropped afterwards
- ``astegni_db_conn``     (function) psycopg connection to that clone, closed afterwards

With targets in ``astegni-db.toml`` (or ``[tool.astegni-db]``) at the rootdir,
the one server hosts every target: a template per target, migrated on first
use, and a clone per test:

- ``astegni_db_url_for``  (function) ``astegni_db_url_for("admin")``: a fresh clone's URL
- ``astegni_db_<target>_url`` / ``astegni_db_<target>_conn`` (function) the same, named
  (``-`` in a target's name becomes ``_``)
- ``astegni_db_url`` / ``astegni_db_conn`` are then the target that reads
  DATABASE_URL (else the first target)

The server comes from the backend named by ``--astegni-db-backend`` or
ASTEGNI_DB_TEST_BACKEND (container, local, url, embedded), else the first that
works on this machine. Until a fixture is requested nothing starts.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from astegni_db.disposable.backends import BACKENDS

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

    from astegni_db.disposable import DisposableDatabases, Server
    from astegni_db.project.config import TargetConfig
    from astegni_db.settings import DatabaseTarget

_OFF_HINT = (
    "the astegni_db pytest plugin is off: run pytest with --astegni-db "
    "or set `astegni_db = true` in [tool.pytest.ini_options]"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("astegni_db", "disposable PostgreSQL (astegni-db)")
    group.addoption(
        "--astegni-db",
        action="store_true",
        default=False,
        dest="astegni_db_enabled",
        help="enable the astegni_db_* fixtures",
    )
    group.addoption(
        "--astegni-db-backend",
        choices=BACKENDS,
        default=None,
        dest="astegni_db_backend",
        help="where throwaway servers come from (default: $ASTEGNI_DB_TEST_BACKEND, "
        "else the first that works)",
    )
    group.addoption(
        "--astegni-db-migrations",
        default=None,
        dest="astegni_db_migrations",
        help="migrations directory applied to the template (default: ini astegni_db_migrations)",
    )
    parser.addini("astegni_db", type="bool", default=False, help="enable the astegni_db_* fixtures")
    parser.addini(
        "astegni_db_migrations",
        default="migrations",
        help="migrations directory, relative to the rootdir",
    )


def plugin_enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("astegni_db_enabled", default=False) or config.getini("astegni_db")
    )


def requested_backend(config: pytest.Config) -> str | None:
    """The backend named on the command line; None lets the environment or auto-choice decide."""
    value = config.getoption("astegni_db_backend", default=None)
    return str(value) if value else None


def migrations_dir(config: pytest.Config) -> Path:
    """The default target's migrations: the flag, else the configured target's, else the ini."""
    value = config.getoption("astegni_db_migrations", default=None)
    targets = configured_targets(config)
    if value is None and targets:
        return default_target(targets).migrations_dir
    path = Path(str(value or config.getini("astegni_db_migrations")))
    return path if path.is_absolute() else config.rootpath / path


def configured_targets(config: pytest.Config) -> list[TargetConfig]:
    """The targets of astegni-db.toml (or [tool.astegni-db]) at the rootdir; none without."""
    from astegni_db.project.config import find_config, parse_targets

    found = find_config(config.rootpath)
    if found is None:
        return []
    path, table = found
    return list(parse_targets(table, path.parent, str(path)))


def default_target(targets: list[TargetConfig]) -> TargetConfig:
    reading = [t for t in targets if t.url_env == "DATABASE_URL"]
    return reading[0] if reading else targets[0]


def _target_fixtures(names: list[str]) -> types.ModuleType:
    """``astegni_db_<target>_url`` and ``_conn`` for each configured target, made when
    the plugin is configured, as a plugin module: pytest (8.4+) looks a plugin
    object's fixtures up on its type, so attributes of an instance are never seen."""
    module = types.ModuleType("astegni_db_target_fixtures")
    for name in names:
        attr = name.replace("-", "_")
        setattr(module, f"astegni_db_{attr}_url", _url_fixture(name, f"astegni_db_{attr}_url"))
        setattr(
            module,
            f"astegni_db_{attr}_conn",
            _conn_fixture(f"astegni_db_{attr}_url", f"astegni_db_{attr}_conn"),
        )
    return module


def _url_fixture(target: str, fixture_name: str) -> Any:
    @pytest.fixture(name=fixture_name)
    def url(astegni_db_url_for: Callable[[str], str]) -> str:
        return astegni_db_url_for(target)

    return url


def _conn_fixture(url_fixture: str, fixture_name: str) -> Any:
    @pytest.fixture(name=fixture_name)
    def conn(request: pytest.FixtureRequest) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        import psycopg

        with psycopg.connect(request.getfixturevalue(url_fixture)) as connection:
            yield connection

    return conn


def pytest_configure(config: pytest.Config) -> None:
    if not plugin_enabled(config):
        return
    targets = configured_targets(config)
    if targets:
        config.pluginmanager.register(
            _target_fixtures([t.name for t in targets]), "astegni_db_target_fixtures"
        )


def migrate_template(target: DatabaseTarget, migrations: Path) -> None:
    """How the plugin migrates a template: astegni-db's own migrate, checksums and all."""
    from astegni_db import api

    api.migrate(target, migrations)


def open_databases(config: pytest.Config) -> Iterator[DisposableDatabases]:
    """Generator behind the session server fixtures of the plugin and of tests/conftest.py."""
    from astegni_db.disposable import DisposableDatabases, start_server

    with start_server(requested_backend(config)) as server:
        databases = DisposableDatabases(server, migrate_template)
        try:
            yield databases
        finally:
            databases.close()


@pytest.fixture(scope="session")
def _astegni_db_databases(pytestconfig: pytest.Config) -> Iterator[DisposableDatabases]:
    if not plugin_enabled(pytestconfig):
        pytest.fail(_OFF_HINT, pytrace=False)
    yield from open_databases(pytestconfig)


@pytest.fixture(scope="session")
def astegni_db_server(_astegni_db_databases: DisposableDatabases) -> Server:
    return _astegni_db_databases.server


@pytest.fixture(scope="session")
def astegni_db_template(
    _astegni_db_databases: DisposableDatabases, pytestconfig: pytest.Config
) -> str:
    return _astegni_db_databases.template_for(migrations_dir(pytestconfig))


@pytest.fixture
def astegni_db_url(
    _astegni_db_databases: DisposableDatabases, astegni_db_template: str
) -> Iterator[str]:
    from astegni_db.disposable import temporary_database

    with temporary_database(_astegni_db_databases.server, template=astegni_db_template) as url:
        yield url


@pytest.fixture
def astegni_db_url_for(
    _astegni_db_databases: DisposableDatabases, pytestconfig: pytest.Config
) -> Iterator[Callable[[str], str]]:
    """``astegni_db_url_for("admin")``: a fresh clone of that target's migrated template."""
    import contextlib

    from astegni_db.disposable import temporary_database

    targets = {t.name: t for t in configured_targets(pytestconfig)}
    with contextlib.ExitStack() as clones:

        def url_for(name: str) -> str:
            if name not in targets:
                known = ", ".join(targets) or "none: there is no astegni-db.toml at the rootdir"
                pytest.fail(f"unknown astegni-db target {name!r} (targets: {known})", False)
            template = _astegni_db_databases.template_for(targets[name].migrations_dir)
            server = _astegni_db_databases.server
            return clones.enter_context(temporary_database(server, template=template))

        yield url_for


@pytest.fixture
def astegni_db_conn(astegni_db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    import psycopg

    with psycopg.connect(astegni_db_url) as conn:
        yield conn
