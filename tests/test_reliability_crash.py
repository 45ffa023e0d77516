"""migrate killed, cut off or abandoned by its server, on a table with 200,000 rows.

Each fault is injected at a known point: the test holds a lock the migrate
process needs, waits until the process's backend is seen waiting for it,
then strikes. Afterwards, every time:
- ``status`` runs, and what it says agrees with the live schema;
- no lock is left behind: the dead run's server session is gone within
  seconds, while the test still holds its blocker;
- the next ``migrate`` completes with no manual step and a short --lock-timeout;
- every row and value that existed before is still there (an md5 over every
  column of every row of every legacy table).
"""

from __future__ import annotations

import json
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from astegni_db import api
from astegni_db.disposable import Server, create_database, drop_database, temporary_database
from astegni_db.disposable.databases import unique_name
from astegni_db.migrating.lock import LOCK_KEY
from tests import legacy_states
from tests.helpers import (
    MIGRATIONS_DIR,
    Result,
    assert_clean_failure,
    copy_migrations,
    finish,
    run_cli,
    server_bindir,
    start_cli,
)
from tests.reliability_helpers import (
    MIGRATION_IDS,
    NEW_COLUMNS,
    Fingerprint,
    add_bulk_sessions,
    advisory_locks,
    applied_ids,
    assert_fully_migrated,
    assert_nothing_lost,
    astegni_backends,
    backend_alive,
    columns,
    figure,
    fingerprint,
    kill,
    scalar,
    wait_for,
    waiting_backend,
)

pytestmark = pytest.mark.slow

BULK_ROWS = 200_000
# How long a dead run's server session may linger before we call its lock stale.
STALE_LOCK_BOUND_S = 5.0


def build_legacy_with_rows(url: str) -> None:
    legacy_states.build_state_1(url)
    add_bulk_sessions(url, BULK_ROWS)


@pytest.fixture(scope="module")
def legacy_template(pg_server: Server) -> Iterator[str]:
    """State 1 (no scheduling columns) with ~200k sessions, built once per module."""
    name = unique_name("crash_tmpl")
    create_database(pg_server, name)
    try:
        build_legacy_with_rows(pg_server.url_for(name))
        yield name
    finally:
        drop_database(pg_server, name)


@pytest.fixture
def legacy_db(pg_server: Server, legacy_template: str) -> Iterator[str]:
    with temporary_database(pg_server, template=legacy_template, purpose="crash") as url:
        yield url


def migrate_cli(url: str, *extra: str) -> Any:
    return start_cli("migrate", "--database-url", url, *extra)


def status_json(url: str, migrations: Path | None = None) -> dict[str, str]:
    args = ["status", "--format", "json", "--database-url", url]
    if migrations is not None:
        args += ["--migrations-dir", str(migrations)]
    res = run_cli(*args)
    assert res.code == 0, res.output
    return {m["id"]: m["state"] for m in json.loads(res.stdout)["migrations"]}


def assert_status_explains_schema(url: str, before_columns: dict[str, str]) -> dict[str, str]:
    """What status says was applied is what the schema shows: no half-applied migration."""
    states = status_json(url)
    assert set(states.values()) <= {"applied", "pending"}, states
    assert set(applied_ids(url)) == {m for m, s in states.items() if s == "applied"}
    cols = columns(url, "tutoring_sessions")
    if states["0002_tutoring_sessions_schedule_fields"] == "pending":
        assert cols == before_columns, "0002 is pending, yet tutoring_sessions changed"
    else:
        assert set(NEW_COLUMNS) <= set(cols)
    return states


def assert_no_stale_session(url: str, pid: int | None) -> float:
    """The dead run's server session ends by itself, soon; returns how long it took."""
    started = time.monotonic()
    if pid is not None:
        wait_for(lambda: not backend_alive(url, pid), STALE_LOCK_BOUND_S, f"backend {pid} to end")
    wait_for(lambda: advisory_locks(url) == 0, STALE_LOCK_BOUND_S, "the migration lock to go")
    return time.monotonic() - started


def recover(url: str, before: Fingerprint, *extra: str) -> Result:
    """The next migrate finishes without help, quickly, and loses nothing."""
    started = time.monotonic()
    res = finish(migrate_cli(url, "--lock-timeout", "2", *extra))
    assert res.code == 0, res.output
    assert time.monotonic() - started < 30
    assert_nothing_lost(url, before)
    return res


# --- pause points --------------------------------------------------------------
# Each takes the database URL and an ExitStack to park its blocker session on,
# prepares the database, and returns extra migrate flags.


