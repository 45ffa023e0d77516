"""A local development database kept under ``./.astegni-db/dev/``, for when no URL is given.

Started on demand and reused across runs: the cluster, its port and its
password live in the project (``.astegni-db/`` is git-ignored), so the URL stays
the same from one day to the next. Uses the PostgreSQL server binaries on this
machine, else those of the optional ``embedded`` extra.

Never used under CI (CI=true): there a silent throwaway database would hide a
missing DATABASE_URL, so every entry point except :func:`stop` refuses.

    start() -> url      start (creating it the first time) and return the URL
    url() -> url        the URL of the existing dev database, without starting it
    stop() -> bool      stop it if running (True when something was stopped)
    reset() -> url      drop and recreate the dev database, starting the server if needed
    status() -> DevStatus
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from astegni_db.errors import ConfigError, ExitCode
from astegni_db.settings import running_under_ci

if TYPE_CHECKING:
    from astegni_db.output import Ui

DEV_DIR = Path(".astegni-db") / "dev"
DATABASE = "astegni_dev"


@dataclass(frozen=True)
class DevReport:
    """What a `dev` command produced: one result line (a URL, a state), maybe a note."""

    command: ClassVar[str] = "dev"

    result: str
    note: str | None = None  # for people, on stderr
    exit_code: ExitCode = ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        return {"result": self.result}

    def write_text(self, ui: Ui) -> None:
        if self.note:
            ui.say(self.note)
        ui.out(self.result)


@dataclass(frozen=True)
class DevStatus:
    initialised: bool
    running: bool
    url: str | None
    directory: Path
    backend: str | None


@dataclass(frozen=True)
class _State:
    port: int
    password: str
    backend: str
    bindir: str
    cluster_dir: str = ""  # empty: the usual place, .astegni-db/dev/cluster

    def url(self, dbname: str = DATABASE) -> str:
        from astegni_db.disposable.local import superuser_url

        return superuser_url(self.password, self.port, dbname)


def _refuse_under_ci() -> None:
    if running_under_ci():
        raise ConfigError(
            f"the local dev database is never started under CI (CI={os.environ['CI'].strip()}): "
            "set DATABASE_URL or pass --database-url"
        )


def _dev_dir(project_dir: Path | None) -> Path:
    return (project_dir or Path.cwd()).resolve() / DEV_DIR


def _read_state(dev_dir: Path) -> _State | None:
    try:
        raw = json.loads((dev_dir / "state.json").read_text())
        return _State(
            int(raw["port"]),
            str(raw["password"]),
            str(raw["backend"]),
            str(raw["bindir"]),
            str(raw.get("cluster_dir", "")),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"unreadable dev database state {dev_dir / 'state.json'} ({exc}); "
            f"remove {dev_dir} to start over"
        ) from None


def _write_state(dev_dir: Path, state: _State) -> None:
    path = dev_dir / "state.json"
    tmp = path.with_suffix(".tmp")
    # The password is only for this machine's dev cluster, but still not world-readable.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state.__dict__, handle, indent=2)
    tmp.replace(path)


@contextlib.contextmanager
def _locked(dev_dir: Path) -> Iterator[None]:
    """Serialise concurrent CLI runs that would otherwise both run initdb."""
    dev_dir.mkdir(parents=True, exist_ok=True)
    with (dev_dir / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _choose_bindir() -> tuple[str, Path]:
    from astegni_db.disposable import embedded, local

    bindir = local.find_bindir()
    if bindir is not None:
        return "local", bindir
    if embedded.is_installed():
        return "embedded", embedded.wheel_bindir()
    raise ConfigError(
        "no database URL and no PostgreSQL to start a dev database with: set DATABASE_URL, "
        "install PostgreSQL, or pip install 'astegni-db[embedded]'"
    )


def _cluster_path(dev_dir: Path, state: _State) -> Path:
    return Path(state.cluster_dir) if state.cluster_dir else dev_dir / "cluster"


def _new_cluster_dir(dev_dir: Path) -> Path:
    """Where a new dev cluster's files go: beside the project when the server can reach it.

    As root the server runs as the `postgres` user, which cannot enter a
    project under /root (mode 700); the data then lives under /var/tmp, one
    directory per project, and state.json remembers where.
    """
    from astegni_db.disposable import local

    if local.walkable_by_server_user(dev_dir):
        return dev_dir / "cluster"
    digest = hashlib.sha256(str(dev_dir).encode()).hexdigest()[:16]
    base = Path(os.environ.get("ASTEGNI_DB_DEV_DATA_DIR", "/var/tmp/astegni-db-dev"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    return base / digest


def _ensure_running(dev_dir: Path) -> _State:
    from astegni_db.disposable import local

    state = _read_state(dev_dir)
    if state is None:
        backend, bindir = _choose_bindir()
        if not local.walkable_by_server_user(bindir):
            raise ConfigError(
                f"the PostgreSQL server user cannot reach the binaries in {bindir}; "
                "set DATABASE_URL instead, or install PostgreSQL"
            )
        cluster_dir = _new_cluster_dir(dev_dir)
        cluster = local.LocalCluster(cluster_dir, bindir)
        password = secrets.token_urlsafe(18)
        cluster.init(password)
        port = cluster.start_on_free_port()
        state = _State(port, password, backend, str(bindir), str(cluster_dir))
        _write_state(dev_dir, state)
        _create_dev_database(state)
        return state
    cluster = local.LocalCluster(_cluster_path(dev_dir, state), Path(state.bindir))
    if cluster.is_running():
        return state
    if local.port_is_listening(state.port):
        # Someone else took our port while the dev server was stopped: move, and remember.
        state = dataclasses.replace(state, port=cluster.start_on_free_port())
        _write_state(dev_dir, state)
    else:
        cluster.start(state.port)
    return state


def _create_dev_database(state: _State) -> None:
    from astegni_db.disposable import Server, create_database, drop_database

    server = Server(url=state.url("postgres"), backend="dev database")
    drop_database(server, DATABASE)
    create_database(server, DATABASE)


def start(project_dir: Path | None = None) -> str:
    """Start the dev database (creating it on first use) and return its URL."""
    _refuse_under_ci()
    dev_dir = _dev_dir(project_dir)
    with _locked(dev_dir):
        return _ensure_running(dev_dir).url()


def url(project_dir: Path | None = None) -> str:
    """The dev database's URL; ConfigError if it was never created."""
    _refuse_under_ci()
    state = _read_state(_dev_dir(project_dir))
    if state is None:
        raise ConfigError("there is no dev database yet: run `astegni-db dev start`")
    return state.url()


