"""Print the results JSON as the Markdown tables of docs/performance.md.

Usage: python benchmarks/report.py > /tmp/tables.md
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import common


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, bool):
            return "yes" if v else "**no**"
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
        return "-" if v is None else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def load(name: str) -> dict[str, Any] | None:
    path = common.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def blocker_span(times: dict[str, float]) -> str:
    return f"{times.get('blocker_start', 0):.2f}-{times.get('blocker_end', 0):.2f}"


def verdicts(data: dict[str, Any]) -> str:
    return table(
        ["target", "measured", "met"],
        [[k, v["measured"], v["met"]] for k, v in data["targets"].items()],
    )


def main() -> None:
    if d := load("migration_load"):
        print("### Target 1\n")
        print(f"machine: {d['machine']}\n")
        rows = []
        for r in d["runs"]:
            ex, m = r["exclusive"], r["migration"]
            rows.append(
                [
                    f"{r['kind']} #{r['run']}",
                    r["tps"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["max_ms"],
                    r.get("max_at_s"),
                    ex.get("window_ms"),
                    ex.get("concurrent_max_ms"),
                    ex.get("statement_bound_ms"),
                    m.get("engine_transaction_ms"),
                    r["relfilenode_unchanged"],
                    r["max_lock_wait_ms"],
                ]
            )
        print(
            table(
                [
                    "run",
                    "tps",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "max at s",
                    "ACCESS EXCLUSIVE window ms",
                    "max latency in window ms",
                    "window upper bound ms",
                    "engine tx ms",
                    "same relfilenode",
                    "max lock wait ms",
                ],
                rows,
            )
        )
        med = d["medians"]
        print()
        print(
            table(
                ["kind", "tps", "p50 ms", "p99 ms", "max ms"],
                [[k, v["tps"], v["p50_ms"], v["p99_ms"], v["max_ms"]] for k, v in med.items()],
            )
        )
        print()
        print(verdicts(d))
    if d := load("lock_queue"):
        print("\n### Target 2\n")
        print(f"machine: {d['machine']}\n")
        print(
            table(
                [
                    "run",
                    "tps",
                    "p99 ms",
                    "max latency ms",
                    "max lock wait ms",
                    "waits > 250 ms",
                    "attempts",
                    "blocker s",
                    "migration done s",
                    "done after blocker",
                ],
                [
                    [
                        f"{r['variant']} #{r['run']}",
                        r["tps"],
                        r["p99_ms"],
                        r["max_ms"],
                        r["max_lock_wait_ms"],
                        r["lock_waits_over_limit"],
                        r["attempts"],
                        blocker_span(r["times_s"]),
                        r["times_s"]["migrate_end"],
                        r["completed_after_blocker"],
                    ]
                    for r in d["runs"]
                ],
            )
        )
        print()
        print(verdicts(d))
    if d := load("verify"):
        print("\n### Target 3\n")
        print(f"machine: {d['machine']}\n")
        print(
            table(
                [
                    "database",
                    "catalog round trips",
                    "catalog db ms (median)",
                    "verify CLI ms (median)",
                    "min",
                    "max",
                ],
                [
                    [
                        k,
                        r["catalog_round_trips"],
                        r["catalog_db_ms_median"],
                        r["verify_cli_ms_median"],
                        r["verify_cli_ms_min"],
                        r["verify_cli_ms_max"],
                    ]
                    for k, r in d["results"].items()
                ],
            )
        )
        print()
        if "import_floor_ms" in d:
            print(
                f"\nfloor, same runs: python -c 'import click, psycopg' {d['import_floor_ms']} ms"
            )
        print()
        print(verdicts(d))
    if d := load("startup"):
        print("\n### Target 4\n")
        print(f"machine: {d['machine']}\n")
        floor = d["medians_ms"]["python -c pass"]
        print(
            table(
                ["command", "median ms", "over bare python ms"],
                [[k, v, round(v - floor, 1)] for k, v in d["medians_ms"].items()],
            )
        )
        print()
        print(verdicts(d))
    if d := load("many_migrations"):
        print("\n### Target 5\n")
        print(f"machine: {d['machine']}\n")
        print(
            table(
                ["tool", "apply 200 ms", "no-op ms", "per migration ms"],
                [
                    [k, r["apply_all_ms"], r["noop_ms"], r["per_migration_ms"]]
                    for k, r in d["results"].items()
                ],
            )
        )
        print(
            f"\nratio astegni-db / yoyo per migration: {d['per_migration_ratio_astegni_over_yoyo']}"
        )
    if d := load("test_suite"):
        print("\n### Target 6\n")
        print(f"machine: {d['machine']}\n")
        if d["suite"]:
            s = d["suite"]
            print(f"suite: {s['summary']} -- wall {s['wall_s']} s, exit {s['exit_code']}\n")
        print(
            table(
                ["variant", "n", "median ms", "min ms", "max ms", "x clone"],
                [
                    [k, v["n"], v["median_ms"], v["min_ms"], v["max_ms"], v["x_clone"]]
                    for k, v in d["db_cost"].get("variants", {}).items()
                ],
            )
        )


if __name__ == "__main__":
    main()