def _blocker(stack: ExitStack, url: str) -> psycopg.Connection[Any]:
    """A session whose transaction holds the pause; rolled back when the stack closes."""
    conn = stack.enter_context(psycopg.connect(url, application_name="test blocker"))
    stack.callback(conn.rollback)
    return conn


def _bookkeeping_only(url: str, tmp: Path) -> None:
    """yoyo's tables and ours exist, nothing applied (a migrate of no migrations)."""
    empty = tmp / "none"
    empty.mkdir()
    api.migrate(url, empty)


def _baseline_applied(url: str, tmp: Path) -> None:
    api.migrate(url, copy_migrations(tmp / "upto1", upto="0001_baseline"))


def pause_waiting_for_migration_lock(url: str, stack: ExitStack, tmp: Path) -> list[str]:
    _blocker(stack, url).execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
    return ["--lock-timeout", "60"]


def pause_in_yoyo_schema_upgrade(url: str, stack: ExitStack, tmp: Path) -> list[str]:
    # The first run creates yoyo's tables; a competing uncommitted CREATE of the
    # same name makes it wait inside that transaction.
    _blocker(stack, url).execute("CREATE TABLE _yoyo_log (id int)")
    return []


def pause_0001_writing_bookkeeping(url: str, stack: ExitStack, tmp: Path) -> list[str]:
    # Inside 0001's transaction: its _yoyo_log row waits for our SHARE lock.
    _bookkeeping_only(url, tmp)
    _blocker(stack, url).execute("LOCK TABLE _yoyo_log IN SHARE MODE")
    return []


def pause_0002_writing_bookkeeping(url: str, stack: ExitStack, tmp: Path) -> list[str]:
    _baseline_applied(url, tmp)
    _blocker(stack, url).execute("LOCK TABLE _yoyo_log IN SHARE MODE")
    return []


def pause_0002_ddl_queued(url: str, stack: ExitStack, tmp: Path) -> list[str]:
    # 0002's bookkeeping rows are written (uncommitted); its ALTER waits behind
    # our ACCESS SHARE, in one long attempt, until we strike.
    _baseline_applied(url, tmp)
    _blocker(stack, url).execute("SELECT count(*) FROM tutoring_sessions")
    return ["--ddl-lock-timeout", "60000", "--ddl-retries", "0"]


PausePoint = Callable[[str, ExitStack, Path], list[str]]
PAUSE_POINTS: dict[str, PausePoint] = {
    "waiting_for_migration_lock": pause_waiting_for_migration_lock,
    "in_yoyo_schema_upgrade": pause_in_yoyo_schema_upgrade,
    "0001_writing_bookkeeping": pause_0001_writing_bookkeeping,
    "0002_writing_bookkeeping": pause_0002_writing_bookkeeping,
    "0002_ddl_queued": pause_0002_ddl_queued,
}


def paused_migrate(url: str, point: str, stack: ExitStack, tmp: Path) -> tuple[Any, int]:
    """A migrate process stopped at ``point``, and the pid of its waiting backend."""
    extra = PAUSE_POINTS[point](url, stack, tmp)
    proc = migrate_cli(url, *extra)
    stack.callback(lambda: proc.poll() is None and proc.kill())
    # Every point but the first pauses on a table lock. Counting a backend whose last
    # query was the advisory-lock poll would strike too early: that query stays in
    # pg_stat_activity after the lock is won, while migrate still reads the catalog.
    polling = point == "waiting_for_migration_lock"
    pid = wait_for(
        lambda: waiting_backend(url, polling_counts=polling) or proc.poll() is not None,
        30,
        f"pause {point}",
    )
    assert proc.poll() is None, finish(proc).output
    return proc, int(pid)


@pytest.mark.parametrize("point", list(PAUSE_POINTS))
def test_sigkill_at_each_point_recovers_with_no_loss(
    legacy_db: str, point: str, tmp_path: Path
) -> None:
    before = fingerprint(legacy_db)
    before_columns = columns(legacy_db, "tutoring_sessions")
    with ExitStack() as stack:
        proc, pid = paused_migrate(legacy_db, point, stack, tmp_path)
        kill(proc)
        # The blocker is still held: the dead run's session must end anyway.
        lingered = assert_no_stale_session(legacy_db, pid)
        figure("dead_session_lingered_s", round(lingered, 2))
    assert_status_explains_schema(legacy_db, before_columns)
    recover(legacy_db, before)
    assert_fully_migrated(legacy_db)


