"""Fixtures for astegni-db's own tests: a disposable server, empty and migrated databases.

Built on the same machinery as the shipped pytest plugin (astegni_db.pytest_plugin),
so ``--astegni-db-backend`` / ASTEGNI_DB_TEST_BACKEND choose the backend here too.
Nothing starts until a test asks for one of these fixtures.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from astegni_db.disposable import DisposableDatabases, Server
from astegni_db.pytest_plugin import open_databases
from tests.helpers import MIGRATIONS_DIR

# A primary and a streaming standby (replica_pair, replica_db), for the replica tests.
pytest_plugins = ["tests.replica_cluster"]


def pytest_configure(config: pytest.Config) -> None:
    """Start CLI processes as a terminal would: with Ctrl-C (SIGINT) at its default.

    A shell that runs the suite in the background (`make test &`, some CI
    runners) starts it with SIGINT ignored; every process it starts inherits
    that, and Python then never turns SIGINT into KeyboardInterrupt. The Ctrl-C
    test's migrate would sit out its 60 s lock wait instead of being tested.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _a_new_run_knows_no_passwords() -> None:
    """Each test is a run of its own: the redactor forgets the passwords earlier tests
    parsed (the CLI does the same when a run starts). A refused URL's every possible
    reading is hidden, 'postgresql://h:5432/d@b' making '5432/d' one; left over,
    it would redact text in an unrelated test that runs later in the same worker."""
    from astegni_db import settings

    settings.forget_secrets()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A root-lane test that runs without root fails: its lane was claimed, not met."""
    if item.get_closest_marker("root") is not None and os.geteuid() != 0:
        pytest.fail("the root lane needs root (sudo); or leave it out: -m 'not root'", False)


@pytest.fixture(scope="session")
def disposable_databases(pytestconfig: pytest.Config) -> Iterator[DisposableDatabases]:
    yield from open_databases(pytestconfig)


@pytest.fixture(scope="session")
def pg_server(disposable_databases: DisposableDatabases) -> Server:
    """Session server: ``.url`` (superuser, maintenance db) and ``.url_for(dbname)``."""
    return disposable_databases.server


@pytest.fixture
def private_server() -> Iterator[Server]:
    """A server no other test uses: for tests that count every database on it.

    The session's server may be shared (the url backend points every worker
    at one CI service), so its list of databases changes under a test's feet.
    """
    from astegni_db.disposable.local import temporary_cluster
    from tests.helpers import server_bindir

    with temporary_cluster(server_bindir()) as server:
        yield server


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