def stop(project_dir: Path | None = None) -> bool:
    """Stop the dev server; True if it was running. Allowed under CI (it only cleans up)."""
    dev_dir = _dev_dir(project_dir)
    state = _read_state(dev_dir)
    if state is None:
        return False
    from astegni_db.disposable.local import LocalCluster

    with _locked(dev_dir):
        cluster = LocalCluster(_cluster_path(dev_dir, state), Path(state.bindir))
        was_running = cluster.is_running()
        cluster.stop(mode="fast")
        return was_running


def reset(project_dir: Path | None = None) -> str:
    """Drop and recreate the dev database (roles and the server stay); return its URL."""
    _refuse_under_ci()
    dev_dir = _dev_dir(project_dir)
    with _locked(dev_dir):
        state = _ensure_running(dev_dir)
        _create_dev_database(state)
        return state.url()


def status(project_dir: Path | None = None) -> DevStatus:
    dev_dir = _dev_dir(project_dir)
    state = _read_state(dev_dir)
    if state is None:
        return DevStatus(False, False, None, dev_dir, None)
    from astegni_db.disposable.local import LocalCluster

    running = LocalCluster(_cluster_path(dev_dir, state), Path(state.bindir)).is_running()
    return DevStatus(True, running, state.url(), dev_dir, state.backend)
