"""The CLI's local dev database: refused under CI, otherwise persistent across runs."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from astegni_db import devdb
from astegni_db.disposable.local import port_is_listening
from astegni_db.errors import ConfigError, ExitCode
from tests.helpers import port_of


@pytest.fixture
def project() -> Iterator[Path]:
    # Not tmp_path: pytest's base temp dir is private to root, and the server runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="astegni-devdb-test-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        devdb.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("ci_value", ["true", "1", "TRUE"])
@pytest.mark.parametrize("entry", [devdb.start, devdb.url, devdb.reset])
def test_refused_under_ci_with_a_one_line_hint(
    project: Path, monkeypatch: pytest.MonkeyPatch, ci_value: str, entry: object
) -> None:
    monkeypatch.setenv("CI", ci_value)
    assert callable(entry)
    with pytest.raises(ConfigError) as raised:
        entry(project)
    message = raised.value.message
    assert "DATABASE_URL" in message and "--database-url" in message
    assert "\n" not in message
    assert raised.value.exit_code == ExitCode.USAGE
    assert not (project / ".astegni-db").exists(), "nothing may be created under CI"


def test_stopping_is_allowed_under_ci(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert devdb.stop(project) is False


def test_url_before_start_says_how_to_create_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(ConfigError, match="astegni-db dev start"):
        devdb.url(project)


def test_lifecycle_keeps_url_and_data_until_reset(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "false")
    url = devdb.start(project)
    assert devdb.start(project) == url  # already running: same server
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE kept (id int)")

    assert devdb.stop(project) is True
    assert not port_is_listening(port_of(url))
    assert devdb.status(project).running is False
    assert devdb.url(project) == url  # the state outlives the server

    assert devdb.start(project) == url  # same port and password after a restart
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)

    assert devdb.reset(project) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (False,)
    status = devdb.status(project)
    assert status.running and status.directory == project.resolve() / ".astegni-db" / "dev"


@pytest.mark.root  # only root hands the server to another OS user
def test_project_the_server_user_cannot_enter_keeps_its_data_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A clone under /root (mode 700) still gets a dev database: its files live in a
    per-project directory the `postgres` user can reach, and state.json says where."""
    monkeypatch.delenv("CI", raising=False)
    private = Path(tempfile.mkdtemp(prefix="astegni-devdb-private-"))
    private.chmod(0o700)
    data_root = Path(tempfile.mkdtemp(prefix="astegni-devdb-data-"))
    data_root.chmod(0o755)
    monkeypatch.setenv("ASTEGNI_DB_DEV_DATA_DIR", str(data_root))
    project = private / "clone"
    project.mkdir()
    try:
        url = devdb.start(project)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("astegni_dev",)
        clusters = [p for p in data_root.iterdir() if (p / "data" / "PG_VERSION").exists()]
        assert len(clusters) == 1
        assert not (project / ".astegni-db" / "dev" / "cluster").exists()
        assert devdb.start(project) == url  # reused, same port and password
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int)")
        # Its port taken while it was stopped, it moves, and still finds its data.
        devdb.stop(project)
        with socket.socket() as squatter:
            # The stopped server's closed connections leave the port in TIME_WAIT.
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", port_of(url)))
            squatter.listen()
            moved = devdb.start(project)
        assert port_of(moved) != port_of(url)
        with psycopg.connect(moved) as conn:
            assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)
        assert not (project / ".astegni-db" / "dev" / "cluster").exists()
        assert devdb.status(project).running  # state.json still says where the files are
        assert devdb.stop(project) is True
    finally:
        devdb.stop(project)
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(data_root, ignore_errors=True)


def test_files_gone_since_the_last_run_is_a_one_line_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaner emptied the data directory (/var/tmp is cleaned after 30 days): the
    next start says so and how to start over, instead of failing inside pg_ctl."""
    monkeypatch.setenv("CI", "false")
    devdb.start(project)
    devdb.stop(project)
    cluster = project / ".astegni-db" / "dev" / "cluster"
    shutil.rmtree(cluster)

    with pytest.raises(ConfigError, match="files are gone") as raised:
        devdb.start(project)
    assert raised.value.exit_code == ExitCode.USAGE
    assert str(project.resolve() / ".astegni-db" / "dev") in raised.value.message
    assert devdb.stop(project) is False  # nothing to stop, and no error either
