"""Issue 13, part 5: the data check after migrate, on the 5M-row table, old against new.

Usage: python benchmarks/bench_migrate_data_check.py [--rows 5000000] [--runs 7] [--repeat 3]
       python benchmarks/bench_migrate_data_check.py --quick   # 500,000 rows, 5 runs, 2 repeats

Part 1, the check alone. One clone of the sessions template with 0001 and 0002
applied (so session_frequency exists; status holds 'missed' in a quarter of the
rows). Side by side, alternating, ``--runs`` times each, each on a connection of
its own as migrate makes one:
- **old**: the full count migrate ran after applying anything until issue 13,
  ``verify.data.check_allowed_values`` without sampling, as ``verify`` still does
  (a sequential scan and a GROUP BY per documented column);
- **new**: ``verify.run.data_warnings`` as ``astegni-db migrate`` now calls it: the
  row estimate from pg_class, TABLESAMPLE SYSTEM sized to about 100,000 rows,
  under a 2 s statement_timeout.

Part 2, the whole command. ``--repeat`` fresh clones (0001 applied); on each,
``astegni-db migrate --format json`` applies 0002 from the project directory (so
with checks/schema.toml: the behaviour-change description and the data check).
Reported: the command's wall time against its migration transaction
(StepResult.duration_ms, from BEGIN to COMMIT with the bookkeeping), the same
command with ``--data-check-timeout 0`` on another fresh clone (what the check
itself adds), and what the data check said.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import common

from astegni_db import db
from astegni_db.project.spec import load_spec
from astegni_db.settings import parse_database_url
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.data import check_allowed_values
from astegni_db.verify.run import data_warnings

SPEC = common.REPO / "checks" / "schema.toml"


def old_check(url: str) -> list[str]:
    """The pre-issue-13 post-migrate check: exact counts, no sampling, no timeout."""
    spec = load_spec(SPEC)
    target = parse_database_url(url, "benchmark")
    with db.bounded_read_only_session(target, purpose="data check", doing="checking") as conn:
        catalog = read_catalog(conn, list(spec.tables))
        findings = check_allowed_values(conn, spec.allowed_values, catalog)
    return [f.message for f in findings if f.status == "warning"]


def new_check(url: str) -> list[str]:
    return data_warnings(parse_database_url(url, "benchmark"), SPEC)


def part1(server: common.BenchServer, template: str, runs: int) -> dict[str, Any]:
    with (
        common.scratch_database(server, "datacheck", template) as name,
        tempfile.TemporaryDirectory() as tmp,
    ):
        upto = common.migrations_upto(common.SEED_MIGRATION, Path(tmp))
        done = common.timed_run(
            [
                str(common.ASTEGNI_DB), "migrate", "--database-url", server.url_for(name),
                "--migrations-dir", str(upto), "--data-check-timeout", "0",
            ],
            cwd=common.REPO,
        )[1]  # fmt: skip
        common.check_ok(done, "migrate (0002)")
        common.prewarm(server, name)
        url = server.url_for(name)
        times: dict[str, list[float]] = {"old": [], "new": []}
        said: dict[str, list[str]] = {}
        for run in range(runs + 1):  # the first pair warms up and is not counted
            for kind, check in (("old", old_check), ("new", new_check)):
                started = time.perf_counter()
                said[kind] = check(url)
                ms = (time.perf_counter() - started) * 1000
                if run:
                    times[kind].append(ms)
        common.log(f"part 1: old {times['old']}, new {times['new']}")
    old, new = statistics.median(times["old"]), statistics.median(times["new"])
    return {
        "runs": runs,
        "old_ms": [round(t, 1) for t in times["old"]],
        "new_ms": [round(t, 1) for t in times["new"]],
        "old_median_ms": round(old, 1),
        "new_median_ms": round(new, 1),
        "ratio_old_over_new": round(old / new, 1),
        "old_said": said["old"],
        "new_said": said["new"],
    }


def migrate_once(
    server: common.BenchServer, template: str, *extra: str
) -> tuple[float, dict[str, Any]]:
    """``astegni-db migrate`` applying 0002 on a fresh clone: (wall ms, its JSON)."""
    with (
        common.scratch_database(server, "migrate", template) as name,
        tempfile.TemporaryDirectory() as tmp,
    ):
        upto = common.migrations_upto(common.SEED_MIGRATION, Path(tmp))
        common.prewarm(server, name)
        wall_ms, done = common.timed_run(
            [
                str(common.ASTEGNI_DB), "migrate", "--database-url", server.url_for(name),
                "--migrations-dir", str(upto), "--format", "json", *extra,
            ],
            cwd=common.REPO,
            env=common.user_python_env(),
        )  # fmt: skip
        common.check_ok(done, "migrate")
    return wall_ms, json.loads(done.stdout)


def part2(server: common.BenchServer, template: str, repeat: int) -> list[dict[str, Any]]:
    """Each repeat: migrate as deployed, then (another clone) with the data check skipped."""
    results = []
    for n in range(repeat):
        wall_ms, payload = migrate_once(server, template)
        bare_ms, _ = migrate_once(server, template, "--data-check-timeout", "0")
        [applied] = payload["applied"]
        results.append(
            {
                "run": n + 1,
                "wall_ms": round(wall_ms, 1),
                "wall_without_data_check_ms": round(bare_ms, 1),
                "migration_tx_ms": applied["duration_ms"],
                "migrate_duration_ms": payload["duration_ms"],
                "behaviour_changes": len(payload["behaviour_changes"]),
                "data_warnings": payload["data_warnings"],
            }
        )
        common.log(f"part 2 #{n + 1}: {results[-1]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=7, help="part 1: timed runs of each check")
    parser.add_argument("--repeat", type=int, default=3, help="part 2: migrate runs")
    parser.add_argument("--quick", action="store_true", help="500,000 rows, 5 runs, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs, args.repeat = 500_000, 5, 2
    with common.bench_server() as server:
        template = common.sessions_template(server, args.rows)
        check = part1(server, template, args.runs)
        commands = part2(server, template, args.repeat)
        version = server.version()
    wall = statistics.median(r["wall_ms"] for r in commands)
    bare = statistics.median(r["wall_without_data_check_ms"] for r in commands)
    tx = statistics.median(r["migration_tx_ms"] for r in commands)
    common.print_table(
        f"The post-migrate data check on {args.rows:,} rows (medians of {args.runs})",
        ["check", "median ms", "runs ms"],
        [
            [kind, check[f"{key}_median_ms"], ", ".join(map(str, check[f"{key}_ms"]))]
            for kind, key in (("old: full count", "old"), ("new: sampled, 2 s bound", "new"))
        ],
    )
    print(f"ratio old/new: {check['ratio_old_over_new']}x")
    common.print_table(
        "astegni-db migrate (0002) against its migration transaction",
        ["run", "wall ms", "wall ms, check skipped", "migration tx ms", "changes", "warnings"],
        [
            [
                r["run"],
                r["wall_ms"],
                r["wall_without_data_check_ms"],
                r["migration_tx_ms"],
                r["behaviour_changes"],
                len(r["data_warnings"]),
            ]
            for r in commands
        ],
    )
    print(
        f"median wall {wall:,.1f} ms ({bare:,.1f} ms with the check skipped),"
        f" median migration transaction {tx:,.1f} ms"
    )
    common.write_results(
        "migrate_data_check",
        {
            "machine": common.machine_info(),
            "server": version,
            "rows": args.rows,
            "check": check,
            "migrate": commands,
            "migrate_median_wall_ms": round(wall, 1),
            "migrate_median_wall_without_data_check_ms": round(bare, 1),
            "migrate_median_tx_ms": round(tx, 1),
        },
    )


if __name__ == "__main__":
    main()
