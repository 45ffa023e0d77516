"""Target 7: migration 0003, the index GET /api/tutor/sessions needs, on the 5M-row table.

Usage: python benchmarks/bench_sessions_index.py [--rows 5000000] [--calls 15]
                                                 [--duration 60] [--at 10] [--repeat 2]

Part 1, the query (no load): a clone of the 5M-row template with 0001 and 0002
applied and no index on tutoring_sessions but its primary key (the state
production is in; the template's bench-only index is dropped). The application's
query, checks/queries/tutor_sessions.sql, is planned and timed for a tutor alone
and for a tutor with status and a 90-day range, ``--calls`` times each over
random tutors, before and after ``astegni-db migrate`` applies 0003. The plans
are read from EXPLAIN (FORMAT JSON): which scan reads tutoring_sessions, and
whether a Sort node is needed (the index serves ORDER BY).

Part 2, the build under load: pgbench with 8 clients (reads by id and by
tutor, UPDATEs, INSERTs) on a fresh clone, and ``--at`` seconds in,
``astegni-db migrate`` builds the index concurrently. Baseline runs (no
migration) alternate with build runs. Reported: the build's wall time, the
write transactions' latency while the build ran against the same seconds of
the baseline run, and every lock wait over 50 ms any pgbench session had
(log_lock_waits): how long writes waited.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import psycopg

QUERY = (common.REPO / "checks" / "queries" / "tutor_sessions.sql").read_text()
INDEX = "tutoring_sessions_tutor_date_idx"
# pgbench's script numbers (common.PGBENCH_SCRIPTS order): the writes.
WRITE_SCRIPTS = {2, 3}


def prepare(server: common.BenchServer, db: str, *, keep_bench_index: bool) -> None:
    """0001 + 0002 applied (0002 is catalog-only: seconds), the bench index gone unless kept."""
    with tempfile.TemporaryDirectory() as tmp:
        upto = common.migrations_upto("0002_tutoring_sessions_schedule_fields", Path(tmp))
        migrate(server, db, upto)
    with psycopg.connect(server.url_for(db), autocommit=True) as conn:
        if not keep_bench_index:
            conn.execute("DROP INDEX IF EXISTS bench_sessions_tutor_date")
        conn.execute("ANALYZE tutoring_sessions")
    common.prewarm(server, db)


def migrate_0003(server: common.BenchServer, db: str) -> dict[str, Any]:
    """0003 alone on a database at 0002: later migrations are not what is measured."""
    with tempfile.TemporaryDirectory() as tmp:
        upto = common.migrations_upto("0003_tutoring_sessions_tutor_date_index", Path(tmp))
        return migrate(server, db, upto)


def migrate(server: common.BenchServer, db: str, migrations: Path) -> dict[str, Any]:
    cmd = [
        str(common.ASTEGNI_DB), "migrate", "--database-url", server.url_for(db),
        "--migrations-dir", str(migrations), "--format", "json",
    ]  # fmt: skip
    started = time.time()
    with tempfile.TemporaryDirectory() as cwd:  # no stray .env steers it
        wall_ms, done = common.timed_run(cmd, cwd=Path(cwd), timeout=1800)
    common.check_ok(done, "migrate")
    report = json.loads(done.stdout)
    return {
        "start_epoch": started,
        "end_epoch": time.time(),
        "wall_ms": round(wall_ms, 1),
        "applied": [
            {"id": a["id"], "ms": a["duration_ms"], "attempts": a["attempts"]}
            for a in report["applied"]
        ],
    }


VARIANTS = {
    "tutor only": lambda tutor: {
        "tutor_id": tutor, "status": None, "date_from": None, "date_to": None
    },
    "tutor + status + 90 days": lambda tutor: {
        "tutor_id": tutor, "status": status_of(tutor),
        "date_from": "2024-10-01", "date_to": "2024-12-30",
    },
}  # fmt: skip


def status_of(tutor: int) -> str:
    """The status load_sessions.sql gives this tutor's sessions (so the filter finds rows)."""
    return ["scheduled", "completed", "cancelled", "missed"][(tutor - 1) % 4]


