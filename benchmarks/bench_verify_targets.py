"""Target 3: verify's catalog round trips, flat database time, end-to-end CLI time.

Usage: python benchmarks/bench_verify_targets.py [--tables 5000] [--runs 20]

Builds on the verify helper's benchmarks/bench_verify.py (its database
builder and its EXPLAIN ANALYZE measure of the catalog SQL) and adds what the
issue's targets ask for, on the benchmark cluster:

- round trips of the catalog inspection for the whole spec, counted from the
  libpq protocol trace (each switch from sending to receiving is one wait for
  the server); read_catalog sends its four statements in one pipeline, so 1
  is expected (target: at most 3);
- server time of the catalog statements with 0 and N unrelated tables
  (medians; target: ratio <= 2);
- `astegni-db verify` end to end (a fresh process each run, as a user or CI
  runs it), alternating between the two databases (target: median <= 300 ms).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench_verify
import common
import psycopg
from psycopg import pq

from astegni_db.project.spec import load_spec
from astegni_db.verify.catalog import read_catalog

_MARK = "astegni-db bench verify v1"


def prepared_database(server: common.BenchServer, name: str, unrelated: int) -> str:
    """bench_verify's database, reused when a previous run left it complete."""
    if common.database_exists(server, name):
        with psycopg.connect(server.url) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                (name,),
            ).fetchone()
        if row and row[0] == f"{_MARK} tables={unrelated}":
            return server.url_for(name)
    common.log(f"building {name} with {unrelated:,} unrelated tables")
    url = bench_verify.create(server.url, name, unrelated)
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                psycopg.sql.Identifier(name), psycopg.sql.Literal(f"{_MARK} tables={unrelated}")
            )
        )
    return url


def catalog_round_trips(url: str, names: list[str]) -> int:
    """Waits for the server during one read_catalog: 1 (one pipeline, one Sync)."""
    with psycopg.connect(url, autocommit=True) as conn, tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        read_catalog(conn, names)
        conn.pgconn.untrace()
        trace.seek(0)
        directions = [line[0] for line in trace if line[:1] in ("F", "B")]
    return sum(1 for a, b in zip(directions, directions[1:], strict=False) if a == "F" and b == "B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    names = [*load_spec(bench_verify.SPEC).tables]
    labels = {
        "0 unrelated tables": ("bench_verify_none", 0),
        f"{args.tables:,} unrelated tables": ("bench_verify_many", args.tables),
    }
    results: dict[str, dict[str, Any]] = {}
    with common.bench_server() as server:
        version = server.version()
        urls = {label: prepared_database(server, name, n) for label, (name, n) in labels.items()}
        samples: dict[str, dict[str, list[float]]] = {
            label: {"db": [], "cli": []} for label in urls
        }
        # The floor any Python verify over psycopg pays: interpreter, click, psycopg imports.
        floor_cmd = [sys.executable, "-c", "import click, psycopg"]
        floor: list[float] = []
        cmd_base = [
            str(common.ASTEGNI_DB),
            "verify",
            "--spec",
            str(bench_verify.SPEC),
            "--queries",
            str(bench_verify.QUERIES),
            "--format",
            "json",
        ]
        with tempfile.TemporaryDirectory() as cwd:
            for url in urls.values():  # warm-up: caches, catalog relcache
                common.check_ok(
                    common.timed_run([*cmd_base, "--database-url", url], cwd=Path(cwd))[1], "verify"
                )
            for _ in range(args.runs):
                floor.append(common.timed_run(floor_cmd, cwd=Path(cwd))[0])
                for label, url in urls.items():
                    ms, done = common.timed_run([*cmd_base, "--database-url", url], cwd=Path(cwd))
                    common.check_ok(done, "astegni-db verify")
                    samples[label]["cli"].append(ms)
                    with psycopg.connect(url, autocommit=True) as conn:
                        samples[label]["db"].append(bench_verify.catalog_db_ms(conn, names))
        for label, url in urls.items():
            results[label] = {
                "catalog_round_trips": catalog_round_trips(url, names),
                "catalog_db_ms_median": round(common.median(samples[label]["db"]), 2),
                "verify_cli_ms_median": round(common.median(samples[label]["cli"]), 1),
                "verify_cli_ms_min": round(min(samples[label]["cli"]), 1),
                "verify_cli_ms_max": round(max(samples[label]["cli"]), 1),
            }
    floor_ms = round(common.median(floor), 1)
    none, many = results.values()
    ratio = many["catalog_db_ms_median"] / none["catalog_db_ms_median"]
    trips = max(r["catalog_round_trips"] for r in results.values())
    worst_cli = max(r["verify_cli_ms_median"] for r in results.values())
    targets = {
        "catalog_round_trips<=3": {"measured": trips, "met": trips <= 3},
        "db_time_ratio_many/none<=2": {"measured": round(ratio, 2), "met": ratio <= 2},
        "verify_cli_median_ms<=300": {"measured": worst_cli, "met": worst_cli <= 300},
    }
    common.print_table(
        f"Target 3: verify ({len(names)} spec tables; medians of {args.runs} alternating runs)",
        [
            "database",
            "catalog round trips",
            "catalog db ms",
            "verify CLI ms (median)",
            "min",
            "max",
        ],
        [
            [
                label,
                r["catalog_round_trips"],
                r["catalog_db_ms_median"],
                r["verify_cli_ms_median"],
                r["verify_cli_ms_min"],
                r["verify_cli_ms_max"],
            ]
            for label, r in results.items()
        ],
    )
    print(f"floor: python -c 'import click, psycopg' median {floor_ms} ms (same runs)")
    common.print_table(
        "Target 3: verdicts",
        ["target", "measured", "met"],
        [[k, v["measured"], v["met"]] for k, v in targets.items()],
    )
    common.write_results(
        "verify",
        {
            "machine": common.machine_info(),
            "postgresql": version,
            "params": vars(args),
            "results": results,
            "import_floor_ms": floor_ms,
            "targets": targets,
        },
    )


if __name__ == "__main__":
    main()
