"""What one database test costs in setup: a template clone vs. migrating vs. a fresh server.

    python benchmarks/bench_test_db_cost.py [--runs 15] [--server-runs 5] [--container]

Variants are interleaved round by round so machine noise hits them alike; the
output is the median (and min/max) of each, and ratios against the clone.
Measures what a fixture does before and after a test: create, connect once, drop.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from astegni_db.disposable import DisposableDatabases, Server, start_server, temporary_database
from astegni_db.disposable.databases import drop_database, unique_name
from astegni_db.disposable.migrate import apply_migrations

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
        apply_migrations(url, MIGRATIONS)
        _touch(url)


def fresh_server(backend: str) -> None:
    with start_server(backend) as server, temporary_database(server) as url:
        apply_migrations(url, MIGRATIONS)
        _touch(url)


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds for the per-database variants")
    parser.add_argument("--server-runs", type=int, default=5, help="rounds that start a server")
    parser.add_argument("--backend", default="local", help="server for the per-database variants")
    parser.add_argument("--container", action="store_true", help="also time a container per test")
    args = parser.parse_args()

    samples: dict[str, list[float]] = {}
    with start_server(args.backend) as server:
        databases = DisposableDatabases(server)
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
                samples.setdefault(label, []).append(timed(fn))
        databases.close()

    server_variants = {f"fresh {args.backend} server + migrate": lambda: fresh_server(args.backend)}
    if args.container:
        server_variants["fresh container + migrate"] = lambda: fresh_server("container")
    for _ in range(args.server_runs):
        for label, fn in server_variants.items():
            samples.setdefault(label, []).append(timed(fn))

    baseline = statistics.median(samples["template clone (default)"])
    print(f"backend for per-database variants: {args.backend} (server_version {version})")
    print(f"{'variant':<34}{'n':>4}{'median ms':>11}{'min':>9}{'max':>9}{'x clone':>9}")
    for label, values in samples.items():
        median = statistics.median(values)
        print(
            f"{label:<34}{len(values):>4}{median:>11.1f}{min(values):>9.1f}{max(values):>9.1f}"
            f"{median / baseline:>9.1f}"
        )


if __name__ == "__main__":
    main()
