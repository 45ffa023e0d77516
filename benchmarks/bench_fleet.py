"""Fleets (issue 15): `astegni-db migrate` then `verify` over 50, 100 and 200 databases.

Usage: python benchmarks/bench_fleet.py [--sizes 50 100 200] [--concurrency 1 4 8]
                                        [--repeat 3] [--plot-only]

A fleet target (astegni-db.toml, the repository's migrations, spec and
queries) lists N databases on the benchmark cluster. For every size, every
concurrency and every repeat, N brand-new empty databases are created (not
timed), then one `astegni-db migrate --concurrency C` process migrates them
all and one `astegni-db verify --concurrency C` process verifies them, each
timed from start to exit as CI runs them. The concurrencies of one size run
one after another in the same loop, in an order that rotates each repeat, so
their ratios are measured side by side.

Reported: wall time (median of the repeats), speed-up over concurrency 1,
cost per database (wall / N, and the marginal cost: the slope from the
smallest fleet to the largest, which leaves out the process start-up), each
database's own time inside the run (its job, from the JSON report), and where
the CPU went: the astegni-db process (its rusage) and the server (the
postmaster's reaped children: every backend the run opened).

The floor, measured in the same run on fresh databases of the smallest size:
a first connection to each (`SELECT 1`), and the migrations' SQL sent as
plain statements (0003's CREATE INDEX CONCURRENTLY outside a transaction, the
rest each in one), sequentially and four at a time, beside `astegni-db
migrate --concurrency 1`, alternating. What astegni-db adds per database
is the difference.

Writes benchmarks/results/fleet.json and docs/img/fleet_scaling.png.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import common

from astegni_db.disposable import create_database, drop_database

TARGET = "tenants"
URL_ENV = "TENANTS_DATABASE_URL"
PREFIX = "bench_fleet"
IMG = (
    common.REPO / "docs" / "img"
    if common.RESULTS == common.BENCH_DIR / "results"
    else common.RESULTS / "img"
)


def write_project(root: Path, members: list[str]) -> Path:
    """A project whose one target is a fleet of ``members``, with the repository's files."""
    shutil.copytree(common.MIGRATIONS, root / "migrations")
    (root / "checks").mkdir()
    shutil.copy(common.REPO / "checks" / "schema.toml", root / "checks" / "schema.toml")
    shutil.copytree(common.REPO / "checks" / "queries", root / "checks" / "queries")
    (root / ".git").mkdir()  # the configuration is looked for up to here, not above
    (root / "astegni-db.toml").write_text(
        f"""\
[targets.{TARGET}]
url_env = "{URL_ENV}"
migrations = "migrations"
spec = "checks/schema.toml"
queries = "checks/queries"

[targets.{TARGET}.fleet]
file = "tenants.txt"
"""
    )
    (root / "tenants.txt").write_text("\n".join(members) + "\n")
    return root


def member_names(count: int) -> list[str]:
    return [f"{PREFIX}_{i:04d}" for i in range(count)]


def recreate(server: common.BenchServer, names: list[str]) -> None:
    """Every member brand-new and empty (a copy of template1), as before a first deploy."""
    for name in names:
        drop_database(server.server, name)
        create_database(server.server, name)


def drop_all(server: common.BenchServer, names: list[str]) -> None:
    for name in names:
        drop_database(server.server, name)


