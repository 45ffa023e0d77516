"""What one database test costs in setup: a template clone vs. migrating vs. a fresh server.

    python benchmarks/bench_test_db_cost.py [--runs 15] [--server-runs 5] [--container]

Variants are interleaved round by round so machine noise hits them alike; the
output is the median (and min/max) of each, and ratios against the clone.
Measures what a fixture does before and after a test: create, connect once, drop.

Wall time on a shared, CPU-saturated machine mostly measures the neighbours, so
each variant also reports the CPU it burned: this process, its children
(initdb, pg_ctl) and the PostgreSQL server's processes (local backend only,
read from /proc). On an idle machine wall time approaches that CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from astegni_db import api
from astegni_db.disposable import DisposableDatabases, Server, start_server, temporary_database
from astegni_db.disposable.databases import drop_database, unique_name
from astegni_db.pytest_plugin import migrate_template

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int, *, with_reaped_children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if with_reaped_children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime: backends that exited
    return used * _TICK_MS


def server_cpu_ms(server: Server) -> float:
    """CPU used so far by a local-backend server: postmaster, live and exited backends."""
    if server.resource is None or server.backend not in ("local", "embedded"):
        return 0.0
    pid_file = Path(server.resource) / "data" / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    total = _proc_cpu(postmaster, with_reaped_children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                total += _proc_cpu(int(entry.name), with_reaped_children=False)
        except (OSError, ValueError, IndexError):
            continue
    return total


def own_cpu_ms() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime) * 1000


def _touch(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("SELECT count(*) FROM tutoring_sessions").fetchone()


def clone(databases: DisposableDatabases) -> None:
    with databases.migrated(MIGRATIONS) as url:
        _touch(url)


def clone_with_strategy(server: Server, template: str, strategy: str) -> None:
    name = unique_name("bench")
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
                sql.Identifier(name), sql.Identifier(template), sql.SQL(strategy)
            )
        )
    try:
        _touch(server.url_for(name))
    finally:
        drop_database(server, name)


def migrate_fresh_database(server: Server) -> None:
    with temporary_database(server) as url:
        api.migrate(url, MIGRATIONS)
        _touch(url)


def fresh_server(backend: str) -> float:
    """Returns the server's own CPU, which is gone from /proc once it has stopped."""
    with start_server(backend) as server:
        with temporary_database(server) as url:
            api.migrate(url, MIGRATIONS)
            _touch(url)
        return server_cpu_ms(server)


def timed(fn: Callable[[], object], server: Server | None) -> tuple[float, float]:
    """(wall ms, CPU ms of this process + children + server) for one call."""
    cpu_before = own_cpu_ms() + (server_cpu_ms(server) if server else 0.0)
    started = time.perf_counter()
    result = fn()
    wall = (time.perf_counter() - started) * 1000
    cpu_after = own_cpu_ms() + (server_cpu_ms(server) if server else 0.0)
    if isinstance(result, float):  # a server that no longer exists reported its CPU
        cpu_after += result
    return wall, cpu_after - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds for the per-database variants")
    parser.add_argument("--server-runs", type=int, default=5, help="rounds that start a server")
    parser.add_argument("--backend", default="local", help="server for the per-database variants")
    parser.add_argument("--container", action="store_true", help="also time a container per test")
    args = parser.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"

    samples: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    with start_server(args.backend) as server:
        databases = DisposableDatabases(server, migrate_template)
        template = databases.template_for(MIGRATIONS)
        with psycopg.connect(server.url) as conn:
            version = conn.info.server_version
        variants: dict[str, Callable[[], None]] = {
            "template clone (default)": lambda: clone(databases),
            "empty database + migrate": lambda: migrate_fresh_database(server),
        }
        if version >= 150000:
            variants["clone STRATEGY WAL_LOG"] = lambda: clone_with_strategy(
                server, template, "WAL_LOG"
            )
            variants["clone STRATEGY FILE_COPY"] = lambda: clone_with_strategy(
                server, template, "FILE_COPY"
            )
        clone(databases)  # warm-up: first connection, caches
        for _ in range(args.runs):
            for label, fn in variants.items():
                wall, used = timed(fn, server)
                samples.setdefault(label, []).append(wall)
                cpu.setdefault(label, []).append(used)
        databases.close()

    server_variants: dict[str, Callable[[], float]] = {
        f"fresh {args.backend} server + migrate": lambda: fresh_server(args.backend)
    }
    if args.container:
        server_variants["fresh container + migrate"] = lambda: fresh_server("container")
    for _ in range(args.server_runs):
        for label, server_fn in server_variants.items():
            wall, used = timed(server_fn, None)
            samples.setdefault(label, []).append(wall)
            cpu.setdefault(label, []).append(used)

    baseline = statistics.median(samples["template clone (default)"])
    cpu_baseline = statistics.median(cpu["template clone (default)"])
    print(f"backend for per-database variants: {args.backend} (server_version {version})")
    print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.1f}")
    print(
        f"{'variant':<32}{'n':>3}{'wall median':>12}{'min':>8}{'max':>8}{'x clone':>8}"
        f"{'CPU median':>11}{'x clone':>8}"
    )
    for label, values in samples.items():
        median, cpu_median = statistics.median(values), statistics.median(cpu[label])
        print(
            f"{label:<32}{len(values):>3}{median:>12.1f}{min(values):>8.1f}{max(values):>8.1f}"
            f"{median / baseline:>8.1f}{cpu_median:>11.1f}{cpu_median / cpu_baseline:>8.1f}"
        )
    print("(ms; the container variant's CPU excludes the container's own processes)")


if __name__ == "__main__":
    main()
