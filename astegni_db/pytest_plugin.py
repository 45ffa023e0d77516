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

The server comes from the backend named by ``--astegni-db-backend`` or
ASTEGNI_DB_TEST_BACKEND (container, local, url, embedded), else the first that
works on this machine. Until a fixture is requested nothing starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from astegni_db.disposable.backends import BACKENDS

if TYPE_CHECKING:
    import psycopg

    from astegni_db.disposable import DisposableDatabases, Server
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
    value = config.getoption("astegni_db_migrations", default=None) or config.getini(
        "astegni_db_migrations"
    )
    path = Path(str(value))
    return path if path.is_absolute() else config.rootpath / path


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
def astegni_db_conn(astegni_db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    import psycopg

    with psycopg.connect(astegni_db_url) as conn:
        yield conn
