"""Every backend this machine can run, for real: start, migrate a template, clone, clean up."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from astegni_db.disposable import (
    BackendUnavailable,
    DisposableDatabases,
    Server,
    backends,
    choose_backend,
    container,
    embedded,
    local,
    start_server,
)
from astegni_db.pytest_plugin import migrate_template
from astegni_db.settings import dbname_of
from tests.helpers import (
    MIGRATIONS_DIR,
    assert_server_gone,
    database_names,
    need_backend,
)

REAL_BACKENDS = [
    "local",
    "embedded",
    pytest.param("container", marks=pytest.mark.container),
]


@pytest.fixture
def no_backend_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(backends.BACKEND_ENV, raising=False)
    monkeypatch.delenv(backends.URL_ENV, raising=False)
    return monkeypatch


def _available(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Pretend only ``names`` can run, to pin down the automatic order."""
    monkeypatch.setattr(local, "find_bindir", lambda: Path("/bin") if "local" in names else None)
    monkeypatch.setattr(embedded, "is_installed", lambda: "embedded" in names)
    monkeypatch.setattr(container, "engine_answers", lambda: "container" in names)


class TestChoosingABackend:
    def test_an_explicit_choice_beats_the_environment(
        self, no_backend_env: pytest.MonkeyPatch
    ) -> None:
        no_backend_env.setenv(backends.BACKEND_ENV, "container")
        assert choose_backend("embedded") == "embedded"

    def test_the_environment_variable_is_used_when_nothing_is_passed(
        self, no_backend_env: pytest.MonkeyPatch
    ) -> None:
        no_backend_env.setenv(backends.BACKEND_ENV, " Container ")
        assert choose_backend() == "container"

    def test_an_unknown_name_lists_the_valid_ones(self, no_backend_env: pytest.MonkeyPatch) -> None:
        no_backend_env.setenv(backends.BACKEND_ENV, "docker")
        with pytest.raises(BackendUnavailable, match="'docker'.*container, local, url, embedded"):
            choose_backend()

    def test_a_test_url_in_the_environment_selects_the_url_backend(
        self, no_backend_env: pytest.MonkeyPatch
    ) -> None:
        _available(no_backend_env, "local", "embedded", "container")
        no_backend_env.setenv(backends.URL_ENV, "postgresql://u@db.example/x")
        assert choose_backend() == "url"

    @pytest.mark.parametrize(
        ("available", "expected"),
        [
            (("local", "embedded", "container"), "local"),
            (("embedded", "container"), "embedded"),
            (("container",), "container"),
        ],
    )
    def test_automatic_order_is_local_then_embedded_then_container(
        self, no_backend_env: pytest.MonkeyPatch, available: tuple[str, ...], expected: str
    ) -> None:
        _available(no_backend_env, *available)
        assert choose_backend() == expected

    def test_nothing_available_says_what_to_install(
        self, no_backend_env: pytest.MonkeyPatch
    ) -> None:
        _available(no_backend_env)
        with pytest.raises(BackendUnavailable, match="ASTEGNI_DB_TEST_URL"):
            choose_backend()

    def test_the_url_backend_without_a_url_explains_itself(
        self, no_backend_env: pytest.MonkeyPatch
    ) -> None:
        with pytest.raises(BackendUnavailable, match="ASTEGNI_DB_TEST_URL"), start_server("url"):
            pass


def _exercise(server: Server) -> None:
    """What a test session does with any backend: template once, clones per test."""
    databases = DisposableDatabases(server, migrate_template)
    try:
        clones = databases.migrated(MIGRATIONS_DIR), databases.migrated(MIGRATIONS_DIR)
        with clones[0] as first, clones[1] as second:
            assert dbname_of(first) != dbname_of(second)
            with psycopg.connect(first) as conn:
                conn.execute("CREATE TABLE only_in_first (id int)")
            for url in (first, second):
                with psycopg.connect(url) as conn:
                    row = conn.execute(
                        "SELECT to_regclass('tutoring_sessions') IS NOT NULL,"
                        " to_regclass('only_in_first') IS NOT NULL"
                    ).fetchone()
                assert row == (True, url == first)
    finally:
        databases.close()


@pytest.mark.parametrize("backend", REAL_BACKENDS)
def test_backend_serves_migrated_clones_and_leaves_nothing(backend: str) -> None:
    need_backend(backend)
    with start_server(backend) as server:
        assert server.backend == backend
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT current_setting('fsync')").fetchone() == ("off",)
        _exercise(server)
    assert_server_gone(server)


def test_url_backend_creates_and_drops_its_own_databases(
    private_server: Server, no_backend_env: pytest.MonkeyPatch
) -> None:
    before = database_names(private_server.url)
    no_backend_env.setenv(backends.URL_ENV, private_server.url)
    with start_server() as server:
        assert server.backend == "url"
        databases = DisposableDatabases(server, migrate_template)
        with databases.migrated(MIGRATIONS_DIR) as url:
            assert dbname_of(url) in database_names(private_server.url)
        databases.close()
    assert database_names(private_server.url) == before
    with psycopg.connect(private_server.url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)  # the server itself is untouched


def test_a_role_that_is_not_superuser_drops_its_databases(private_server: Server) -> None:
    """The url backend often runs as a role with CREATEDB only. Its own leftover
    connections go with FORCE; a process it may not terminate gets a plain DROP,
    which makes an autovacuum worker step aside. An autovacuum worker cannot be
    summoned on demand, so this guards the other branch: another role's session
    still ends in one clean error, within PostgreSQL's own 5 s waits, not a hang."""
    from astegni_db.disposable.databases import create_database, drop_database
    from astegni_db.disposable.server import Server as DisposableServer
    from astegni_db.errors import AstegniError

    with psycopg.connect(private_server.url, autocommit=True) as admin:
        admin.execute("CREATE ROLE plain_creator LOGIN CREATEDB PASSWORD 'c/r#e@ator'")
    role_url = private_server.url.replace(
        private_server.url.split("://", 1)[1].split("@", 1)[0],
        "plain_creator:c%2Fr%23e%40ator",
    )
    server = DisposableServer(role_url, "url")
    create_database(server, "made_by_plain_creator")
    leftover = psycopg.connect(server.url_for("made_by_plain_creator"))
    drop_database(server, "made_by_plain_creator")  # its own session: FORCE ends it
    assert "made_by_plain_creator" not in database_names(private_server.url)
    leftover.close()

    create_database(server, "held_by_superuser")
    held = psycopg.connect(private_server.url_for("held_by_superuser"))
    with pytest.raises(AstegniError, match="dropping database held_by_superuser"):
        drop_database(server, "held_by_superuser")
    held.close()
    drop_database(server, "held_by_superuser")
    assert "held_by_superuser" not in database_names(private_server.url)