def test_backend_terminated_mid_migration(legacy_db: str, tmp_path: Path) -> None:
    point = "0002_ddl_queued"
    before = fingerprint(legacy_db)
    before_columns = columns(legacy_db, "tutoring_sessions")
    with ExitStack() as stack:
        proc, pid = paused_migrate(legacy_db, point, stack, tmp_path)
        with psycopg.connect(legacy_db, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        res = finish(proc, timeout=30)
    assert_clean_failure(res, (7,))
    assert "lost the connection" in res.stderr, res.stderr
    assert "terminating connection" in res.stderr, res.stderr
    assert "0002_tutoring_sessions_schedule_fields" in res.stderr
    error_line = next(line for line in res.stderr.splitlines() if line.startswith("error: "))
    assert len(error_line) < 400  # one line, not a dump
    figure("message", error_line)
    assert_status_explains_schema(legacy_db, before_columns)
    recover(legacy_db, before)
    assert_fully_migrated(legacy_db)


class CuttableProxy:
    """A TCP relay to the server whose connections the test can cut at will."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        with self._lock:
            for s in self.sockets:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def via_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_cut_connection_mid_migration(legacy_db: str, tmp_path: Path) -> None:
    before = fingerprint(legacy_db)
    before_columns = columns(legacy_db, "tutoring_sessions")
    parts = urlsplit(legacy_db)
    proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxied = via_proxy(legacy_db, proxy.port)
    try:
        with ExitStack() as stack:
            _baseline_applied(legacy_db, tmp_path)
            _blocker(stack, legacy_db).execute("LOCK TABLE _yoyo_log IN SHARE MODE")
            proc = migrate_cli(proxied)
            stack.callback(lambda: proc.poll() is None and proc.kill())
            pid = wait_for(
                lambda: waiting_backend(legacy_db, polling_counts=False),
                30,
                "0002 to reach bookkeeping",
            )
            proxy.cut()
            res = finish(proc, timeout=30)
            assert_clean_failure(res, (7,))
            assert "lost the connection" in res.stderr
            # The server notices its client is gone even while the session waits on a lock.
            assert_no_stale_session(legacy_db, pid)
    finally:
        proxy.close()
    assert_status_explains_schema(legacy_db, before_columns)
    recover(legacy_db, before)
    assert_fully_migrated(legacy_db)


def test_killed_after_ddl_in_a_long_statement(legacy_db: str, tmp_path: Path) -> None:
    """Killed after a migration's ALTER, while a long statement (a backfill, an index
    build) runs in the same transaction: the ALTER is undone, the migration stays
    pending, and the dead run does not keep the lock until the statement ends."""
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_column_and_backfill.sql").write_text(
        "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS crash_probe integer;\n"
        "-- Stands in for a long backfill: sleeps only while the test's marker exists.\n"
        "DO $$ BEGIN\n"
        "  IF to_regclass('crash_marker') IS NOT NULL THEN PERFORM pg_sleep(120); END IF;\n"
        "END $$;\n"
    )
    before = fingerprint(legacy_db)
    with psycopg.connect(legacy_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE crash_marker ()")
    proc = migrate_cli(legacy_db, "--migrations-dir", str(migrations))
    try:

        def sleeping_backend() -> int | None:
            row = scalar(
                legacy_db,
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'astegni-db migrate'"
                " AND wait_event = 'PgSleep' AND datname = current_database()",
            )
            return int(row) if row is not None else None

        pid = wait_for(sleeping_backend, 60, "0003 to reach its long statement")
        kill(proc)
        assert_no_stale_session(legacy_db, pid)
    finally:
        if proc.poll() is None:
            proc.kill()
    with psycopg.connect(legacy_db, autocommit=True) as conn:
        conn.execute("DROP TABLE crash_marker")
    assert "crash_probe" not in columns(legacy_db, "tutoring_sessions")
    states = status_json(legacy_db, migrations)
    assert states["0009_column_and_backfill"] == "pending"
    assert applied_ids(legacy_db) == list(MIGRATION_IDS)  # committed before the kill
    recover(legacy_db, before, "--migrations-dir", str(migrations))
    assert applied_ids(legacy_db) == [*MIGRATION_IDS, "0009_column_and_backfill"]
    assert "crash_probe" in columns(legacy_db, "tutoring_sessions")


def test_sigkill_at_random_moments(pg_server: Server, legacy_template: str) -> None:
    """Kills anywhere between the first query and the end (lock, upgrade, each migration)."""
    rng = random.Random(20261125)
    runs = 4
    outcomes: dict[str, int] = {}

    def connected(url: str) -> bool:
        return astegni_backends(url) > 0

    with temporary_database(pg_server, template=legacy_template, purpose="crash") as url:
        before = fingerprint(url)
        before_columns = columns(url, "tutoring_sessions")
        proc = migrate_cli(url)
        wait_for(lambda: connected(url) or proc.poll() is not None, 30, "migrate to connect")
        seen = time.monotonic()
        full = finish(proc)
        assert full.code == 0, full.output
        db_phase_s = time.monotonic() - seen
    for _ in range(runs):
        with temporary_database(pg_server, template=legacy_template, purpose="crash") as url:
            proc = migrate_cli(url)
            wait_for(lambda u=url, p=proc: connected(u) or p.poll() is not None, 30, "connect")
            time.sleep(rng.uniform(0, db_phase_s))
            kill(proc)
            wait_for(lambda u=url: astegni_backends(u) == 0, STALE_LOCK_BOUND_S, "sessions to end")
            plan = api.status(url, MIGRATIONS_DIR).plan
            states = {e.id: str(e.state) for e in plan.entries}
            assert set(states.values()) <= {"applied", "pending"}, states
            if states[MIGRATION_IDS[1]] == "pending":
                assert columns(url, "tutoring_sessions") == before_columns
            key = "+".join(m[:4] for m in MIGRATION_IDS if states[m] == "applied") or "none"
            outcomes[key] = outcomes.get(key, 0) + 1
            recover(url, before)
            assert_fully_migrated(url)
    figure("random_kill_outcomes", json.dumps(outcomes, sort_keys=True))
    print(f"random kills: {runs} runs over a {db_phase_s:.2f}s database phase: {outcomes}")


# --- the server itself goes away -----------------------------------------------


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[tuple[Server, Any, str]]:
    """A cluster of our own (this test stops and restarts it) with a legacy template."""
    from astegni_db.disposable import local

    bindir = server_bindir()
    with local.temporary_cluster(bindir) as server:
        assert server.resource is not None
        template = unique_name("stop_tmpl")
        create_database(server, template)
        # Fewer rows than elsewhere: here the server goes away, not the table's size.
        legacy_states.build_state_1(server.url_for(template))
        add_bulk_sessions(server.url_for(template), 50_000)
        yield server, local.LocalCluster(Path(server.resource), bindir), template


def restart(cluster: Any, server: Server) -> None:
    if not cluster.is_running():
        cluster.start(urlsplit(server.url).port)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_server_stops_mid_migration(
    own_cluster: tuple[Server, Any, str], mode: str, tmp_path: Path
) -> None:
    server, cluster, template = own_cluster
    restart(cluster, server)
    with temporary_database(server, template=template, purpose="stop") as url:
        before = fingerprint(url)
        before_columns = columns(url, "tutoring_sessions")
        stack = ExitStack()
        try:
            proc, _ = paused_migrate(url, "0002_ddl_queued", stack, tmp_path)
            cluster.stop(mode=mode)
            res = finish(proc, timeout=60)
        finally:
            with suppress(psycopg.Error):
                stack.close()  # the blocker's connection died with the server
        assert_clean_failure(res, (7,))
        assert "lost the connection" in res.stderr
        figure("message", next(ln for ln in res.stderr.splitlines() if ln.startswith("error: ")))
        # With the server down, a new run says so, within its connect timeout.
        started = time.monotonic()
        down = run_cli("status", "--connect-timeout", "2", "--database-url", url)
        assert_clean_failure(down, (7,))
        assert time.monotonic() - started < 10
        restart(cluster, server)
        assert_status_explains_schema(url, before_columns)
        recover(url, before)
        assert_fully_migrated(url)


@pytest.mark.parametrize(
    "signame",
    [
        "SIGINT",
        "SIGTERM",
    ],
)
def test_interrupted_migrate_rolls_back_and_says_so(
    legacy_db: str, signame: str, tmp_path: Path
) -> None:
    """Ctrl-C (or a polite kill) while the ALTER waits: one line, the transaction rolled back."""
    before = fingerprint(legacy_db)
    before_columns = columns(legacy_db, "tutoring_sessions")
    with ExitStack() as stack:
        proc, pid = paused_migrate(legacy_db, "0002_ddl_queued", stack, tmp_path)
        proc.send_signal(getattr(signal, signame))
        res = finish(proc, timeout=30)
        assert_no_stale_session(legacy_db, pid)
    if signame == "SIGINT":
        assert_clean_failure(res, (130,))
        assert "interrupted" in res.stderr
    else:
        assert res.code == -signal.SIGTERM, res.output  # no handler: like a kill, minus -9
    assert_status_explains_schema(legacy_db, before_columns)
    recover(legacy_db, before)
    assert_fully_migrated(legacy_db)
