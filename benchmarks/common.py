"""Shared machinery for the benchmarks: a dedicated PostgreSQL cluster, data, timing, output.

The cluster comes from astegni_db.disposable's local backend (initdb + pg_ctl
as the ``postgres`` OS user) but with settings for load tests rather than for
unit tests: fsync stays ON (a benchmark about stalls must not hide I/O), and
the cluster is kept between runs under $ASTEGNI_DB_BENCH_DIR (default
/tmp/astegni-db-bench) so the 5-million-row template is generated once. Every
command starts the server and stops it again when it ends; `run_all.py --drop`
deletes the directory.

Databases on it are created, dropped and named by astegni_db.disposable (the
same code the pytest plugin uses), through :attr:`BenchServer.server`; only
the FILE_COPY clone of the big template is done here.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from astegni_db.disposable import (  # noqa: E402
    Server,
    create_database,
    drop_database,
    temporary_database,
)
from astegni_db.disposable.databases import unique_name  # noqa: E402
from astegni_db.disposable.local import LocalCluster, superuser_url  # noqa: E402
from astegni_db.settings import dbname_of  # noqa: E402

BENCH_DIR = REPO / "benchmarks"
# $ASTEGNI_DB_BENCH_RESULTS sends a trial run's output elsewhere, leaving the
# committed results (and docs/img) alone.
RESULTS = Path(os.environ.get("ASTEGNI_DB_BENCH_RESULTS", BENCH_DIR / "results"))
RAW = RESULTS / "raw"  # gitignored: pgbench logs, server log copies
MIGRATIONS = REPO / "migrations"
VENV_BIN = Path(sys.executable).parent
ASTEGNI_DB = VENV_BIN / "astegni-db"
YOYO = VENV_BIN / "yoyo"

# Settings for the load tests, chosen so the measurement is about locks, not
# about a tiny default cache or checkpoints landing mid-run:
LOAD_SETTINGS: dict[str, str] = {
    "shared_buffers": "1536MB",  # the 5M-row table (~1.1 GB) and its indexes fit
    "effective_cache_size": "8GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "16GB",  # no checkpoint forced by WAL volume during a 30 s run
    "checkpoint_timeout": "30min",
    "wal_level": "minimal",  # no replicas; lets the bulk load skip some WAL
    "max_wal_senders": "0",
    # fsync stays on. Commits do not wait for their own WAL flush, though: on a
    # shared VM disk that flush latency, not the migration, would dominate every
    # percentile. Locking behaves exactly the same either way.
    "synchronous_commit": "off",
    # We VACUUM ANALYZE explicitly; an autovacuum starting mid-run would take
    # a SHARE UPDATE EXCLUSIVE lock and blur the lock measurements.
    "autovacuum": "off",
    "max_connections": "60",
    # Every lock wait longer than deadlock_timeout is logged with its exact
    # duration ("acquired ... after N ms"): the lock-queue evidence.
    "log_lock_waits": "on",
    "deadlock_timeout": "50ms",
    "log_line_prefix": "%n [%p] %a@%d ",  # %n: epoch seconds with milliseconds
    "logging_collector": "off",
    "jit": "off",  # JIT compile time would add random spikes to the read queries
}

SESSIONS_TEMPLATE = "bench_sessions_{rows}"
_TEMPLATE_MARK = "astegni-db bench template v1"


@dataclass(frozen=True)
class BenchServer:
    """A running benchmark cluster, reachable on 127.0.0.1 only."""

    cluster: LocalCluster
    port: int
    password: str

    @property
    def server(self) -> Server:
        """The cluster as astegni_db.disposable's functions take it (create, drop, clone).

        No ``resource``: the cluster directory is kept between runs, not removed.
        """
        return Server(url=superuser_url(self.password, self.port), backend="local")

    @property
    def url(self) -> str:
        return self.server.url

    def url_for(self, dbname: str) -> str:
        return self.server.url_for(dbname)

    def yoyo_url(self, dbname: str) -> str:
        return "postgresql+psycopg://" + self.url_for(dbname).split("://", 1)[1]

    def env(self, dbname: str, **extra: str) -> dict[str, str]:
        """Environment for libpq clients (psql, pgbench, astegni-db) aimed at ``dbname``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            PGHOST="127.0.0.1",
            PGPORT=str(self.port),
            PGUSER="postgres",
            PGPASSWORD=self.password,
            PGDATABASE=dbname,
            DATABASE_URL=self.url_for(dbname),
            NO_COLOR="1",
        )
        env.update(extra)
        return env

    @property
    def log_file(self) -> Path:
        return self.cluster.log_file

    def bin(self, name: str) -> str:
        return str(self.cluster.bindir / name)

    def version(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT version()").fetchone()
        assert row is not None
        return str(row[0])


def bench_dir() -> Path:
    return Path(
        os.environ.get("ASTEGNI_DB_BENCH_DIR", Path(tempfile.gettempdir()) / "astegni-db-bench")
    )


@contextlib.contextmanager
def bench_server() -> Iterator[BenchServer]:
    """Start the benchmark cluster (creating it on first use); stop it on exit."""
    root = bench_dir()
    cluster = LocalCluster(root)
    pwfile = root / "bench.pw"
    if not (cluster.exists() and pwfile.is_file()):
        shutil.rmtree(root, ignore_errors=True)
        password = secrets.token_urlsafe(18)
        cluster.init(password, LOAD_SETTINGS)
        pwfile.write_text(password)
        pwfile.chmod(0o600)
    password = pwfile.read_text().strip()
    if cluster.is_running():  # left by an interrupted run
        cluster.stop()
    port = cluster.start_on_free_port()
    try:
        yield BenchServer(cluster, port, password)
    finally:
        cluster.stop(mode="fast")


def drop_bench_dir() -> None:
    root = bench_dir()
    cluster = LocalCluster(root)
    if cluster.exists():
        cluster.stop(mode="immediate")
    shutil.rmtree(root, ignore_errors=True)


# --- databases -------------------------------------------------------------------------


def admin(server: BenchServer) -> psycopg.Connection[Any]:
    return psycopg.connect(server.url, autocommit=True, connect_timeout=10)


def database_exists(server: BenchServer, name: str) -> bool:
    with admin(server) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def clone_database(server: BenchServer, name: str, template: str) -> None:
    """CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY.

    Not astegni_db.disposable.create_database: that one takes the server's
    default strategy (WAL_LOG since PostgreSQL 15), which WAL-logs every block
    of the 1.1 GB template; FILE_COPY copies the files: seconds, not minutes.
    """
    with admin(server) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


@contextlib.contextmanager
def scratch_database(
    server: BenchServer, purpose: str, template: str | None = None
) -> Iterator[str]:
    """A new database (a FILE_COPY clone of ``template`` if given), dropped on exit.

    Yields its name, unique (astegni_db.disposable's naming) and so also the
    ``%d`` the server log shows for its sessions.
    """
    if template is None:
        with temporary_database(server.server, purpose=purpose) as url:
            yield dbname_of(url)
        return
    name = unique_name(purpose)
    clone_database(server, name, template)
    try:
        yield name
    finally:
        drop_database(server.server, name)


# Targets 1 and 2 measure the seed's migration, 0002: later migrations (0003's
# index build, target 7) are not part of what they time.
SEED_MIGRATION = "0002_tutoring_sessions_schedule_fields"


def migrations_upto(last_id: str, into: Path) -> Path:
    """A copy of migrations/ holding only the files up to ``last_id`` (and their rollbacks)."""
    into.mkdir(parents=True, exist_ok=True)
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name.split(".", 1)[0] <= last_id:
            shutil.copy(path, into / path.name)
    return into


def sessions_template(server: BenchServer, rows: int) -> str:
    """A database with 0001 applied and ``rows`` tutoring_sessions, built once and kept."""
    name = SESSIONS_TEMPLATE.format(rows=rows)
    if database_exists(server, name):
        with psycopg.connect(server.url_for(name)) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                (name,),
            ).fetchone()
        if row and row[0] == _TEMPLATE_MARK:
            return name
    log(f"building {name}: {rows:,} tutoring_sessions (once; kept in {bench_dir()})")
    started = time.perf_counter()
    drop_database(server.server, name)  # an unfinished build left by an interrupted run
    create_database(server.server, name)
    from astegni_db import api

    with tempfile.TemporaryDirectory() as tmp:
        api.migrate(server.url_for(name), migrations_upto("0001_baseline", Path(tmp)))
    with psycopg.connect(server.url_for(name), autocommit=True) as conn:
        conn.execute(
            sql.SQL((BENCH_DIR / "sql" / "load_sessions.sql").read_text()).format(rows=rows)
        )
        conn.execute("VACUUM (ANALYZE, FREEZE) ")
        conn.execute("CHECKPOINT")
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(_TEMPLATE_MARK)
            )
        )
    log(f"built {name} in {time.perf_counter() - started:.0f} s")
    return name


