"""The dev database as root: its files under a shared, predictable path no other local
user can prepare for us; and its state surviving a move to another port.

As root the server runs as `postgres`, which cannot enter a project under
/root, so the cluster lives below /var/tmp/astegni-db-dev (here: a private
stand-in, $ASTEGNI_DB_DEV_DATA_DIR, inside a root-owned sticky directory just
like /var/tmp). Another user may create that path first, as a directory or
a symlink: astegni-db refuses it, or never uses the name they could guess.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from astegni_db import devdb
from astegni_db.errors import ConfigError, ExitCode
from tests.helpers import assert_clean_failure, port_of, run_cli

pytestmark = pytest.mark.root  # only root hands the server to another OS user

# The other local user: the `dev` account where there is one, else `nobody`.
OTHER_USER = next(
    (name for name in ("dev", "nobody") if name in {p.pw_name for p in pwd.getpwall()}), "nobody"
)


def as_other_user(*command: str) -> None:
    """Run ``command`` as the other local user, as they would from their own shell."""
    entry = pwd.getpwnam(OTHER_USER)
    subprocess.run(
        command, check=True, user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], cwd="/"
    )


@dataclass
class Machine:
    """A root-owned sticky directory (like /var/tmp), the data base configured below it,
    a project the server user cannot enter, and a directory of root's to aim links at."""

    shared: Path
    base: Path
    project: Path
    victim: Path

    @property
    def dev_dir(self) -> Path:
        return self.project.resolve() / ".astegni-db" / "dev"

    @property
    def predictable_name(self) -> Path:
        """Where an earlier astegni-db put this project's cluster: a name anyone can compute."""
        return self.base / hashlib.sha256(str(self.dev_dir).encode()).hexdigest()[:16]

    def state(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads((self.dev_dir / "state.json").read_text())
        return loaded


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Machine]:
    monkeypatch.delenv("CI", raising=False)
    shared = Path(tempfile.mkdtemp(prefix="astegni-devdb-shared-"))
    shared.chmod(0o1777)
    private = Path(tempfile.mkdtemp(prefix="astegni-devdb-private-"))
    private.chmod(0o700)  # like /root: the postgres user cannot enter it
    project = private / "clone"
    project.mkdir()
    victim = Path(tempfile.mkdtemp(prefix="astegni-devdb-victim-"))
    victim.chmod(0o755)  # stands for /etc, /root/.ssh: root's, and to stay so
    base = shared / "astegni-db-dev"
    monkeypatch.setenv(devdb.DATA_DIR_ENV, str(base))
    try:
        yield Machine(shared, base, project, victim)
    finally:
        with contextlib.suppress(ConfigError):  # a refused start left nothing to stop
            devdb.stop(project)
        for path in (private, shared, victim):
            shutil.rmtree(path, ignore_errors=True)


def assert_untouched(victim: Path) -> None:
    info = victim.lstat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o755), "root's directory was changed"
    assert list(victim.iterdir()) == [], "files were written into root's directory"


def test_a_shared_directory_another_user_created_first_is_refused(machine: Machine) -> None:
    as_other_user("mkdir", "-m", "0777", str(machine.base))

    res = run_cli("dev", "start", cwd=machine.project, env={"CI": "false"})

    assert_clean_failure(res, [ExitCode.USAGE])
    assert f"owned by {OTHER_USER}" in res.stderr and str(machine.base) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert list(machine.base.iterdir()) == [], "nothing may be created in their directory"
    assert stat.S_IMODE(machine.base.stat().st_mode) == 0o777, "their directory is left alone"
    assert not (machine.dev_dir / "state.json").exists()


def test_a_symlink_planted_at_the_shared_directory_is_never_followed(machine: Machine) -> None:
    as_other_user("ln", "-s", str(machine.victim), str(machine.base))

    with pytest.raises(ConfigError, match="is a symbolic link") as refused:
        devdb.start(machine.project)

    assert refused.value.exit_code == ExitCode.USAGE
    assert_untouched(machine.victim)
    assert machine.base.is_symlink()


