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