def relfilenode(server: BenchServer, dbname: str, table: str = "tutoring_sessions") -> int:
    with psycopg.connect(server.url_for(dbname)) as conn:
        row = conn.execute(
            "SELECT relfilenode FROM pg_class WHERE oid = to_regclass(%s)", (table,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def prewarm(server: BenchServer, dbname: str) -> None:
    """Load the table and its indexes into shared_buffers, so every run starts equally warm."""
    with psycopg.connect(server.url_for(dbname), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.execute(
            "SELECT pg_prewarm(c.oid) FROM pg_class c"
            " WHERE c.oid = 'tutoring_sessions'::regclass OR c.oid IN"
            " (SELECT indexrelid FROM pg_index WHERE indrelid = 'tutoring_sessions'::regclass)"
        )


# --- the server log ----------------------------------------------------------------------


class LogCursor:
    """Lines appended to the server log since this cursor was made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> list[str]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        return data.decode("utf-8", "replace").splitlines()


_LINE = re.compile(r"^(?P<ts>\d+\.\d+) \[(?P<pid>\d+)\] (?P<app>.*?)@(?P<db>\S*) (?P<rest>.*)$")
_DURATION = re.compile(
    r"duration: (?P<ms>[\d.]+) ms\s+(?:statement|execute [^:]*): (?P<sql>.*)$", re.S
)
_ACQUIRED = re.compile(r"acquired (?P<mode>\w+) on .* after (?P<ms>[\d.]+) ms")


@dataclass(frozen=True)
class LoggedStatement:
    pid: int
    end: float  # epoch seconds
    duration_ms: float
    sql: str

    @property
    def start(self) -> float:
        return self.end - self.duration_ms / 1000


def logged_statements(lines: Sequence[str], dbname: str) -> list[LoggedStatement]:
    """Statements logged with their duration (log_min_duration_statement=0 sessions)."""
    out = []
    for i, line in enumerate(lines):
        m = _LINE.match(line)
        if not m or m["db"] != dbname:
            continue
        d = _DURATION.search(m["rest"])
        if not d:
            continue
        text = d["sql"]
        # A statement spanning lines continues until the next prefixed line.
        for cont in lines[i + 1 :]:
            if _LINE.match(cont):
                break
            text += "\n" + cont
        out.append(LoggedStatement(int(m["pid"]), float(m["ts"]), float(d["ms"]), text.strip()))
    return out


DDL_MARKER_SQL = """
CREATE OR REPLACE FUNCTION bench_ddl_mark() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE LOG 'bench-ddl-start % %', extract(epoch FROM clock_timestamp()), tg_tag;
END $$;
CREATE EVENT TRIGGER bench_ddl_start ON ddl_command_start EXECUTE FUNCTION bench_ddl_mark();
"""
_MARK = re.compile(r"LOG:\s+bench-ddl-start (?P<epoch>[\d.]+) (?P<tag>.*)$")


def install_ddl_marker(server: BenchServer, dbname: str) -> None:
    """Log the exact moment every DDL command starts, before it asks for its lock.

    ddl_command_start fires before ALTER TABLE looks up (and locks) its table,
    so with the COMMIT's logged end time it brackets the ACCESS EXCLUSIVE
    window to the microsecond, even inside a multi-statement query.
    """
    with psycopg.connect(server.url_for(dbname), autocommit=True) as conn:
        conn.execute(DDL_MARKER_SQL)


def exclusive_window_ms(
    lines: Sequence[str], dbname: str, table: str = "tutoring_sessions"
) -> dict[str, Any]:
    """From the start of the first ALTER TABLE on ``table`` to the end of the COMMIT after it.

    That is the interval during which the ALTER queued for or held ACCESS
    EXCLUSIVE: any query on the table arriving then had to wait. Failed
    attempts (lock timeouts) end in ROLLBACK and are skipped: this is the
    successful attempt. ``statement_bound_ms`` is the coarser bound from the
    logged statement holding the ALTER (from its start).
    """
    statements = logged_statements(lines, dbname)
    alter_re = re.compile(rf"^\s*ALTER\s+TABLE\s+(ONLY\s+)?{table}\b", re.I | re.M)
    marks = []
    for line in lines:
        m = _LINE.match(line)
        if m and m["db"] == dbname:
            mark = _MARK.search(m["rest"])
            if mark and mark["tag"].strip() == "ALTER TABLE":
                marks.append((int(m["pid"]), float(mark["epoch"])))
    for i, st in enumerate(statements):
        if not alter_re.search(_strip_comments(st.sql)):
            continue
        end = next(
            (
                e
                for e in statements[i + 1 :]
                if e.pid == st.pid and re.match(r"^\s*(COMMIT|END|ROLLBACK)\b", e.sql, re.I)
            ),
            None,
        )
        if end is None or end.sql.strip().upper().startswith("ROLLBACK"):
            continue
        alter_start = next(
            (t for pid, t in marks if pid == st.pid and st.start - 0.002 <= t <= st.end), None
        )
        return {
            "window_ms": round((end.end - alter_start) * 1000, 2) if alter_start else None,
            "statement_bound_ms": round((end.end - st.start) * 1000, 2),
            "start_epoch": alter_start or st.start,
            "end_epoch": end.end,
        }
    return {"window_ms": None}


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def lock_waits_ms(lines: Sequence[str], dbname: str, app: str | None = "pgbench") -> list[float]:
    """Lock waits longer than deadlock_timeout, in ms, from log_lock_waits' "acquired" lines.

    Only sessions whose application_name is ``app`` (the load, not the migration) by default.
    """
    waits = []
    for line in lines:
        m = _LINE.match(line)
        if m and m["db"] == dbname and (app is None or m["app"] == app):
            a = _ACQUIRED.search(m["rest"])
            if a:
                waits.append(float(a["ms"]))
    return waits


# --- pgbench ------------------------------------------------------------------------------

PGBENCH_SCRIPTS = ("read_by_id@5", "read_by_tutor@3", "update@1", "insert@1")


@dataclass(frozen=True)
class Transaction:
    end: float  # epoch seconds
    latency_ms: float
    script: int


def pgbench_command(
    server: BenchServer, duration_s: int, clients: int, log_prefix: Path, rows: int
) -> list[str]:
    scripts = []
    for spec in PGBENCH_SCRIPTS:
        name, weight = spec.split("@")
        scripts += ["-f", f"{BENCH_DIR / 'pgbench' / name}.sql@{weight}"]
    return [
        server.bin("pgbench"),
        "-n",  # no vacuum of pgbench's own tables: there are none
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(duration_s),
        "-D",
        f"maxid={rows}",
        "-l",
        f"--log-prefix={log_prefix}",
        *scripts,
    ]


def pgbench_log_prefix(name: str) -> Path:
    """Where a run's pgbench transaction logs go (``-l --log-prefix``), emptied of an
    earlier run's logs of the same name."""
    RAW.mkdir(parents=True, exist_ok=True)
    prefix = RAW / name
    for old in RAW.glob(prefix.name + ".*"):
        old.unlink()
    return prefix


def start_pgbench(
    server: BenchServer, dbname: str, duration_s: int, clients: int, log_prefix: Path, rows: int
) -> subprocess.Popen[str]:
    """The load, running in the background on ``dbname`` (logging every transaction)."""
    return subprocess.Popen(
        pgbench_command(server, duration_s, clients, log_prefix, rows),
        env=server.env(dbname),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_pgbench_logs(log_prefix: Path) -> list[Transaction]:
    txs = []
    for path in sorted(log_prefix.parent.glob(log_prefix.name + ".*")):
        for line in path.read_text().splitlines():
            # client_id transaction_no time_us script_no epoch_s epoch_us
            parts = line.split()
            if len(parts) < 6 or parts[2] == "skipped" or parts[2] == "failed":
                continue
            txs.append(
                Transaction(
                    int(parts[4]) + int(parts[5]) / 1e6, int(parts[2]) / 1000, int(parts[3])
                )
            )
    txs.sort(key=lambda t: t.end)
    return txs


def latency_summary(txs: Sequence[Transaction]) -> dict[str, float]:
    lat = sorted(t.latency_ms for t in txs)
    span = (txs[-1].end - txs[0].end) if len(txs) > 1 else 1.0
    return {
        "transactions": len(lat),
        "tps": round(len(lat) / span, 1),
        "p50_ms": round(percentile(lat, 50), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "p999_ms": round(percentile(lat, 99.9), 2),
        "max_ms": round(lat[-1], 2),
    }


def overlap_max_ms(txs: Sequence[Transaction], start: float, end: float) -> float:
    """The worst latency among transactions in flight at any moment of [start, end] (epochs)."""
    return max(
        (t.latency_ms for t in txs if t.end >= start and t.end - t.latency_ms / 1000 <= end),
        default=0.0,
    )


def latency_series(
    txs: Sequence[Transaction], t0: float, bin_s: float = 0.25
) -> dict[str, list[float]]:
    """Per bin: the worst latency of any transaction in flight during it, and completions/s.

    A transaction counts in every bin from its start to its end, so a stall
    shows as a plateau over its whole length rather than one late spike.
    """
    worst: dict[int, float] = {}
    done: dict[int, int] = {}
    for t in txs:
        first, last = int((t.end - t.latency_ms / 1000 - t0) / bin_s), int((t.end - t0) / bin_s)
        for k in range(first, last + 1):
            worst[k] = max(worst.get(k, 0.0), t.latency_ms)
        done[last] = done.get(last, 0) + 1
    keys = range(min(worst), max(worst) + 1) if worst else range(0)
    return {
        "t_s": [round(k * bin_s, 3) for k in keys],
        "max_ms": [round(worst.get(k, 0.0), 2) for k in keys],
        "tps": [round(done.get(k, 0) / bin_s, 1) for k in keys],
    }


# --- timing and output ----------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def user_python_env() -> dict[str, str]:
    """This process's environment minus PYTHONDONTWRITEBYTECODE, for timing Python commands.

    Some machines (this benchmark's VM, many CI images) export
    PYTHONDONTWRITEBYTECODE=1. A process started with it writes no .pyc files,
    so every fresh `astegni-db` recompiles astegni_db from source (about 35 ms
    here), a cost no user pays: installed packages and an editable checkout
    that has run once have bytecode caches. Without the variable, the first
    (warm-up) run writes the .pyc files and the measured runs load them.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_run(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time in ms of one subprocess run, and its result."""
    started = time.perf_counter()
    done = subprocess.run(
        list(cmd), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    return (time.perf_counter() - started) * 1000, done


def check_ok(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise SystemExit(
            f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}"
        )


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": mem_gib,
        "cpu": model,
        "loadavg_1_5_15_min_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if n and i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if value is None:
        return "-"
    return str(value)


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    log(f"wrote {path}")
    return path
