"""Run every issue-6 benchmark in turn, then draw the graphs.

Usage: python benchmarks/run_all.py [--quick] [--skip-suite] [--drop]
       make bench BENCH_ARGS="--quick"

Each benchmark is its own command (see docs/performance.md) and writes
benchmarks/results/<name>.json; this only runs them in order. The first run
builds the 5M-row template in the benchmark cluster (about 1.5 minutes) and
keeps it under $ASTEGNI_DB_BENCH_DIR for later runs; --drop deletes that
cluster afterwards.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

import common

FULL = [
    ["bench_startup.py", "--runs", "30"],
    ["bench_many_migrations.py", "--repeat", "3"],
    ["bench_verify_targets.py", "--runs", "20"],
    ["bench_lock_queue.py", "--repeat", "2"],
    ["bench_migration_load.py", "--repeat", "3", "--duration", "30"],
    ["bench_sessions_index.py", "--repeat", "2"],
    ["bench_migrate_data_check.py", "--runs", "7", "--repeat", "5"],
    ["bench_plan_load.py", "--repeat", "2"],
    ["bench_test_suite.py"],
    ["bench_fleet.py", "--repeat", "3"],
]
QUICK = [
    ["bench_startup.py", "--runs", "10"],
    ["bench_many_migrations.py", "--repeat", "1"],
    ["bench_verify_targets.py", "--runs", "5"],
    ["bench_lock_queue.py", "--repeat", "1"],
    ["bench_migration_load.py", "--repeat", "1", "--duration", "15", "--at", "5"],
    ["bench_sessions_index.py", "--repeat", "1", "--calls", "5", "--duration", "40"],
    ["bench_migrate_data_check.py", "--runs", "5", "--repeat", "1"],
    ["bench_plan_load.py", "--repeat", "1", "--duration", "30"],
    ["bench_test_suite.py", "--skip-suite", "--runs", "3", "--server-runs", "1"],
    ["bench_fleet.py", "--repeat", "1", "--sizes", "50"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter runs")
    parser.add_argument("--skip-suite", action="store_true", help="do not run the test suite")
    parser.add_argument(
        "--drop", action="store_true", help="delete the benchmark cluster at the end"
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.skip_suite:
        plan = [p for p in plan if p[0] != "bench_test_suite.py" or "--skip-suite" in p]
    failed = []
    for script, *rest in plan:
        common.log(f"=== {script} {' '.join(rest)}")
        done = subprocess.run([sys.executable, str(common.BENCH_DIR / script), *rest], check=False)
        if done.returncode != 0:
            failed.append(script)
    if importlib.util.find_spec("matplotlib") is not None:
        subprocess.run([sys.executable, str(common.BENCH_DIR / "plots.py")], check=False)
    else:
        common.log("matplotlib not installed: graphs skipped (pip install matplotlib)")
    if args.drop:
        common.drop_bench_dir()
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
