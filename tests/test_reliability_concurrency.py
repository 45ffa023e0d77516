"""Many `astegni-db migrate` processes at once, and migrate racing verify and status.

The processes are released at the same instant: each one imports everything
it needs, then spins on a barrier file the test creates once all are ready,
so they reach the server together rather than in start-up order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from astegni_db import api
from astegni_db.errors import AstegniError
from astegni_db.migrating.plan import State
from tests import legacy_states
from tests.helpers import (
    MIGRATIONS_DIR,
    REPO,
    SPEC,
    TRACEBACK_MARKERS,
    Result,
    cli_env,
    copy_migrations,
)
from tests.reliability_helpers import (
    MIGRATION_IDS,
    applied_ids,
    apply_log,
    assert_fully_migrated,
    checksummed_ids,
    columns,
    figure,
    wait_for,
)

# Imports first, then wait for the barrier file, then run the CLI as the
# console script would.
_LAUNCHER = """
import os, sys, time
import astegni_db.cli, astegni_db.api, astegni_db.verify.run, psycopg, yoyo.migrations
barrier, ready = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(barrier):
    time.sleep(0.001)
sys.argv = ["astegni-db", *sys.argv[3:]]
astegni_db.cli.main()
"""


class Barrier:
    """Start CLI processes that all wait at one line, then release them together."""

    def __init__(self, tmp: Path) -> None:
        self.dir = tmp / "barrier"
        self.dir.mkdir()
        self.release_file = self.dir / "go"
        self.procs: list[Any] = []

    def start(self, *args: str) -> Any:
        ready = self.dir / f"ready-{len(self.procs)}"
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(self.release_file), str(ready), *args],
            cwd=REPO,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def release(self) -> None:
        n = len(self.procs)
        wait_for(
            lambda: (
                len(list(self.dir.glob("ready-*"))) == n
                or any(p.poll() is not None for p in self.procs)
            ),
            120,
            f"{n} processes to be ready",
        )
        self.release_file.touch()

    def results(self, timeout: float = 180) -> list[Result]:
        out = []
        for p in self.procs:
            stdout, stderr = p.communicate(timeout=timeout)
            out.append(Result(p.returncode, stdout, stderr))
        return out


def assert_no_traceback(results: list[Result]) -> None:
    for r in results:
        for marker in TRACEBACK_MARKERS:
            assert marker not in r.output, r.output


def migrate_args(url: str, *extra: str) -> list[str]:
    return ["migrate", "--format", "json", "--database-url", url, *extra]


@pytest.mark.parametrize(
    "processes", [2, pytest.param(8, marks=pytest.mark.slow)], ids=lambda n: f"{n}procs"
)
def test_migrates_released_together_apply_each_migration_once(
    empty_db_url: str, tmp_path: Path, processes: int
) -> None:
    barrier = Barrier(tmp_path)
    for _ in range(processes):
        barrier.start(*migrate_args(empty_db_url))
    barrier.release()
    results = barrier.results()
    assert [r.code for r in results] == [0] * processes, [r.output for r in results]
    assert_no_traceback(results)
    applied_by = [json.loads(r.stdout)["applied"] for r in results]
    # Exactly one run applied them all; every other one found nothing to do.
    assert sorted(len(a) for a in applied_by) == [0] * (processes - 1) + [len(MIGRATION_IDS)]
    assert_fully_migrated(empty_db_url)


@pytest.mark.slow
def test_short_lock_timeouts_give_up_cleanly_while_long_ones_wait(
    empty_db_url: str, tmp_path: Path
) -> None:
    """A run that lasts ~3 s: --lock-timeout 0.5 runs exit 4 naming the holder."""
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_slow.sql").write_text("SELECT pg_sleep(3);\n")
    barrier = Barrier(tmp_path)
    timeouts = ["30", "0.5", "30", "0.5", "0"]
    for t in timeouts:
        barrier.start(
            *migrate_args(empty_db_url, "--migrations-dir", str(migrations)), "--lock-timeout", t
        )
    barrier.release()
    results = barrier.results()
    assert_no_traceback(results)
    winners = [
        r
        for r in results
        if r.code == 0 and len(json.loads(r.stdout)["applied"]) == len(MIGRATION_IDS) + 1
    ]
    assert len(winners) == 1, [r.output for r in results]
    for t, r in zip(timeouts, results, strict=True):
        if t == "30":
            assert r.code == 0, r.output
        else:
            assert r.code in (0, 4), r.output
        if r.code == 4:
            assert "another astegni-db run holds the migration lock: pid" in r.stderr
            assert "(astegni-db migrate" in r.stderr
            assert json.loads(r.stdout)["error"]["exit_code"] == 4
    assert sum(r.code == 4 for r in results) >= 2  # at most one short-timeout run can win
    assert applied_ids(empty_db_url) == [*MIGRATION_IDS, "0009_slow"]
    assert sorted(apply_log(empty_db_url)) == [(m, "apply") for m in (*MIGRATION_IDS, "0009_slow")]


@pytest.mark.slow
def test_migrate_racing_verify_and_status(empty_db_url: str, tmp_path: Path) -> None:
    """Processes of all three verbs released together on a legacy database."""
    legacy_states.build_state_4(empty_db_url)
    barrier = Barrier(tmp_path)
    kinds = ["migrate", "verify", "status"] * 2
    for kind in kinds:
        if kind == "migrate":
            barrier.start(*migrate_args(empty_db_url))
        elif kind == "verify":
            barrier.start(
                "verify", "--format", "json", "--no-queries", "--database-url", empty_db_url
            )
        else:
            barrier.start("status", "--format", "json", "--database-url", empty_db_url)
    barrier.release()
    results = barrier.results()
    assert_no_traceback(results)
    for kind, r in zip(kinds, results, strict=True):
        payload = json.loads(r.stdout)  # every one wrote a whole JSON document
        if kind == "migrate":
            assert r.code == 0, r.output
        elif kind == "verify":
            # Before 0002 commits the legacy defaults are a mismatch; after, none.
            assert r.code in (0, 6), r.output
            assert "checks" in payload
        else:
            assert r.code == 0, r.output
            states = {m["id"]: m["state"] for m in payload["migrations"]}
            assert set(states.values()) <= {"applied", "pending", "untracked"}, states
    assert_fully_migrated(empty_db_url)
    report = api.verify(empty_db_url, SPEC, None)
    assert report.exit_code == 0, [c for c in report.failing]


@pytest.mark.slow
def test_verify_and_status_in_a_loop_while_migrate_runs(empty_db_url: str) -> None:
    """Tight in-process loops of verify and status against a live migrate: every
    answer is either 'before' or 'after', never an error or a half state."""
    legacy_states.build_state_1(empty_db_url)
    before_cols = columns(empty_db_url, "tutoring_sessions")
    stop = threading.Event()
    errors: list[str] = []
    seen_states: set[tuple[str, ...]] = set()
    verify_codes: list[int] = []
    status_calls = [0]

    def status_loop() -> None:
        while not stop.is_set():
            try:
                plan = api.status(empty_db_url, MIGRATIONS_DIR).plan
            except AstegniError as exc:
                errors.append(f"status: {exc.message}")
                continue
            status_calls[0] += 1
            seen_states.add(tuple(str(e.state) for e in plan.entries))
            if any(e.state not in (State.APPLIED, State.PENDING) for e in plan.entries):
                errors.append(f"status: unexpected {plan.entries}")

    def verify_loop() -> None:
        while not stop.is_set():
            try:
                verify_codes.append(int(api.verify(empty_db_url, SPEC, None).exit_code))
            except AstegniError as exc:
                errors.append(f"verify: {exc.message}")

    threads = [threading.Thread(target=f) for f in (status_loop, verify_loop, verify_loop)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        proc = subprocess.run(
            [sys.executable, "-m", "astegni_db", *migrate_args(empty_db_url)],
            cwd=REPO,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert errors == []
    assert ("applied",) * len(MIGRATION_IDS) in seen_states
    assert set(verify_codes) <= {0, 6} and verify_codes[-1] == 0
    assert before_cols != columns(empty_db_url, "tutoring_sessions")
    assert checksummed_ids(empty_db_url) == list(MIGRATION_IDS)
    figure("status_calls", status_calls[0])
    figure("verify_calls", len(verify_codes))
    print(
        f"racing: {status_calls[0]} status and {len(verify_codes)} verify calls,"
        f" states seen {sorted(seen_states)}"
    )
