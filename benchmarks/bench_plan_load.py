"""Target 9: a migration written by `astegni-db plan`, applied on a busy 5M-row table.

Usage: python benchmarks/bench_plan_load.py [--rows 5000000] [--duration 40] [--at 8]
                                             [--repeat 2] [--clients 8]

Each run clones the 5M-row template, migrates it to the project's newest
migration, then drifts it the way legacy scripts do: the default of
``duration`` dropped, ``subject`` made nullable, the foreign key on
``tutor_id`` dropped, 0003's index dropped, a column the spec does not know
added. ``astegni-db plan --yes`` then writes its migrations (timed, with no
load). The run drives pgbench (8 clients: reads by id and by tutor, UPDATEs,
INSERTs) for ``--duration`` seconds; ``--at`` seconds in, the **apply** run
runs ``astegni-db migrate`` on the plan's three migrations (catalog-only DDL
and NOT VALID constraints; the index built concurrently; the validations and
SET NOT NULL), and the **baseline** run applies nothing. Baseline and apply
runs alternate so machine noise hits both alike.

Measured: pgbench's tps, p99 and worst latency; lock waits over 50 ms from
the server log (log_lock_waits); whether the table was rewritten
(relfilenode); how long each migration took; and `verify` afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import psycopg

DRIFT = (
    "ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT",
    "ALTER TABLE tutoring_sessions ALTER COLUMN subject DROP NOT NULL",
    "ALTER TABLE tutoring_sessions DROP CONSTRAINT IF EXISTS tutoring_sessions_tutor_id_fkey",
    "DROP INDEX IF EXISTS tutoring_sessions_tutor_date_idx",
    "ALTER TABLE tutoring_sessions ADD COLUMN legacy_note text",
)


def cli(server: common.BenchServer, db: str, *args: str) -> tuple[float, Any]:
    cmd = [str(common.ASTEGNI_DB), *args, "--database-url", server.url_for(db)]
    with tempfile.TemporaryDirectory() as cwd:  # no stray .env steers it
        return common.timed_run(cmd, cwd=Path(cwd), timeout=1800)


def prepare(server: common.BenchServer, db: str, migrations: Path) -> dict[str, Any]:
    """The drifted database, and the plan for it written into ``migrations``."""
    _, done = cli(server, db, "migrate", "--migrations-dir", str(migrations), "--no-data-check")
    common.check_ok(done, "migrate to the newest migration")
    with psycopg.connect(server.url_for(db), autocommit=True) as conn:
        for statement in DRIFT:
            conn.execute(statement)
        conn.execute("ANALYZE tutoring_sessions")
    common.prewarm(server, db)
    spec = str(common.REPO / "checks" / "schema.toml")
    args = ("plan", "--spec", spec, "--migrations-dir", str(migrations), "--format", "json")
    times = []
    for _ in range(3):
        ms, done = cli(server, db, *args, "--dry-run")
        common.check_ok(done, "plan --dry-run")
        times.append(ms)
    ms, done = cli(server, db, *args, "--yes")
    common.check_ok(done, "plan --yes")
    report = json.loads(done.stdout)
    return {
        "plan_dry_run_ms": [round(t, 1) for t in times],
        "plan_median_ms": round(common.median(times), 1),
        "steps": [f"{s['phase']}: {s['action']}" for s in report["steps"]],
        "manual": [m["procedure"] for m in report["manual"]],
        "migrations": [m["id"] for m in report["migrations"]],
    }


def one_run(
    server: common.BenchServer, template: str, kind: str, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    prefix = common.pgbench_log_prefix(f"t9_{kind}_{n}")
    migrations = Path(tempfile.mkdtemp(prefix="bench-plan-")) / "migrations"
    shutil.copytree(common.MIGRATIONS, migrations)
    with common.scratch_database(server, f"bench_t9_{kind}", template) as db:
        planned = prepare(server, db, migrations)
        rel_before = common.relfilenode(server, db)
        cursor = common.LogCursor(server.log_file)
        t0 = time.time()
        pgbench = common.start_pgbench(server, db, args.duration, args.clients, prefix, args.rows)
        applied: dict[str, Any] = {}
        try:
            if kind == "apply":
                time.sleep(max(0.0, t0 + args.at - time.time()))
                started = time.time()
                wall_ms, done = cli(
                    server, db, "migrate", "--migrations-dir", str(migrations), "--format", "json"
                )
                common.check_ok(done, "migrate the plan")
                report = json.loads(done.stdout)
                applied = {
                    "start_s": round(started - t0, 2),
                    "wall_ms": round(wall_ms, 1),
                    "migrations": {
                        a["id"]: {"ms": a["duration_ms"], "attempts": a["attempts"]}
                        for a in report["applied"]
                    },
                }
            _, err = pgbench.communicate(timeout=args.duration + 1800)
        finally:
            if pgbench.poll() is None:
                pgbench.kill()
        if pgbench.returncode != 0:
            raise SystemExit(f"pgbench failed: {err.strip()[-800:]}")
        waits = common.lock_waits_ms(cursor.read(), db)
        rel_after = common.relfilenode(server, db)
        verified: dict[str, Any] = {}
        if kind == "apply":
            _, done = cli(
                server, db, "verify", "--format", "json",
                "--spec", str(common.REPO / "checks" / "schema.toml"),
                "--queries", str(common.REPO / "checks" / "queries"),
            )  # fmt: skip
            body = json.loads(done.stdout)
            if "summary" not in body:
                raise SystemExit(f"verify failed: {body}")
            verified = {"exit_code": done.returncode, **body["summary"]}
    txs = common.read_pgbench_logs(prefix)
    summary = common.latency_summary(txs)
    worst = max(txs, key=lambda t: t.latency_ms)
    result = {
        "kind": kind,
        "run": n,
        **summary,
        "max_at_s": round(worst.end - t0, 2),
        "lock_waits_over_50ms": len(waits),
        "max_lock_wait_ms": max(waits, default=0.0),
        "relfilenode_unchanged": rel_before == rel_after,
        "plan": planned,
        "applied": applied,
        "verify": verified,
    }
    common.log(
        f"{kind} #{n}: {summary['tps']:.0f} tps, p99 {summary['p99_ms']:.1f} ms, "
        f"max {summary['max_ms']:.1f} ms, waits>50ms {len(waits)}, applied {applied}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--duration", type=int, default=40, help="seconds of pgbench per run")
    parser.add_argument("--at", type=float, default=8.0, help="seconds into the run to migrate")
    parser.add_argument("--repeat", type=int, default=2, help="baseline/apply pairs")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    runs: list[dict[str, Any]] = []
    with common.bench_server() as server:
        version = server.version()
        template = common.sessions_template(server, args.rows)
        for n in range(1, args.repeat + 1):
            for kind in ("baseline", "apply"):
                runs.append(one_run(server, template, kind, n, args))
    base = [r for r in runs if r["kind"] == "baseline"]
    apply = [r for r in runs if r["kind"] == "apply"]
    medians = {
        kind: {m: common.median([r[m] for r in rs]) for m in ("tps", "p99_ms", "max_ms")}
        for kind, rs in (("baseline", base), ("apply", apply))
    }
    verdicts = {
        "no_lock_wait_over_50ms": all(r["lock_waits_over_50ms"] == 0 for r in apply),
        "no_rewrite": all(r["relfilenode_unchanged"] for r in apply),
        "verify_clean_after": all(r["verify"].get("exit_code") == 0 for r in apply),
        "no_manual_step": all(not r["plan"]["manual"] for r in runs),
    }
    common.print_table(
        f"Target 9: plan's migrations under load ({args.rows:,} rows, {args.clients} clients, "
        f"{args.duration} s, migrate at {args.at:g} s)",
        [
            "run", "tps", "p99 ms", "max ms", "max at s", "waits>50ms",
            "same relfilenode", "plan ms", "migrate wall ms", "verify",
        ],
        [
            [
                f"{r['kind']} #{r['run']}", r["tps"], r["p99_ms"], r["max_ms"], r["max_at_s"],
                r["lock_waits_over_50ms"], r["relfilenode_unchanged"],
                r["plan"]["plan_median_ms"], r["applied"].get("wall_ms"),
                r["verify"].get("exit_code"),
            ]
            for r in runs
        ],
    )  # fmt: skip
    common.print_table(
        "Target 9: medians", ["kind", "tps", "p99 ms", "max ms"],
        [[k, v["tps"], v["p99_ms"], v["max_ms"]] for k, v in medians.items()],
    )  # fmt: skip
    common.print_table("Target 9: verdicts", ["check", "met"], list(verdicts.items()))
    path = common.write_results(
        "plan_load",
        {
            "machine": common.machine_info(),
            "server": version,
            "args": vars(args),
            "drift": DRIFT,
            "medians": medians,
            "verdicts": verdicts,
            "runs": runs,
        },
    )
    common.log(f"results: {path}")


if __name__ == "__main__":
    main()
