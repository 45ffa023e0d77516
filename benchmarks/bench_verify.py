"""verify's cost with 5,000 unrelated tables vs none, measured side by side.

Usage: python benchmarks/bench_verify.py SUPERUSER_URL [--tables 5000] [--runs 15]

SUPERUSER_URL points at any database of a throwaway server (the script creates
and drops its own two databases there). Both databases get the migrated
schema; one also gets N unrelated tables (each with a primary key, a
foreign key, an index and the application's column names, so every catalog
the inspection reads grows). Runs alternate between the two databases so
drift on a noisy machine hits both alike. Reported, as medians:

- wall: the whole `api.verify()` call (connect, catalog, data check, query checks);
- catalog: client-side time of the catalog inspection alone (`read_catalog`:
  its four statements in one pipeline, one round trip);
- db: server time of the four catalog statements, from EXPLAIN (ANALYZE) of
  the exact SQL files with the exact parameter (the spec's table names).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from astegni_db import api, sqlfiles  # noqa: E402
from astegni_db.disposable import Server, create_database, drop_database  # noqa: E402
from astegni_db.project.spec import load_spec  # noqa: E402
from astegni_db.verify.catalog import read_catalog  # noqa: E402

SPEC = REPO / "checks" / "schema.toml"
QUERIES = REPO / "checks" / "queries"
# read_catalog's statements, in the order it sends them (astegni_db/sql/<name>.sql).
CATALOG_QUERIES = ("tables", "columns", "constraints", "indexes")


def _server(admin_url: str) -> Server:
    """The server behind ``admin_url``, for astegni_db.disposable's create and drop."""
    return Server(url=admin_url, backend="url")


def create(admin_url: str, name: str, unrelated: int) -> str:
    server = _server(admin_url)
    drop_database(server, name)
    create_database(server, name)
    url = server.url_for(name)
    api.migrate(url, REPO / "migrations")
    with psycopg.connect(url, autocommit=True) as conn:
        # Batches of 250 keep each transaction under max_locks_per_transaction.
        for start in range(1, unrelated + 1, 250):
            end = min(start + 249, unrelated)
            conn.execute(
                sql.SQL(
                    "DO $$ BEGIN FOR i IN {start}..{end} LOOP EXECUTE format("
                    "'CREATE TABLE unrelated_%s (id serial PRIMARY KEY,"
                    " tutor_id integer REFERENCES users (id), status varchar(20),"
                    " created_at timestamp DEFAULT now())', i);"
                    " EXECUTE format('CREATE INDEX ON unrelated_%s (status)', i);"
                    " END LOOP; END $$"
                ).format(start=sql.Literal(start), end=sql.Literal(end))
            )
        conn.execute("ANALYZE")
    return url


def drop(admin_url: str, name: str) -> None:
    drop_database(_server(admin_url), name)


def catalog_db_ms(conn: psycopg.Connection[Any], names: list[str]) -> float:
    """Server time (planning + execution) of the four catalog statements (EXPLAIN ANALYZE).

    Each gets what read_catalog sends all four: ``names``, the spec's table
    names (each statement resolves them to OIDs itself).
    """
    params = {"names": sorted(set(names))}
    total = 0.0
    for name in CATALOG_QUERIES:
        row = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + sqlfiles.load(name), params
        ).fetchone()
        assert row is not None
        plan = row[0][0]
        total += plan["Execution Time"] + plan["Planning Time"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("admin_url")
    parser.add_argument("--tables", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    names = [*load_spec(SPEC).tables]
    dbs = {"none": "bench_verify_none", f"{args.tables:,} unrelated": "bench_verify_many"}
    urls = {}
    try:
        for label, name in dbs.items():
            t0 = time.perf_counter()
            urls[label] = create(args.admin_url, name, 0 if label == "none" else args.tables)
            print(f"prepared {label}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        samples: dict[str, dict[str, list[float]]] = {
            label: {"wall": [], "catalog": [], "db": []} for label in urls
        }
        for url in urls.values():  # warm caches once per database
            api.verify(url, SPEC, QUERIES)
        for _ in range(args.runs):
            for label, url in urls.items():
                t0 = time.perf_counter()
                report = api.verify(url, SPEC, QUERIES)
                samples[label]["wall"].append((time.perf_counter() - t0) * 1000)
                assert report.ok, report.summary_line()
                with psycopg.connect(url, autocommit=True) as conn:
                    t0 = time.perf_counter()
                    read_catalog(conn, names)
                    samples[label]["catalog"].append((time.perf_counter() - t0) * 1000)
                    samples[label]["db"].append(catalog_db_ms(conn, names))
        print(f"verify, medians of {args.runs} alternating runs (ms)")
        print(f"{'database':<20} {'wall':>8} {'catalog':>9} {'db':>8}")
        for label, kinds in samples.items():
            print(
                f"{label:<20} {statistics.median(kinds['wall']):8.1f} "
                f"{statistics.median(kinds['catalog']):9.2f} "
                f"{statistics.median(kinds['db']):8.2f}"
            )
    finally:
        for name in dbs.values():
            drop(args.admin_url, name)


if __name__ == "__main__":
    main()
