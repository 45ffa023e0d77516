"""Fixtures for astegni-db's own tests: a disposable server, empty and migrated databases.

Built on the same machinery as the shipped pytest plugin (astegni_db.pytest_plugin),
so ``--astegni-db-backend`` / ASTEGNI_DB_TEST_BACKEND choose the backend here too.
Nothing starts until a test asks for one of these fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from astegni_db.disposable import DisposableDatabases, Server
from astegni_db.pytest_plugin import open_databases
from tests.helpers import MIGRATIONS_DIR


@pytest.fixture(scope="session")
def disposable_databases(pytestconfig: pytest.Config) -> Iterator[DisposableDatabases]:
    yield from open_databases(pytestconfig)


@pytest.fixture(scope="session")
def pg_server(disposable_databases: DisposableDatabases) -> Server:
    """Session server: ``.url`` (superuser, maintenance db) and ``.url_for(dbname)``."""
    return disposable_databases.server


@pytest.fixture
def empty_db_url(disposable_databases: DisposableDatabases) -> Iterator[str]:
    """A brand-new empty database, dropped after the test."""
    with disposable_databases.empty() as url:
        yield url


@pytest.fixture
def migrated_db_url(disposable_databases: DisposableDatabases) -> Iterator[str]:
    """A clone of the session's template, which has every migration in migrations/ applied."""
    with disposable_databases.migrated(MIGRATIONS_DIR) as url:
        yield url
