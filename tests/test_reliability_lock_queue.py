"""migrate behind a long transaction on a busy tutoring_sessions.

An ALTER that waits for its ACCESS EXCLUSIVE lock makes every later query on
the table queue behind it. These tests run application-like readers and
writers in threads the whole time, hold a long transaction on the table,
and measure the worst latency any of those queries saw:
- with astegni-db's lock_timeout and retries the worst stall stays within one
  lock_timeout (plus noise), the retries back off, and migrate succeeds once
  the long transaction ends, or gives up naming it;
- a control run with one 60 s attempt shows what the measurement would catch:
  the queue stalls for as long as the long transaction lasts.

(tests/test_migrate.py covers the single-reader case and the retry count.)
"""

from __future__ import annotations

import json
import random
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from astegni_db import api
from astegni_db.disposable import Server, create_database, drop_database, temporary_database
from astegni_db.disposable.databases import unique_name
from tests import legacy_states
from tests.helpers import MIGRATIONS_DIR, assert_clean_failure, copy_migrations, finish, start_cli
from tests.reliability_helpers import (
    NEW_COLUMNS,
    add_bulk_sessions,
    applied_ids,
    columns,
    figure,
    wait_for,
    waiting_backend,
)

pytestmark = pytest.mark.slow

DDL_LOCK_TIMEOUT_MS = 200
BLOCKER_S = 2.0


@dataclass
class Traffic:
    """Readers and writers on tutoring_sessions, each query's latency recorded."""

    url: str
    readers: int = 3
    writers: int = 2
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _loop(self, kind: str, seed: int) -> None:
        rng = random.Random(seed)
        with psycopg.connect(self.url, autocommit=True, application_name=f"app {kind}") as conn:
            max_id = conn.execute("SELECT max(id) FROM tutoring_sessions").fetchone()[0]  # type: ignore[index]
            while not self._stop.is_set():
                sid = rng.randrange(1, max_id + 1)
                started = time.perf_counter()
                try:
                    if kind == "reader":
                        conn.execute(
                            "SELECT id, status, amount FROM tutoring_sessions"
                            " WHERE tutor_id = %s ORDER BY session_date DESC LIMIT 20",
                            (1 + sid % 15,),
                        ).fetchall()
                    else:
                        conn.execute(
                            "UPDATE tutoring_sessions SET updated_at = now() WHERE id = %s",
                            (sid,),
                        )
                except psycopg.Error as exc:
                    self.errors.append(f"{kind}: {exc}")
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.005)

    @contextmanager
    def running(self) -> Iterator[Traffic]:
        threads = [
            threading.Thread(target=self._loop, args=(kind, i))
            for i, kind in enumerate(["reader"] * self.readers + ["writer"] * self.writers)
        ]
        for t in threads:
            t.start()
        try:
            yield self
        finally:
            self._stop.set()
            for t in threads:
                t.join(timeout=30)

    @property
    def worst(self) -> float:
        return max(self.latencies)

    def summary(self) -> str:
        lat = sorted(self.latencies)
        p99 = lat[int(len(lat) * 0.99) - 1]
        return (
            f"{len(lat)} queries, median {statistics.median(lat) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, worst {self.worst * 1000:.0f} ms"
        )


@pytest.fixture(scope="module")
def busy_template(pg_server: Server) -> Iterator[str]:
    """A legacy database (state 1, 50k sessions, an app index) with 0001 applied."""
    name = unique_name("busy_tmpl")
    create_database(pg_server, name)
    url = pg_server.url_for(name)
    try:
        legacy_states.build_state_1(url)
        add_bulk_sessions(url, 50_000)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE INDEX ON tutoring_sessions (tutor_id)")
        with tempfile.TemporaryDirectory() as tmp:
            api.migrate(url, copy_migrations(Path(tmp), upto="0001_baseline"))
        yield name
    finally:
        drop_database(pg_server, name)


@pytest.fixture
def busy_db(pg_server: Server, busy_template: str) -> Iterator[tuple[str, Path]]:
    """A clone of the busy template, and the full migrations (0002 pending)."""
    with temporary_database(pg_server, template=busy_template, purpose="busy") as url:
        yield url, MIGRATIONS_DIR


@contextmanager
def long_transaction(url: str, kind: str) -> Iterator[psycopg.Connection[Any]]:
    """A report (ACCESS SHARE) or a slow writer (ROW EXCLUSIVE) that stays open."""
    with psycopg.connect(url, application_name=f"long {kind}") as conn:
        if kind == "report":
            conn.execute("SELECT count(*) FROM tutoring_sessions")
        else:
            conn.execute("UPDATE tutoring_sessions SET topic = topic WHERE id = 1")
        try:
            yield conn
        finally:
            conn.rollback()


RETRY_LINE = re.compile(r"attempt (\d+): lock not granted within \d+ ms; retrying in ([\d.]+)s")


