"""A real primary and a streaming hot standby, from the machine's PostgreSQL binaries.

The primary is an ordinary throwaway cluster (astegni_db.disposable.local)
with WAL kept for a standby; the standby is made from it with
``pg_basebackup -R`` (which writes ``standby.signal`` and ``primary_conninfo``)
and started beside it. When the suite runs as root, every binary runs as the
same unprivileged OS user as the other throwaway clusters.

One pair serves a whole test module (:func:`running_pair`); each test gets
fresh databases on it (:meth:`ReplicaPair.database`), created on the primary
and present on the standby before the test starts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from astegni_db.disposable.local import (
    SUPERUSER,
    TEST_SETTINGS,
    LocalCluster,
    cluster_tmp_parent,
    superuser_url,
)
from astegni_db.disposable.reaper import reaper
from astegni_db.disposable.server import BackendUnavailable, Server
from astegni_db.settings import DatabaseTarget, parse_database_url, with_dbname

# What a primary needs to feed a hot standby (wal_level and max_wal_senders are
# PostgreSQL 15's defaults already; said here so that the pair does not depend on them).
PRIMARY_SETTINGS: Mapping[str, str] = {
    **TEST_SETTINGS,
    "wal_level": "replica",
    "max_wal_senders": "4",
    "wal_keep_size": "64MB",
}
# The walsender on the primary is named after this (pg_stat_replication.application_name),
# which is how the lag monitor's figures are tied to the standby.
STANDBY_NAME = "astegni_standby"
STANDBY_SETTINGS: Mapping[str, str] = {"hot_standby": "on", "cluster_name": STANDBY_NAME}
# How long setting up a test database may wait for the standby to replay it.
_REPLAY_WAIT_S = 60.0


class StandbyCluster(LocalCluster):
    """A cluster directory filled by pg_basebackup from a running primary."""

    def base_backup(self, primary_port: int, password: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        if self.os_user is not None:
            os.chown(self.root, self.os_user.uid, self.os_user.gid)
        conninfo = f"host=127.0.0.1 port={int(primary_port)} user={SUPERUSER} password={password}"
        done = self._run(
            "pg_basebackup", "-D", str(self.data_dir), "-d", conninfo,
            "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise BackendUnavailable(f"pg_basebackup failed: {done.stderr.strip()[-500:]}")


@dataclass(frozen=True)
class ReplicaPair:
    primary: Server  # superuser, maintenance database
    standby: Server  # the same role on the hot standby (read-only)
    standby_cluster: StandbyCluster

    def primary_target(self, dbname: str) -> DatabaseTarget:
        return parse_database_url(self.primary.url_for(dbname), "the test primary")

    def standby_target(self, dbname: str) -> DatabaseTarget:
        return parse_database_url(self.standby.url_for(dbname), "the test standby")

    def wait_for_replay(self) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.url, autocommit=True) as conn:
            # Flushed now rather than by the WAL writer later (the test clusters
            # run with synchronous_commit = off): a walsender sends flushed WAL only.
            conn.execute("SET synchronous_commit = local")
            with conn.transaction():
                conn.execute("SELECT pg_logical_emit_message(true, 'astegni-db-tests', '')")
            row = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert row is not None
        deadline = time.monotonic() + _REPLAY_WAIT_S
        with psycopg.connect(self.standby.url, autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)
                ).fetchone()
                if done is not None and done[0]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the standby did not replay {row[0]}")
                time.sleep(0.05)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new empty database on the primary, replayed onto the standby; dropped after."""
        name = f"astegni_replica_{secrets.token_hex(4)}"
        with psycopg.connect(self.primary.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            self.wait_for_replay()
            yield name
        finally:
            self.resume_replay()
            with psycopg.connect(self.primary.url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    def set_standby(self, setting: str, value: str) -> None:
        """Change a setting of the running standby (ALTER SYSTEM, then a reload)."""
        with psycopg.connect(self.standby.url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(setting), sql.Literal(value)
            ))  # fmt: skip
            conn.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + _REPLAY_WAIT_S
            while conn.execute("SELECT current_setting(%s)", (setting,)).fetchone() != (value,):
                if time.monotonic() > deadline:
                    raise AssertionError(f"the standby did not take {setting} = {value}")
                time.sleep(0.02)

    def pause_replay(self) -> None:
        with psycopg.connect(self.standby.url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with psycopg.connect(self.standby.url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


@contextlib.contextmanager
def running_pair(bindir: Path) -> Iterator[ReplicaPair]:
    """A primary and its streaming hot standby, both stopped and deleted when the block exits."""
    parent = cluster_tmp_parent()
    primary_root = Path(tempfile.mkdtemp(prefix="astegni-db-primary-", dir=parent))
    standby_root = Path(tempfile.mkdtemp(prefix="astegni-db-standby-", dir=parent))
    standby_root.rmdir()  # pg_basebackup's cluster makes it, owned by the server's OS user
    with (
        reaper(postmaster_pid_file=primary_root / "data" / "postmaster.pid", paths=(primary_root,)),
        reaper(postmaster_pid_file=standby_root / "data" / "postmaster.pid", paths=(standby_root,)),
    ):
        primary = LocalCluster(primary_root, bindir)
        standby = StandbyCluster(standby_root, bindir)
        password = secrets.token_urlsafe(18)
        try:
            primary.init(password, PRIMARY_SETTINGS)
            primary_port = primary.start_on_free_port()
            standby.base_backup(primary_port, password)
            standby.configure(STANDBY_SETTINGS)
            standby_port = standby.start_on_free_port()
            yield ReplicaPair(
                primary=Server(superuser_url(password, primary_port), "local", str(primary_root)),
                standby=Server(superuser_url(password, standby_port), "local", str(standby_root)),
                standby_cluster=standby,
            )
        finally:
            standby.stop(mode="immediate")
            primary.stop(mode="immediate")
            shutil.rmtree(standby_root, ignore_errors=True)
            shutil.rmtree(primary_root, ignore_errors=True)


def unreachable_url(dbname: str) -> str:
    """A URL nobody answers on: a port that was free a moment ago."""
    from astegni_db.disposable.local import free_port

    return with_dbname(f"postgresql://{SUPERUSER}:nopassword@127.0.0.1:{free_port()}/x", dbname)


# -- fixtures (registered by tests/conftest.py's pytest_plugins) -----------------------------


@pytest.fixture(scope="module")
def replica_pair() -> Iterator[ReplicaPair]:
    """A primary and its streaming hot standby, one pair per test module."""
    from tests.helpers import server_bindir

    with running_pair(server_bindir()) as started:
        yield started


@pytest.fixture
def replica_db(replica_pair: ReplicaPair) -> Iterator[str]:
    """A new database on the primary (so on the standby too), dropped afterwards."""
    with replica_pair.database() as name:
        yield name