def plan_shape(conn: psycopg.Connection[Any], params: dict[str, Any]) -> dict[str, Any]:
    """How the query reads tutoring_sessions: scan node, index, sort, rows, buffers."""
    row = conn.execute(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + QUERY, params, prepare=False
    ).fetchone()
    assert row is not None
    plan = row[0][0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack += node.get("Plans", [])
    scan = next(n for n in nodes if n.get("Relation Name") == "tutoring_sessions")
    return {
        "scan": scan["Node Type"],
        # A Bitmap Heap Scan names its index on the Bitmap Index Scan below it.
        "index": next((n["Index Name"] for n in nodes if "Index Name" in n), None),
        "sort": any(n["Node Type"] == "Sort" for n in nodes),
        "rows": plan["Actual Rows"],
        "shared_buffers_read_or_hit": plan.get("Shared Hit Blocks", 0)
        + plan.get("Shared Read Blocks", 0),
        "execution_ms": round(row[0][0]["Execution Time"], 2),
    }


def time_calls(conn: psycopg.Connection[Any], make: Any, calls: int, seed: int) -> list[float]:
    """Wall time of ``calls`` runs of the query (rows fetched), random tutors, same per phase."""
    rng = random.Random(seed)
    times = []
    for _ in range(calls):
        params = make(rng.randint(1, 1000))
        started = time.perf_counter()
        conn.execute(QUERY, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure_query(server: common.BenchServer, db: str, calls: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(server.url_for(db), autocommit=True) as conn:
        for n, (name, make) in enumerate(VARIANTS.items()):
            shape = plan_shape(conn, make(17))
            times = time_calls(conn, make, calls, seed=n)
            out[name] = {
                **shape,
                "median_ms": round(statistics.median(times), 2),
                "min_ms": round(min(times), 2),
                "max_ms": round(max(times), 2),
            }
    return out


def part_query(server: common.BenchServer, template: str, args: argparse.Namespace) -> dict:
    with common.scratch_database(server, "bench_t7_query", template) as db:
        prepare(server, db, keep_bench_index=False)
        before = measure_query(server, db, args.calls)
        common.log(f"before: {json.dumps(before)}")
        build = migrate_0003(server, db)
        after = measure_query(server, db, args.calls)
        common.log(f"after: {json.dumps(after)}")
        with psycopg.connect(server.url_for(db)) as conn:
            row = conn.execute(
                "SELECT pg_relation_size(%s::regclass), pg_relation_size('tutoring_sessions')",
                (INDEX,),
            ).fetchone()
    assert row is not None
    return {
        "before": before,
        "after": after,
        # The check the issue asked to consider: after 0003, no variant of the
        # endpoint's query reads the 5M-row table sequentially.
        "uses_index_after": all(m["index"] == INDEX for m in after.values()),
        "ratio_before_over_after": {
            name: round(before[name]["median_ms"] / after[name]["median_ms"], 1) for name in before
        },
        "build_without_load": build,
        "index_mb": round(row[0] / 2**20, 1),
        "table_mb": round(row[1] / 2**20, 1),
    }


def one_load_run(
    server: common.BenchServer, template: str, kind: str, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    prefix = common.pgbench_log_prefix(f"t7_{kind}_{n}")
    with common.scratch_database(server, f"bench_t7_{kind}", template) as db:
        # The load's read_by_tutor needs some index on a 5M-row table: the
        # template's two-column one stays, as any production table had one.
        prepare(server, db, keep_bench_index=True)
        cursor = common.LogCursor(server.log_file)
        t0 = time.time()
        pgbench = common.start_pgbench(server, db, args.duration, args.clients, prefix, args.rows)
        migration: dict[str, Any] = {}
        try:
            if kind == "build":
                time.sleep(max(0.0, t0 + args.at - time.time()))
                migration = migrate_0003(server, db)
            _, err = pgbench.communicate(timeout=args.duration + 1800)
        finally:
            if pgbench.poll() is None:
                pgbench.kill()
        if pgbench.returncode != 0:
            raise SystemExit(f"pgbench failed: {err.strip()[-800:]}")
        waits = common.lock_waits_ms(cursor.read(), db)
        valid = True
        if kind == "build":
            with psycopg.connect(server.url_for(db)) as conn:
                found = conn.execute(
                    "SELECT indisvalid AND indisready FROM pg_index"
                    " WHERE indexrelid = %s::regclass",
                    (INDEX,),
                ).fetchone()
            valid = bool(found and found[0])
    txs = common.read_pgbench_logs(prefix)
    window = (
        (migration["start_epoch"] - t0, migration["end_epoch"] - t0)
        if migration
        else (args.at, args.at + args.window_s)
    )
    return {
        "kind": kind,
        "run": n,
        "t0": t0,
        "window_s": [round(window[0], 2), round(window[1], 2)],
        "all": common.latency_summary(txs),
        "writes_in_window": _writes_between(txs, t0 + window[0], t0 + window[1]),
        "lock_waits_over_50ms": len(waits),
        "max_lock_wait_ms": max(waits, default=0.0),
        "migration": {k: v for k, v in migration.items() if not k.endswith("_epoch")},
        "index_valid": valid,
    }


def _writes_between(txs: list[common.Transaction], start: float, end: float) -> dict[str, Any]:
    """Write transactions that ended in [start, end]: count, p50, p99, max."""
    lat = sorted(t.latency_ms for t in txs if t.script in WRITE_SCRIPTS and start <= t.end <= end)
    if not lat:
        return {"transactions": 0}
    return {
        "transactions": len(lat),
        "per_s": round(len(lat) / max(end - start, 1e-9), 1),
        "p50_ms": round(common.percentile(lat, 50), 2),
        "p99_ms": round(common.percentile(lat, 99), 2),
        "max_ms": round(lat[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--calls", type=int, default=15, help="timed calls per variant")
    parser.add_argument("--duration", type=int, default=60, help="seconds of pgbench per run")
    parser.add_argument("--at", type=float, default=10.0, help="seconds in to start the build")
    parser.add_argument("--repeat", type=int, default=2, help="baseline/build pairs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-load", action="store_true", help="part 1 only")
    args = parser.parse_args()

    with common.bench_server() as server:
        version = server.version()
        template = common.sessions_template(server, args.rows)
        query = part_query(server, template, args)
        runs: list[dict[str, Any]] = []
        if not args.no_load:
            for n in range(1, args.repeat + 1):
                build = one_load_run(server, template, "build", n, args)
                # The baseline's window: the same seconds the build took.
                args.window_s = build["window_s"][1] - build["window_s"][0]
                runs += [one_load_run(server, template, "baseline", n, args), build]

    rows = [
        [name, phase, m["scan"], m["index"], m["sort"], m["rows"], m["median_ms"], m["max_ms"]]
        for phase in ("before", "after")
        for name, m in query[phase].items()
    ]
    common.print_table(
        f"Target 7a: GET /api/tutor/sessions on {args.rows:,} rows, {args.calls} calls "
        "(medians), before and after 0003",
        ["variant", "phase", "scan", "index", "sort", "rows", "median ms", "max ms"],
        rows,
    )
    print(f"ratio before/after (medians): {query['ratio_before_over_after']}")
    print(f"every variant uses {INDEX} after 0003: {query['uses_index_after']}")
    print(
        f"0003 without load: {query['build_without_load']['wall_ms']:.0f} ms wall; "
        f"index {query['index_mb']} MB on a {query['table_mb']} MB table"
    )
    if runs:
        common.print_table(
            f"Target 7b: building 0003 under {args.clients}-client pgbench ({args.duration} s, "
            f"build at {args.at:g} s)",
            ["run", "window s", "build ms", "attempts", "writes", "w p50", "w p99", "w max",
             "waits>50ms", "max wait ms", "tps", "valid"],
            [
                [
                    f"{r['kind']} #{r['run']}",
                    f"{r['window_s'][0]:.1f}-{r['window_s'][1]:.1f}",
                    r["migration"].get("wall_ms"),
                    (r["migration"].get("applied") or [{}])[-1].get("attempts"),
                    r["writes_in_window"].get("transactions"),
                    r["writes_in_window"].get("p50_ms"),
                    r["writes_in_window"].get("p99_ms"),
                    r["writes_in_window"].get("max_ms"),
                    r["lock_waits_over_50ms"],
                    r["max_lock_wait_ms"],
                    r["all"]["tps"],
                    r["index_valid"],
                ]
                for r in runs
            ],
        )  # fmt: skip
    medians: dict[str, Any] = {}
    for kind in ("baseline", "build"):
        chosen = [r for r in runs if r["kind"] == kind]
        if chosen:
            medians[kind] = {
                m: common.median([r["writes_in_window"].get(m, 0.0) for r in chosen])
                for m in ("p50_ms", "p99_ms", "max_ms", "per_s")
            }
    if medians:
        builds = [r["migration"]["wall_ms"] for r in runs if r["kind"] == "build"]
        medians["build_wall_ms"] = common.median(builds)
        print(f"medians (writes in the build's window): {json.dumps(medians)}")
    common.write_results(
        "sessions_index",
        {
            "target": "7: migration 0003 on the 5M-row table",
            "postgres": version,
            "args": {k: v for k, v in vars(args).items() if k != "window_s"},
            "query": query,
            "load_runs": runs,
            "medians": medians,
            "machine": common.machine_info(),
        },
    )

    if not query["uses_index_after"]:
        raise SystemExit(f"after 0003 the endpoint's query does not use {INDEX}")


if __name__ == "__main__":
    main()
