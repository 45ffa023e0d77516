"""Target 5: 200 trivial migrations applied to an empty database, astegni-db vs stock yoyo.

Usage: python benchmarks/bench_many_migrations.py [--count 200] [--repeat 3]

Each migration creates one small table. Both tools start from a brand-new
empty database each time, as fresh processes, alternating. Per-migration
cost = (time to apply all N - time of a no-op run of the same tool on the
result) / N, so start-up and the history read are not counted in it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import common


def write_migrations(directory: Path, count: int) -> None:
    for i in range(1, count + 1):
        (directory / f"{i:04d}_bench_table_{i}.sql").write_text(
            f"-- trivial migration {i} of {count}\nCREATE TABLE bench_table_{i} (id integer);\n"
        )


def commands(tool: str, server: common.BenchServer, db: str, migrations: Path) -> list[str]:
    if tool == "astegni-db":
        return [str(common.ASTEGNI_DB), "migrate", "--database-url", server.url_for(db),
                "--migrations-dir", str(migrations)]  # fmt: skip
    return [str(common.YOYO), "apply", "-b", "--no-config-file", "-d", server.yoyo_url(db),
            str(migrations)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tools = ("astegni-db", "yoyo")
    samples: dict[str, dict[str, list[float]]] = {t: {"apply": [], "noop": []} for t in tools}
    with tempfile.TemporaryDirectory() as tmp, common.bench_server() as server:
        version = server.version()
        migrations = Path(tmp) / "migrations"
        migrations.mkdir()
        write_migrations(migrations, args.count)
        for n in range(args.repeat):
            for tool in tools:
                with common.scratch_database(server, "bench_t5") as db:
                    cmd = commands(tool, server, db, migrations)
                    ms, done = common.timed_run(cmd, cwd=Path(tmp), timeout=900)
                    common.check_ok(done, f"{tool} apply")
                    noop_ms, done = common.timed_run(cmd, cwd=Path(tmp))
                    common.check_ok(done, f"{tool} no-op")
                    tables = _count_tables(server, db)
                    if tables < args.count:
                        raise SystemExit(f"{tool} created only {tables} of {args.count} tables")
                samples[tool]["apply"].append(ms)
                samples[tool]["noop"].append(noop_ms)
                common.log(f"{tool} #{n + 1}: {ms:.0f} ms for {args.count}, no-op {noop_ms:.0f} ms")
    res: dict[str, Any] = {}
    for tool in tools:
        apply_ms = common.median(samples[tool]["apply"])
        noop_ms = common.median(samples[tool]["noop"])
        res[tool] = {
            "apply_all_ms": round(apply_ms, 1),
            "noop_ms": round(noop_ms, 1),
            "per_migration_ms": round((apply_ms - noop_ms) / args.count, 2),
        }
    ratio = res["astegni-db"]["per_migration_ms"] / res["yoyo"]["per_migration_ms"]
    common.print_table(
        f"Target 5: {args.count} trivial migrations on an empty database "
        f"(medians of {args.repeat} alternating runs)",
        ["tool", "apply all ms", "no-op ms", "per migration ms"],
        [[t, r["apply_all_ms"], r["noop_ms"], r["per_migration_ms"]] for t, r in res.items()],
    )
    print(f"astegni-db / yoyo per-migration cost: {ratio:.2f}")
    common.write_results(
        "many_migrations",
        {
            "machine": common.machine_info(),
            "postgresql": version,
            "params": vars(args),
            "results": res,
            "per_migration_ratio_astegni_over_yoyo": round(ratio, 3),
            "samples_ms": samples,
        },
    )


def _count_tables(server: common.BenchServer, db: str) -> int:
    import psycopg

    with psycopg.connect(server.url_for(db)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\\_table\\_%' AND relkind = 'r'"
        ).fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