def test_a_shared_directory_anyone_may_write_without_the_sticky_bit_is_refused(
    machine: Machine,
) -> None:
    machine.base.mkdir()
    machine.base.chmod(0o777)  # root's, but anyone could rename our cluster away

    with pytest.raises(ConfigError, match="writable by other users"):
        devdb.start(machine.project)
    assert list(machine.base.iterdir()) == []


def test_a_symlink_at_the_old_predictable_cluster_path_is_avoided(machine: Machine) -> None:
    """The base is root's and sticky (others may add entries, not touch ours): a link
    they plant at the name an earlier version would have used is simply not used."""
    machine.base.mkdir()
    machine.base.chmod(0o1777)
    as_other_user("ln", "-s", str(machine.victim), str(machine.predictable_name))

    url = devdb.start(machine.project)

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("astegni_dev",)
    assert_untouched(machine.victim)
    cluster = Path(str(machine.state()["cluster_dir"]))
    assert cluster.parent == machine.base and cluster != machine.predictable_name
    assert not cluster.is_symlink()
    info = cluster.lstat()
    assert info.st_uid == pwd.getpwnam("postgres").pw_uid
    assert stat.S_IMODE(info.st_mode) == 0o700


def test_the_normal_path_is_made_safe_and_works_as_root(machine: Machine) -> None:
    url = devdb.start(machine.project)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")

    base = machine.base.lstat()
    assert (base.st_uid, stat.S_IMODE(base.st_mode)) == (0, 0o755)
    [cluster] = list(machine.base.iterdir())
    assert cluster.name.startswith(machine.predictable_name.name + "-")  # plus a random part
    assert Path(str(machine.state()["cluster_dir"])) == cluster
    assert stat.S_IMODE(cluster.lstat().st_mode) == 0o700
    assert not (machine.dev_dir / "cluster").exists()

    assert devdb.stop(machine.project) is True
    assert devdb.start(machine.project) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)


def test_a_base_that_changed_hands_since_is_refused_before_starting(machine: Machine) -> None:
    devdb.start(machine.project)
    devdb.stop(machine.project)
    other = pwd.getpwnam(OTHER_USER)
    os.chown(machine.base, other.pw_uid, other.pw_gid)

    with pytest.raises(ConfigError, match=f"owned by {OTHER_USER}"):
        devdb.start(machine.project)
    assert devdb.status(machine.project).running is False


def test_a_move_to_another_port_keeps_where_the_files_are(machine: Machine) -> None:
    """Its port taken while stopped, the server moves; state.json must still say where
    its files are, or every later start looks in the project and fails."""
    url = devdb.start(machine.project)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")
    cluster_dir = machine.state()["cluster_dir"]
    assert devdb.stop(machine.project) is True

    with socket.socket() as squatter:
        # The stopped server's closed connections leave the port in TIME_WAIT.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port_of(url)))
        squatter.listen()
        moved = devdb.start(machine.project)
        assert port_of(moved) != port_of(url)
        assert machine.state()["cluster_dir"] == cluster_dir
        assert devdb.stop(machine.project) is True

        again = devdb.start(machine.project)  # the squatter still holds the old port

    assert again == moved
    assert machine.state()["cluster_dir"] == cluster_dir
    with psycopg.connect(again) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)
    assert devdb.status(machine.project).running


def test_a_state_an_earlier_version_broke_finds_its_files_again(machine: Machine) -> None:
    """That version wrote state.json without cluster_dir after a move, and kept the
    files under the project's predictable name: they are found, checked and adopted."""
    url = devdb.start(machine.project)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")
    devdb.stop(machine.project)
    state = machine.state()
    Path(str(state["cluster_dir"])).rename(machine.predictable_name)
    (machine.dev_dir / "state.json").write_text(json.dumps({**state, "cluster_dir": ""}))

    assert devdb.start(machine.project) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)
    assert machine.state()["cluster_dir"] == str(machine.predictable_name)
    assert devdb.stop(machine.project) is True