class ServerCpu:
    """CPU seconds of the server's processes that have ended (backends), from the postmaster.

    Each connection is a backend process, reaped by the postmaster when it
    ends; its CPU time then adds to the postmaster's cutime and cstime.
    """

    def __init__(self, server: common.BenchServer) -> None:
        pid_file = server.cluster.data_dir / "postmaster.pid"
        self.stat = Path("/proc") / pid_file.read_text().split()[0] / "stat"
        self.tick = os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float:
        # Fields after the command name: utime stime cutime cstime are 14-17 (1-based).
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / self.tick


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_fleet(
    server: common.BenchServer,
    cpu: ServerCpu,
    project: Path,
    command: str,
    concurrency: int,
    expected: int,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One timed `astegni-db COMMAND` over the fleet: wall, CPU, each database's own time."""
    cmd = [str(common.ASTEGNI_DB), command, "--concurrency", str(concurrency), "--format", "json"]
    cmd += extra
    env = {**common.user_python_env(), URL_ENV: server.url, "CI": "true", "NO_COLOR": "1"}
    env.pop("DATABASE_URL", None)
    server_before, client_before = cpu.seconds(), client_cpu()
    ms, done = common.timed_run(cmd, env=env, cwd=project, timeout=3600)
    common.check_ok(done, f"astegni-db {command} over {expected} databases")
    time.sleep(0.3)  # let the postmaster reap the run's last backends (not timed)
    document = json.loads(done.stdout)
    (target,) = document["targets"]
    databases = target["databases"]
    if len(databases) != expected or not all(d["status"] == "ok" for d in databases):
        raise SystemExit(f"{command}: expected {expected} databases ok, got {document['summary']}")
    if command == "migrate" and not all(len(d["report"]["applied"]) == 4 for d in databases):
        raise SystemExit("migrate: a database was not brand-new (fewer than 4 applied)")
    return {
        "wall_ms": round(ms, 1),
        "job_s_median": round(common.median([d["seconds"] for d in databases]), 4),
        "client_cpu_s": round(client_cpu() - client_before, 2),
        "server_cpu_s": round(cpu.seconds() - server_before, 2),
    }


def plain_apply(
    server: common.BenchServer, cpu: ServerCpu, names: list[str], concurrency: int
) -> dict[str, Any]:
    """The migrations' SQL sent as it is, one connection per database: what any tool pays."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    files = sorted(p for p in common.MIGRATIONS.glob("*.sql") if ".rollback." not in p.name)
    texts = [(p.read_text(), "-- transactional: false" in p.read_text()) for p in files]

    def apply(name: str) -> None:
        with psycopg.connect(server.url_for(name), autocommit=True) as conn:
            for text, concurrently in texts:
                if concurrently:  # CREATE INDEX CONCURRENTLY: no transaction block
                    conn.execute(text)
                    continue
                with conn.transaction():
                    conn.execute(text)

    server_before, client_before = cpu.seconds(), time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(apply, names))
    wall = time.perf_counter() - started
    client = time.process_time() - client_before
    time.sleep(0.3)  # let the postmaster reap the backends (not timed)
    return {
        "wall_ms": round(wall * 1000, 1),
        "client_cpu_s": round(client, 2),
        "server_cpu_s": round(cpu.seconds() - server_before, 2),
    }


def first_connections(
    server: common.BenchServer, cpu: ServerCpu, names: list[str]
) -> dict[str, Any]:
    """One connection and `SELECT 1` to each database, sequentially."""
    import psycopg

    server_before, started = cpu.seconds(), time.perf_counter()
    for name in names:
        with psycopg.connect(server.url_for(name)) as conn:
            conn.execute("SELECT 1")
    wall = time.perf_counter() - started
    time.sleep(0.3)
    return {
        "wall_ms": round(wall * 1000, 1),
        "server_cpu_s": round(cpu.seconds() - server_before, 2),
    }


def measure_floor(
    server: common.BenchServer, cpu: ServerCpu, project: Path, names: list[str], repeat: int
) -> dict[str, Any]:
    """Per database: a first connection, plain SQL at 1 and 4, and astegni-db migrate at 1
    as it runs by default, without the data check, and without the spec (so without
    describing what changed either)."""
    variants = {
        "astegni_db_migrate_c1": (),
        "astegni_db_migrate_c1_no_data_check": ("--no-data-check",),
        "astegni_db_migrate_c1_no_spec": ("--spec", str(project / "no-spec.toml")),
    }
    samples: dict[str, list[dict[str, Any]]] = {
        "first_connection": [],
        "plain_sql_c1": [],
        "plain_sql_c4": [],
        **{key: [] for key in variants},
    }
    for n in range(repeat):
        recreate(server, names)
        samples["first_connection"].append(first_connections(server, cpu, names))
        samples["plain_sql_c1"].append(plain_apply(server, cpu, names, 1))
        recreate(server, names)
        samples["plain_sql_c4"].append(plain_apply(server, cpu, names, 4))
        for key, extra in variants.items():
            recreate(server, names)
            samples[key].append(run_fleet(server, cpu, project, "migrate", 1, len(names), extra))
        common.log(
            f"floor #{n + 1}: "
            + ", ".join(f"{k} {v[-1]['wall_ms']:.0f} ms" for k, v in samples.items())
        )
    count = len(names)
    floor: dict[str, Any] = {"databases": count, "repeat": repeat}
    for key, runs in samples.items():
        floor[key] = {
            "wall_ms_per_db": round(common.median([r["wall_ms"] for r in runs]) / count, 1),
            "server_cpu_ms_per_db": round(
                1000 * common.median([r["server_cpu_s"] for r in runs]) / count, 1
            ),
            **(
                {
                    "client_cpu_ms_per_db": round(
                        1000 * common.median([r["client_cpu_s"] for r in runs]) / count, 1
                    )
                }
                if "client_cpu_s" in runs[0]
                else {}
            ),
            "runs": runs,
        }
    return floor


def measure_floor_alone(size: int, repeat: int) -> dict[str, Any]:
    names = member_names(size)
    with tempfile.TemporaryDirectory() as tmp, common.bench_server() as server:
        cpu = ServerCpu(server)
        try:
            return measure_floor(
                server, cpu, write_project(Path(tmp) / "floor", names), names, repeat
            )
        finally:
            drop_all(server, names)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    sizes, levels = sorted(args.sizes), list(args.concurrency)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, common.bench_server() as server:
        version = server.version()
        cpu = ServerCpu(server)
        names = member_names(max(sizes))
        try:
            # Warm-up, not recorded: a cold server's first runs (catalog caches, the
            # file system) took 1.5-3x as long as the same run right after.
            warm = write_project(Path(tmp) / "warm-up", names[: sizes[0]])
            recreate(server, names[: sizes[0]])
            for command in ("migrate", "verify"):
                run_fleet(server, cpu, warm, command, max(levels), sizes[0])
            for repeat in range(args.repeat):
                for size in sizes:
                    project = write_project(Path(tmp) / f"r{repeat}_n{size}", names[:size])
                    shift = repeat % len(levels)  # rotate which concurrency goes first
                    for level in levels[shift:] + levels[:shift]:
                        recreate(server, names[:size])
                        migrated = run_fleet(server, cpu, project, "migrate", level, size)
                        verified = run_fleet(server, cpu, project, "verify", level, size)
                        runs.append(
                            {
                                "repeat": repeat,
                                "databases": size,
                                "concurrency": level,
                                "migrate": migrated,
                                "verify": verified,
                            }
                        )
                        common.log(
                            f"#{repeat + 1} {size} databases, concurrency {level}: "
                            f"migrate {migrated['wall_ms'] / 1000:.1f} s, "
                            f"verify {verified['wall_ms'] / 1000:.1f} s"
                        )
            floor_names = names[: sizes[0]]
            floor = measure_floor(
                server,
                cpu,
                write_project(Path(tmp) / "floor", floor_names),
                floor_names,
                args.repeat,
            )
        finally:
            drop_all(server, names)
    return {
        "machine": common.machine_info(),
        "postgresql": version,
        "params": vars(args),
        "summary": summarise(runs, sizes, levels),
        "floor": floor,
        "runs": runs,
    }


def summarise(runs: list[dict[str, Any]], sizes: list[int], levels: list[int]) -> dict[str, Any]:
    """Medians per (command, size, concurrency); ratios against concurrency 1 of the same size."""
    summary: dict[str, Any] = {}
    for command in ("migrate", "verify"):
        rows: dict[str, Any] = {}
        for size in sizes:
            for level in levels:
                picked = [
                    r[command] for r in runs if r["databases"] == size and r["concurrency"] == level
                ]
                walls = [p["wall_ms"] for p in picked]
                rows[f"{size}/{level}"] = {
                    "databases": size,
                    "concurrency": level,
                    "wall_ms_median": round(common.median(walls), 1),
                    "wall_ms_min": min(walls),
                    "wall_ms_max": max(walls),
                    "per_database_ms": round(common.median(walls) / size, 1),
                    "job_ms_median": round(
                        1000 * common.median([p["job_s_median"] for p in picked]), 1
                    ),
                    "client_cpu_s_median": round(
                        common.median([p["client_cpu_s"] for p in picked]), 2
                    ),
                    "server_cpu_s_median": round(
                        common.median([p["server_cpu_s"] for p in picked]), 2
                    ),
                }
        for size in sizes:
            if 1 not in levels:
                break
            sequential = rows[f"{size}/1"]["wall_ms_median"]
            for level in levels:
                rows[f"{size}/{level}"]["speedup_over_sequential"] = round(
                    sequential / rows[f"{size}/{level}"]["wall_ms_median"], 2
                )
        marginal = {}
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            for level in levels:
                grown = (
                    rows[f"{large}/{level}"]["wall_ms_median"]
                    - rows[f"{small}/{level}"]["wall_ms_median"]
                )
                marginal[str(level)] = round(grown / (large - small), 1)
        summary[command] = {"rows": rows, "marginal_ms_per_database": marginal}
    return summary


def report(data: dict[str, Any]) -> None:
    params = data["params"]
    for command in ("migrate", "verify"):
        part = data["summary"][command]
        common.print_table(
            f"Fleets: astegni-db {command} (medians of {params['repeat']}; "
            "concurrencies side by side in one loop)",
            [
                "databases",
                "concurrency",
                "wall s",
                "min",
                "max",
                "x sequential",
                "ms per db",
                "job ms",
                "client CPU s",
                "server CPU s",
            ],
            [
                [
                    r["databases"],
                    r["concurrency"],
                    r["wall_ms_median"] / 1000,
                    r["wall_ms_min"] / 1000,
                    r["wall_ms_max"] / 1000,
                    r.get("speedup_over_sequential"),
                    r["per_database_ms"],
                    r["job_ms_median"],
                    r["client_cpu_s_median"],
                    r["server_cpu_s_median"],
                ]
                for r in part["rows"].values()
            ],
        )
        marginal = ", ".join(
            f"concurrency {k}: {v} ms" for k, v in part["marginal_ms_per_database"].items()
        )
        print(f"marginal cost per database ({command}): {marginal}")
    floor = data["floor"]
    common.print_table(
        f"Floor: {floor['databases']} fresh databases, per database "
        f"(medians of {floor.get('repeat', params['repeat'])}, alternating)",
        ["what", "wall ms", "server CPU ms", "client CPU ms"],
        [
            [key, r["wall_ms_per_db"], r["server_cpu_ms_per_db"], r.get("client_cpu_ms_per_db")]
            for key, r in floor.items()
            if isinstance(r, dict) and key != "machine"
        ],
    )


def plot(data: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), width_ratios=[1, 1, 0.9])
    colors = {1: "#d62728", 2: "#ff7f0e", 4: "#1f77b4", 8: "#2ca02c", 16: "#9467bd"}
    for ax, command in zip(axes, ("migrate", "verify"), strict=False):
        rows = list(data["summary"][command]["rows"].values())
        for level in sorted({r["concurrency"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["concurrency"] == level), key=lambda r: r["databases"]
            )
            x = [r["databases"] for r in mine]
            y = [r["wall_ms_median"] / 1000 for r in mine]
            low = [(r["wall_ms_median"] - r["wall_ms_min"]) / 1000 for r in mine]
            high = [(r["wall_ms_max"] - r["wall_ms_median"]) / 1000 for r in mine]
            ax.errorbar(
                x,
                y,
                yerr=[low, high],
                marker="o",
                capsize=3,
                color=colors.get(level),
                label=f"--concurrency {level}",
            )
        ax.set_title(f"astegni-db {command}: one process over the fleet", fontsize=10)
        ax.set_xlabel(
            "databases in the fleet" + (" (brand-new, empty)" if command == "migrate" else "")
        )
        ax.set_ylabel("wall time, s (median; bars: min-max)")
        ax.set_xticks(sorted({r["databases"] for r in rows}))
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    # Where a database's migrate time goes at the largest size: CPU on each side, and wall.
    ax = axes[2]
    rows = data["summary"]["migrate"]["rows"]
    largest = max(r["databases"] for r in rows.values())
    mine = sorted(
        (r for r in rows.values() if r["databases"] == largest), key=lambda r: r["concurrency"]
    )
    labels = [f"c{r['concurrency']}" for r in mine]
    client = [1000 * r["client_cpu_s_median"] / largest for r in mine]
    server = [1000 * r["server_cpu_s_median"] / largest for r in mine]
    wall = [r["per_database_ms"] for r in mine]
    x = range(len(mine))
    ax.bar([i - 0.2 for i in x], server, 0.4, color="#8c564b", label="server CPU")
    ax.bar(
        [i - 0.2 for i in x], client, 0.4, bottom=server, color="#e377c2", label="astegni-db CPU"
    )
    ax.bar([i + 0.2 for i in x], wall, 0.4, color="#7f7f7f", label="wall")
    cores = data["machine"]["nproc"] or 1
    for i, (c, sv) in enumerate(zip(client, server, strict=True)):
        ax.hlines((c + sv) / cores, i - 0.45, i + 0.45, colors="black", linestyles="dashed", lw=1)
    floor = data.get("floor", {}).get("plain_sql_c1")
    if floor:
        ax.axhline(floor["wall_ms_per_db"], color="#17becf", lw=1, label="plain SQL, sequential")
    ax.set_ylim(0, 1.4 * max(max(wall), max(c + sv for c, sv in zip(client, server, strict=True))))
    ax.set_xticks(list(x), labels)
    ax.set_title(f"migrate, {largest} databases: ms per database", fontsize=10)
    ax.set_ylabel("ms per database (dashed: CPU / cores)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=2, loc="upper left")
    machine = data["machine"]
    fig.suptitle(
        f"{machine['nproc']} cores, one local PostgreSQL server, "
        f"medians of {data['params']['repeat']} ({machine['date_utc']})",
        fontsize=9,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    common.log(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the graph from the results JSON"
    )
    parser.add_argument(
        "--floor-only",
        action="store_true",
        help="measure only the floor again, into the results JSON's 'floor'",
    )
    args = parser.parse_args()
    results = common.RESULTS / "fleet.json"
    if args.plot_only:
        data = json.loads(results.read_text())
    elif args.floor_only:
        data = json.loads(results.read_text())
        data["floor"] = measure_floor_alone(min(args.sizes), args.repeat)
        data["floor"]["machine"] = common.machine_info()
        common.write_results("fleet", data)
    else:
        data = measure(args)
        common.write_results("fleet", data)
    report(data)
    try:
        plot(data, IMG / "fleet_scaling.png")
    except ImportError:
        common.log("matplotlib not installed: graph skipped (pip install matplotlib)")


if __name__ == "__main__":
    main()
