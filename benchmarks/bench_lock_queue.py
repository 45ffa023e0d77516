"""Target 2: the migration queued behind a 3 s transaction, with and without lock_timeout.

Usage: python benchmarks/bench_lock_queue.py [--rows 5000000] [--duration 12] [--repeat 2]

pgbench drives the table (8 clients); 2 s in, the seed's migration is
launched, and the moment its session connects another session opens a
transaction that reads tutoring_sessions and stays open for 3 s (holding
ACCESS SHARE), so the migration's ALTER always finds it there:

- with_lock_timeout: ``astegni-db migrate`` as shipped (200 ms per attempt,
  backoff retries): while its ALTER waits, every query behind it waits too,
  but never longer than one attempt;
- without: ``astegni-db migrate --ddl-lock-timeout 60000``, i.e. no effective
  lock_timeout (what plain psql does): the ALTER waits out the blocker and
  every client stalls behind it.

Lock waits come from log_lock_waits (every wait over deadlock_timeout = 50 ms,
with its exact length), restricted to the pgbench sessions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import common
import psycopg

LOCK_TIMEOUT_MS = 200  # astegni-db's default --ddl-lock-timeout
VARIANTS = {
    "with_lock_timeout": [],
    "without_lock_timeout": ["--ddl-lock-timeout", "60000"],
}


def hold_table(
    conn: psycopg.Connection[Any], go: threading.Event, seconds: float, times: dict[str, float]
) -> None:
    """Once ``go`` is set, read the table in a transaction kept open for ``seconds``."""
    if not go.wait(timeout=120):
        return
    conn.execute("SELECT id FROM tutoring_sessions WHERE id = 1")  # ACCESS SHARE until commit
    times["blocker_start"] = time.time()
    time.sleep(seconds)
    conn.commit()
    times["blocker_end"] = time.time()


def wait_for_session(url: str, app_prefix: str, timeout_s: float) -> bool:
    """Poll pg_stat_activity until a session named ``app_prefix``* is connected (bounded)."""
    deadline = time.time() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < deadline:
            row = conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name LIKE %s",
                (app_prefix + "%",),
            ).fetchone()
            if row:
                return True
            time.sleep(0.005)
    return False


def one_run(
    server: common.BenchServer, template: str, variant: str, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    prefix = common.pgbench_log_prefix(f"t2_{variant}_{n}")
    with common.scratch_database(server, f"bench_t2_{n}", template) as db:
        common.prewarm(server, db)
        cursor = common.LogCursor(server.log_file)
        t0 = time.time()
        pgbench = common.start_pgbench(server, db, args.duration, args.clients, prefix, args.rows)
        times: dict[str, float] = {}
        # The migration CLI needs seconds to start on a loaded 2-core machine, so
        # the blocker opens its transaction the moment the migration connects
        # (long before its ALTER, which follows the lock and history checks).
        blocker_conn = psycopg.connect(server.url_for(db), application_name="blocker")
        go = threading.Event()
        blocker = threading.Thread(target=hold_table, args=(blocker_conn, go, args.hold, times))
        blocker.start()
        try:
            time.sleep(max(0.0, t0 + args.start_at - time.time()))
            cmd = [
                str(common.ASTEGNI_DB),
                "migrate",
                "--database-url",
                server.url_for(db),
                "--migrations-dir",
                str(common.migrations_upto(common.SEED_MIGRATION, Path(tempfile.mkdtemp()))),
                "--format",
                "json",
                *VARIANTS[variant],
            ]
            times["migrate_start"] = time.time()
            with tempfile.TemporaryDirectory() as cwd:
                migrate = subprocess.Popen(
                    cmd,
                    env=server.env(db),
                    cwd=cwd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                if not wait_for_session(server.url_for(db), "astegni-db migrate", 60):
                    raise SystemExit("astegni-db migrate never connected")
                go.set()
                out, errout = migrate.communicate(timeout=120)
            times["migrate_end"] = time.time()
            wall_ms = (times["migrate_end"] - times["migrate_start"]) * 1000
            done = subprocess.CompletedProcess(cmd, migrate.returncode, out, errout)
            common.check_ok(done, "astegni-db migrate")
            blocker.join(timeout=30)
            _, err = pgbench.communicate(timeout=args.duration + 120)
        finally:
            go.set()
            blocker.join(timeout=30)
            blocker_conn.close()
            if pgbench.poll() is None:
                pgbench.kill()
        if pgbench.returncode != 0:
            raise SystemExit(f"pgbench failed: {err.strip()[-800:]}")
        lines = cursor.read()
        waits = common.lock_waits_ms(lines, db)
    step = json.loads(done.stdout)["applied"][0]
    txs = common.read_pgbench_logs(prefix)
    summary = common.latency_summary(txs)
    limit = LOCK_TIMEOUT_MS + 50
    result = {
        "variant": variant,
        "run": n,
        **summary,
        "max_lock_wait_ms": max(waits, default=0.0),
        "lock_waits_over_50ms": len(waits),
        "lock_waits_over_limit": sum(w > limit for w in waits),
        "attempts": step["attempts"],
        "migration_wall_ms": round(wall_ms, 1),
        "completed_after_blocker": times["migrate_end"] > times.get("blocker_end", float("inf")),
        "times_s": {k: round(v - t0, 3) for k, v in times.items()},
        "series": common.latency_series(txs, t0),
    }
    common.log(
        f"{variant} #{n}: max wait {result['max_lock_wait_ms']:.0f} ms, "
        f"max latency {summary['max_ms']:.0f} ms, "
        f"{step['attempts']} attempt(s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--duration", type=int, default=12)
    parser.add_argument(
        "--start-at", type=float, default=2.0, help="seconds in to launch the migration"
    )
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the blocker stays open")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    runs = []
    with common.bench_server() as server:
        version = server.version()
        template = common.sessions_template(server, args.rows)
        for n in range(1, args.repeat + 1):
            for variant in VARIANTS:
                runs.append(one_run(server, template, variant, n, args))
    limit = LOCK_TIMEOUT_MS + 50
    safe = [r for r in runs if r["variant"] == "with_lock_timeout"]
    worst_wait = max(r["max_lock_wait_ms"] for r in safe)
    targets = {
        f"max_lock_wait_ms<={limit}": {"measured": worst_wait, "met": worst_wait <= limit},
        "completes_after_blocker": {
            "measured": all(r["completed_after_blocker"] for r in safe),
            "met": all(r["completed_after_blocker"] for r in safe),
        },
    }
    common.print_table(
        f"Target 2: lock queue ({args.hold:g} s blocker, "
        f"{args.clients} clients, {args.duration} s)",
        [
            "run",
            "tps",
            "p99 ms",
            "max latency ms",
            "max lock wait ms",
            "waits>50ms",
            f"waits>{limit}ms",
            "attempts",
            "migrate wall ms",
            "done after blocker",
        ],
        [
            [
                f"{r['variant']} #{r['run']}",
                r["tps"],
                r["p99_ms"],
                r["max_ms"],
                r["max_lock_wait_ms"],
                r["lock_waits_over_50ms"],
                r["lock_waits_over_limit"],
                r["attempts"],
                r["migration_wall_ms"],
                r["completed_after_blocker"],
            ]
            for r in runs
        ],
    )
    common.print_table(
        "Target 2: verdicts",
        ["target", "measured", "met"],
        [[k, v["measured"], v["met"]] for k, v in targets.items()],
    )
    common.write_results(
        "lock_queue",
        {
            "machine": common.machine_info(),
            "postgresql": version,
            "params": vars(args),
            "lock_timeout_ms": LOCK_TIMEOUT_MS,
            "targets": targets,
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
