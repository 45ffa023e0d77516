"""Target 6: the full default test suite's wall time, and what one database test costs.

Usage: python benchmarks/bench_test_suite.py [--skip-suite] [--runs 10] [--server-runs 3]

Runs the suite once from the repository root as `make test` does (4 xdist
workers, a random order; the suite starts its own throwaway servers) and
records its wall time and summary line, then
runs the disposable helper's benchmarks/bench_test_db_cost.py (template clone
vs empty database + migrate vs a fresh server per test) and keeps its table.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import common

SUITE_WORKERS = ("-n", "4", "--dist", "loadscope")  # the Makefile's PYTEST_WORKERS default
_SUMMARY = re.compile(r"^=*\s*(?P<text>(\d+ \w+(, )?)+.* in [\d.]+s.*?)\s*=*$")
# "label  n  median  min  max  x-clone [more columns]"; the label may hold spaces.
_COST_ROW = re.compile(r"^(?P<label>\D.*?)\s+(?P<nums>\d+(?:\s+[\d.]+){4,})$")


def run_suite() -> dict[str, Any]:
    common.log("running the full default test suite (pytest -n 4 --dist loadscope, as make test)")
    ms, done = common.timed_run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITE_WORKERS],
        cwd=common.REPO,
        timeout=3600,
    )
    summary = next(
        (m["text"] for line in reversed(done.stdout.splitlines()) if (m := _SUMMARY.match(line))),
        done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)",
    )
    common.RAW.mkdir(parents=True, exist_ok=True)
    (common.RAW / "test_suite_output.txt").write_text(done.stdout + done.stderr)
    failed = [
        line.split(" - ")[0]
        for line in done.stdout.splitlines()
        if line.startswith(("FAILED", "ERROR"))
    ]
    counts = {
        k: int(v)
        for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", summary)
    }
    return {
        "wall_s": round(ms / 1000, 1),
        "exit_code": done.returncode,
        "summary": summary,
        "counts": counts,
        "failed": failed,
    }


def run_db_cost(runs: int, server_runs: int) -> dict[str, Any]:
    script = common.BENCH_DIR / "bench_test_db_cost.py"
    if not script.is_file():
        return {"error": "benchmarks/bench_test_db_cost.py not found"}
    common.log("running benchmarks/bench_test_db_cost.py")
    _, done = common.timed_run(
        [sys.executable, str(script), "--runs", str(runs), "--server-runs", str(server_runs)],
        cwd=common.REPO,
        timeout=1800,
    )
    common.check_ok(done, "bench_test_db_cost.py")
    rows = {}
    for line in done.stdout.splitlines():
        m = _COST_ROW.match(line.strip())
        if m:
            n, median, low, high, ratio, *_ = m["nums"].split()
            rows[m["label"].strip()] = {
                "n": int(n),
                "median_ms": float(median),
                "min_ms": float(low),
                "max_ms": float(high),
                "x_clone": float(ratio),
            }
    return {"variants": rows, "output": done.stdout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-suite", action="store_true", help="only the per-test cost")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--server-runs", type=int, default=3)
    args = parser.parse_args()
    suite = None if args.skip_suite else run_suite()
    cost = run_db_cost(args.runs, args.server_runs)
    if suite:
        common.print_table(
            "Target 6: full default suite",
            ["wall s", "exit", "summary"],
            [[suite["wall_s"], suite["exit_code"], suite["summary"]]],
        )
    common.print_table(
        "Target 6: per-test database cost (setup + teardown, medians)",
        ["variant", "n", "median ms", "min ms", "max ms", "x clone"],
        [
            [k, v["n"], v["median_ms"], v["min_ms"], v["max_ms"], v["x_clone"]]
            for k, v in cost.get("variants", {}).items()
        ],
    )
    common.write_results(
        "test_suite",
        {"machine": common.machine_info(), "params": vars(args), "suite": suite, "db_cost": cost},
    )


if __name__ == "__main__":
    main()
