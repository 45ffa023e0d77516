"""Issue 11's reproductions, run against any astegni-db executable: before and after.

    python benchmarks/repro_nontransactional.py [--cli PATH/TO/astegni-db]

Each scenario starts from 0001 and 0002 applied on a fresh database of a
throwaway server, adds one `-- transactional: false` migration, and prints
what migrate said (exit code, last line) and what the database holds after:

1. lock-timeout: a write transaction open for 4 s, longer than every attempt:
   the concurrent build waits past lock_timeout each time;
2. kill -9: migrate is killed while the build waits; the blocker ends; migrate
   runs again;
3. rollback-file: the third statement fails after two ran (a table created and
   filled with 3 rows); its rollback file drops that table.

Exits 0 when every scenario ends safely: no INVALID index, nothing recorded
that is not really done, the 3 rows kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from astegni_db.disposable import start_server, temporary_database  # noqa: E402

INDEX = """\
-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS repro_sessions_tutor_date_idx
    ON tutoring_sessions (tutor_id, session_date DESC, start_time DESC);
"""
INDEX_ROLLBACK = "DROP INDEX CONCURRENTLY IF EXISTS repro_sessions_tutor_date_idx;\n"
NOTES = """\
-- transactional: false
CREATE TABLE IF NOT EXISTS session_notes (id integer PRIMARY KEY, body text);
INSERT INTO session_notes VALUES (1, 'a'), (2, 'b'), (3, 'c') ON CONFLICT DO NOTHING;
CREATE INDEX CONCURRENTLY IF NOT EXISTS session_notes_body_idx ON session_notes (no_such_column);
"""
NOTES_ROLLBACK = "DROP TABLE IF EXISTS session_notes;\n"


# The issue was reproduced with 0001 and 0002 only; later project migrations
# (0003 builds an index of its own) stay out, so old and new run the same files.
SEED_ONLY = ("0001_", "0002_")


def seed_migrations(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "migrations").iterdir():
        if path.name.startswith(SEED_ONLY):
            shutil.copy(path, directory / path.name)
    return directory


def migrations_with(directory: Path, name: str, forward: str, rollback: str) -> Path:
    seed_migrations(directory)
    (directory / f"{name}.sql").write_text(forward)
    (directory / f"{name}.rollback.sql").write_text(rollback)
    return directory


def run_cli(cli: str, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [cli, *args], capture_output=True, text=True, timeout=300, env={**os.environ, "CI": ""}
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    return done.returncode, (errors or lines or [""])[-1]


def one(url: str, query: str) -> object:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row else None


def index_state(url: str, name: str) -> str:
    state = one(
        url,
        "SELECT CASE WHEN i.indisvalid THEN 'valid' ELSE 'INVALID' END FROM pg_class c"
        f" JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = '{name}'",
    )
    return str(state or "absent")


def recorded(url: str, migration_id: str) -> bool:
    return bool(
        one(url, f"SELECT count(*) FROM _yoyo_migration WHERE migration_id = '{migration_id}'")
    )


def waiting(url: str) -> bool:
    return bool(
        one(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'astegni-db%'"
            " AND wait_event_type = 'Lock' AND datname = current_database()",
        )
    )


def blocker(url: str) -> psycopg.Connection:
    """A writer's open transaction on tutoring_sessions (what an application session is)."""
    conn = psycopg.connect(url)
    conn.execute("LOCK TABLE tutoring_sessions IN ROW EXCLUSIVE MODE")
    return conn


def scenario_lock_timeout(cli: str, url: str, work: Path) -> bool:
    migrations = migrations_with(work / "m1", "0009_index", INDEX, INDEX_ROLLBACK)
    base = ["--database-url", url, "--migrations-dir", str(migrations)]
    run_cli(cli, "migrate", *base, "--migrations-dir", str(seed_migrations(work / "seed")))
    held = blocker(url)
    # Longer than the three attempts (about 2 s with their back-off), then it ends.
    ends = threading.Timer(4.0, held.rollback)
    ends.start()
    try:
        code, last = run_cli(
            cli, "migrate", *base, "--ddl-lock-timeout", "200", "--ddl-retries", "2"
        )
    finally:
        ends.join()
        held.close()
    state, rec = index_state(url, "repro_sessions_tutor_date_idx"), recorded(url, "0009_index")
    print(f"1. lock-timeout: exit {code}: {last}\n   index {state}; 0009 recorded: {rec}")
    return state != "INVALID" and not (rec and state != "valid")


def scenario_kill(cli: str, url: str, work: Path) -> bool:
    migrations = migrations_with(work / "m2", "0009_index", INDEX, INDEX_ROLLBACK)
    base = ["--database-url", url, "--migrations-dir", str(migrations)]
    run_cli(cli, "migrate", *base, "--migrations-dir", str(seed_migrations(work / "seed")))
    held = blocker(url)
    proc = subprocess.Popen(
        [cli, "migrate", *base, "--ddl-lock-timeout", "60000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CI": ""},
    )
    deadline = time.monotonic() + 30
    while not waiting(url) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.5)  # the server notices the client is gone (client_connection_check_interval)
    held.rollback()
    held.close()
    after_kill = index_state(url, "repro_sessions_tutor_date_idx")
    code, last = run_cli(cli, "migrate", *base)
    state, rec = index_state(url, "repro_sessions_tutor_date_idx"), recorded(url, "0009_index")
    print(
        f"2. kill -9: index after the kill: {after_kill}; migrate again: exit {code}: {last}\n"
        f"   index {state}; 0009 recorded: {rec}"
    )
    return not (rec and state != "valid")


def scenario_rollback_file(cli: str, url: str, work: Path) -> bool:
    migrations = migrations_with(work / "m3", "0009_notes", NOTES, NOTES_ROLLBACK)
    base = ["--database-url", url, "--migrations-dir", str(migrations)]
    run_cli(cli, "migrate", *base, "--migrations-dir", str(seed_migrations(work / "seed")))
    code, last = run_cli(cli, "migrate", *base)
    rows = one(url, "SELECT CASE WHEN to_regclass('session_notes') IS NULL THEN -1 END")
    if rows is None:
        rows = one(url, "SELECT count(*) FROM session_notes")
    shown = "dropped" if rows == -1 else f"{rows} row(s)"
    print(f"3. rollback file: exit {code}: {last}\n   session_notes: {shown}")
    with psycopg.connect(url, autocommit=True) as conn:
        note = (
            conn.execute(
                "SELECT string_agg(statement_no || ':' || state, ' ') FROM _astegni_db_progress"
            ).fetchone()
            if one(url, "SELECT to_regclass('_astegni_db_progress')")
            else None
        )
    print(f"   journal: {note[0] if note else '(none)'}")
    return rows == 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=str(REPO / ".venv" / "bin" / "astegni-db"))
    args = parser.parse_args()
    print(f"astegni-db: {args.cli}")
    results = []
    with start_server() as server, tempfile.TemporaryDirectory() as tmp:
        for scenario in (scenario_lock_timeout, scenario_kill, scenario_rollback_file):
            with temporary_database(server, purpose="repro") as url:
                results.append(scenario(args.cli, url, Path(tmp) / scenario.__name__))
    print("safe" if all(results) else "UNSAFE: " + ", ".join(
        str(n + 1) for n, ok in enumerate(results) if not ok
    ))  # fmt: skip
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