@pytest.mark.parametrize("kind", ["report", "writer"])
def test_migrate_waits_out_a_long_transaction_without_stalling_traffic(
    busy_db: tuple[str, Path], kind: str
) -> None:
    url, migrations = busy_db
    traffic = Traffic(url)
    with traffic.running():
        time.sleep(0.5)  # a baseline before anything blocks
        with long_transaction(url, kind) as blocker:
            proc = start_cli(
                "migrate", "--database-url", url, "--migrations-dir", str(migrations),
                "--ddl-lock-timeout", str(DDL_LOCK_TIMEOUT_MS), "--ddl-retries", "10",
            )  # fmt: skip
            # The blocker lasts BLOCKER_S from migrate's first attempt on.
            wait_for(
                lambda: proc.poll() is not None or waiting_backend(url, polling_counts=False),
                30,
                "first attempt",
            )
            time.sleep(BLOCKER_S)
            blocker.rollback()
        res = finish(proc, timeout=60)
        time.sleep(0.3)
    assert res.code == 0, res.output
    assert traffic.errors == []
    assert set(NEW_COLUMNS) <= set(columns(url, "tutoring_sessions"))

    # Retried, with growing (jittered, capped) delays.
    delays = [float(d) for _, d in RETRY_LINE.findall(res.stderr)]
    assert len(delays) >= 2, res.stderr
    assert all(b > a for a, b in zip(delays, delays[1:], strict=False) if b < 5 * 0.75), delays
    assert "applied in" in res.stderr and ", attempt " in res.stderr

    summary = traffic.summary()
    figure("latency", summary)
    figure("retry_delays_s", delays)
    print(f"lock queue ({kind} blocker {BLOCKER_S}s, lock_timeout {DDL_LOCK_TIMEOUT_MS} ms): "
          f"{summary}; retries {delays}")  # fmt: skip
    assert traffic.worst < DDL_LOCK_TIMEOUT_MS / 1000 + 1.0, summary


def test_migrate_gives_up_naming_the_blocker_and_traffic_never_stalls(
    busy_db: tuple[str, Path],
) -> None:
    url, migrations = busy_db
    traffic = Traffic(url)
    with traffic.running(), long_transaction(url, "report") as blocker:
        pid = blocker.info.backend_pid
        res = finish(
            start_cli(
                "migrate",
                "--format",
                "json",
                "--database-url",
                url,
                "--migrations-dir",
                str(migrations),
                "--ddl-lock-timeout",
                str(DDL_LOCK_TIMEOUT_MS),
                "--ddl-retries",
                "3",
            ),  # fmt: skip
            timeout=60,
        )
    assert_clean_failure(res, (4,))
    assert f"blocked by pid {pid} (long report" in res.stderr
    assert "gave up after 4 attempts" in res.stderr
    error = json.loads(res.stdout)["error"]
    assert error["exit_code"] == 4 and f"pid {pid}" in error["message"]
    # Nothing half-done: 0002 is not applied and the table is as it was.
    assert applied_ids(url) == ["0001_baseline"]
    assert not set(NEW_COLUMNS) & set(columns(url, "tutoring_sessions"))
    assert traffic.errors == []
    summary = traffic.summary()
    figure("latency", summary)
    print(f"lock queue (give up after 4 attempts): {summary}")
    assert traffic.worst < DDL_LOCK_TIMEOUT_MS / 1000 + 1.0, summary


def test_control_without_a_short_lock_timeout_the_queue_stalls(busy_db: tuple[str, Path]) -> None:
    """What the bound above protects against, measured the same way: one attempt
    allowed to wait 60 s queues every reader and writer behind it."""
    url, migrations = busy_db
    traffic = Traffic(url)
    stalled: list[float] = []
    # Connected up front, so its one read measures the queue, not a connection.
    with traffic.running(), psycopg.connect(url, autocommit=True) as reader:
        time.sleep(0.3)
        with long_transaction(url, "report") as blocker:
            proc = start_cli(
                "migrate", "--database-url", url, "--migrations-dir", str(migrations),
                "--ddl-lock-timeout", "60000", "--ddl-retries", "0",
            )  # fmt: skip
            wait_for(
                lambda: proc.poll() is not None or waiting_backend(url, polling_counts=False),
                30,
                "ALTER queued",
            )

            def read_once() -> None:
                started = time.perf_counter()
                reader.execute("SELECT count(*) FROM tutoring_sessions")
                stalled.append(time.perf_counter() - started)

            queued_read = threading.Thread(target=read_once)
            queued_read.start()
            time.sleep(BLOCKER_S)
            blocker.rollback()
            queued_read.join(timeout=60)
        res = finish(proc, timeout=60)
    assert res.code == 0, res.output
    summary = traffic.summary()
    figure("latency", summary)
    figure("read_queued_behind_the_alter_s", round(stalled[0], 2))
    print(f"lock queue control (no short lock_timeout, {BLOCKER_S}s blocker): {summary}")
    # A read sent while the ALTER waits queues behind it for the whole blocker;
    # measured on its own, since on a loaded machine the traffic threads may
    # send nothing in that window.
    assert stalled and stalled[0] > BLOCKER_S * 0.8, (stalled, summary)
