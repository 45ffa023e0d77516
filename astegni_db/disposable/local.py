"""Throwaway clusters from PostgreSQL binaries already on this machine (initdb + pg_ctl).

initdb and postgres refuse to run as root, so when we are root every server
binary runs as an unprivileged system user (``postgres`` unless
ASTEGNI_DB_PG_OS_USER names another) that owns the cluster directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any
from urllib.parse import quote

from astegni_db.disposable.server import BackendUnavailable, Server

# Searched after PATH and pg_config: Debian/Ubuntu, Homebrew (Intel and Apple
# silicon), EDB/source installs, RHEL's PGDG packages.
_BINDIR_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
    "/opt/homebrew/bin",
    "/usr/local/pgsql/bin",
    "/usr/pgsql-*/bin",
)

# Durability is pointless for a cluster that is deleted afterwards; without it
# CREATE DATABASE and DDL-heavy tests stop waiting on the disk.
TEST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

_PORT_ATTEMPTS = 5
SUPERUSER = "postgres"


def _has_server_binaries(directory: Path) -> bool:
    return all((directory / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version_key(directory: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(directory))) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None if there is none."""
    override = os.environ.get("ASTEGNI_DB_PG_BINDIR")
    if override:
        return Path(override) if _has_server_binaries(Path(override)) else None
    initdb = shutil.which("initdb")
    if initdb and _has_server_binaries(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            if out and _has_server_binaries(Path(out)):
                return Path(out)
    found = [Path(p) for pattern in _BINDIR_GLOBS for p in glob(pattern)]
    found = [p for p in found if _has_server_binaries(p)]
    return max(found, key=_version_key) if found else None


@dataclass(frozen=True)
class OsUser:
    uid: int
    gid: int
    name: str


def server_os_user() -> OsUser | None:
    """Who the server binaries must run as: None means "as ourselves" (we are not root)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("ASTEGNI_DB_PG_OS_USER", "postgres")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise BackendUnavailable(
            f"running as root, but there is no {name!r} system user to run PostgreSQL as "
            "(create one, or set ASTEGNI_DB_PG_OS_USER)"
        ) from None
    return OsUser(entry.pw_uid, entry.pw_gid, entry.pw_name)


def walkable_by_server_user(path: Path) -> bool:
    """Whether the server's OS user can reach ``path`` (always true when we are not root)."""
    if server_os_user() is None:
        return True
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents) if p.exists())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (racy; callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class LocalCluster:
    """One cluster directory: ``data/`` (PGDATA) and ``server.log`` beside it."""

    def __init__(self, root: Path, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise BackendUnavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl) on PATH, via pg_config or in "
                "/usr/lib/postgresql/*/bin; install PostgreSQL or choose another backend"
            )
        self.bindir = found
        self.root = root
        self.data_dir = root / "data"
        self.log_file = root / "server.log"
        self.os_user = server_os_user()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # PG* variables from the caller's shell (PGPORT, PGDATA...) must not steer
        # the throwaway cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        extra: dict[str, Any] = {}
        if self.os_user is not None:
            extra = {"user": self.os_user.uid, "group": self.os_user.gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **extra,
        )

    def _give_to_server_user(self, path: Path) -> None:
        if self.os_user is not None:
            os.chown(path, self.os_user.uid, self.os_user.gid)

    def exists(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def init(self, password: str, settings: Mapping[str, str] | None = None) -> None:
        """initdb with password login over TCP (so wrong passwords fail like in production)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self._give_to_server_user(self.root)
        pwfile = self.root / "initdb.pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._give_to_server_user(pwfile)
        try:
            done = self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, f"--pwfile={pwfile}",
                "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise BackendUnavailable(f"initdb failed: {_last_line(done.stderr or done.stdout)}")
        self.configure({"listen_addresses": "127.0.0.1", "unix_socket_directories": ""})
        if settings:
            self.configure(settings)

    def configure(self, settings: Mapping[str, str]) -> None:
        """Append settings to postgresql.conf; the last occurrence of a setting wins."""
        lines = [f"{key} = '{value}'" for key, value in settings.items()]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# astegni-db\n" + "\n".join(lines) + "\n")

    def start(self, port: int) -> None:
        # The port goes on the command line, not into postgresql.conf, so restarts on
        # another port (the dev database after its port was taken) leave no residue.
        done = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
                         "-t", "60", "-o", f"-p {int(port)}", "start")  # fmt: skip
        if done.returncode != 0:
            raise BackendUnavailable(f"PostgreSQL did not start: {self.log_tail()}")

    def start_on_free_port(self) -> int:
        """Start on a free port, retrying when another process grabs it first."""
        for _ in range(_PORT_ATTEMPTS):
            port = free_port()
            try:
                self.start(port)
            except BackendUnavailable:
                if "already in use" not in self.log_tail(20):
                    raise
                continue
            return port
        raise BackendUnavailable(f"no free port after {_PORT_ATTEMPTS} attempts")

    def is_running(self) -> bool:
        return (
            self.exists()
            and self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0
        )

    def stop(self, *, mode: str = "fast") -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop")

    def log_tail(self, lines: int = 1) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return " | ".join(text.strip().splitlines()[-lines:])


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def superuser_url(password: str, port: int, dbname: str = "postgres") -> str:
    return f"postgresql://{SUPERUSER}:{quote(password, safe='')}@127.0.0.1:{port}/{dbname}"


def cluster_tmp_parent() -> str:
    """Where to put throwaway clusters: somewhere the server's OS user can walk into."""
    parent = Path(tempfile.gettempdir()).resolve()
    return str(parent) if walkable_by_server_user(parent) else "/tmp"


@contextlib.contextmanager
def temporary_cluster(bindir: Path | None = None, *, backend: str = "local") -> Iterator[Server]:
    """A fresh cluster on a free port, stopped and deleted when the block exits."""
    from astegni_db.disposable.reaper import reaper

    root = Path(tempfile.mkdtemp(prefix="astegni-db-", dir=cluster_tmp_parent()))
    with reaper(postmaster_pid_file=root / "data" / "postmaster.pid", paths=(root,)):
        try:
            cluster = LocalCluster(root, bindir)
            password = secrets.token_urlsafe(18)
            cluster.init(password, TEST_SETTINGS)
            try:
                port = cluster.start_on_free_port()
                yield Server(url=superuser_url(password, port), backend=backend, resource=str(root))
            finally:
                # Nothing here is worth a clean shutdown checkpoint: it is deleted next.
                cluster.stop(mode="immediate")
        finally:
            shutil.rmtree(root, ignore_errors=True)
