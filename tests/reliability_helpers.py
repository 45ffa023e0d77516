"""Shared machinery of the fault-injection tests: CLI processes, pauses, fingerprints.

Every pause is made by holding a lock the migrate process needs, so a fault
lands at a known point instead of after a guessed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from tests.helpers import PROJECT_MIGRATIONS, Result, finish

MIGRATION_IDS = PROJECT_MIGRATIONS
NEW_COLUMNS = (
    "session_frequency",
    "is_recurring",
    "recurring_pattern",
    "package_duration",
    "grade_level",
)
LEGACY_TABLES = (
    "users",
    "tutor_profiles",
    "student_profiles",
    "tutor_student_enrollments",
    "tutoring_sessions",
    "tutor_teaching_schedules",
)


def add_bulk_sessions(url: str, count: int) -> None:
    """``count`` more tutoring_sessions rows, set-based (seconds, not minutes).

    Foreign-key triggers are skipped (session_replication_role) for speed; every
    key written points at an existing tutor and student anyway.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            """
            INSERT INTO tutoring_sessions (tutor_id, student_id, subject, topic, session_date,
                                           start_time, duration, status, amount)
            SELECT 1 + g %% (SELECT count(*) FROM tutor_profiles),
                   1 + g %% (SELECT count(*) FROM student_profiles),
                   (ARRAY['Mathematics', 'Physics', 'English'])[1 + g %% 3],
                   md5(g::text),
                   DATE '2024-01-01' + g %% 500,
                   TIME '08:00' + (g %% 20) * INTERVAL '30 minutes',
                   60, (ARRAY['scheduled', 'completed', 'missed'])[1 + g %% 3],
                   (g %% 900)::float / 7
            FROM generate_series(1, %s) AS g
            """,
            (count,),
        )
        conn.execute("ANALYZE tutoring_sessions")


def figure(name: str, value: object) -> None:
    """A measured figure for docs/reliability.md: shown by ``pytest -s`` or ``-rA``."""
    print(f"FIGURE {name}: {value}")


def kill(proc: Any) -> Result:
    """SIGKILL: no handler, no cleanup, no goodbye to the server."""
    proc.kill()
    return finish(proc, timeout=30)


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def scalar(url: str, query: str | sql.Composable, params: Sequence[Any] = ()) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def waiting_backend(
    url: str, purpose: str = "migrate", *, polling_counts: bool = True
) -> int | None:
    """pid of an astegni-db backend blocked on a lock, or polling for the migration lock
    (lock.acquire polls pg_try_advisory_lock: between polls its backend is idle).

    ``polling_counts=False``: only a backend queued on a table lock. The last query
    of a backend that has just won the migration lock still reads as the poll."""
    polling = " OR query LIKE 'SELECT pg_try_advisory_lock%%'" if polling_counts else ""
    pid = scalar(
        url,
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        " AND datname = current_database()"
        f" AND (wait_event_type = 'Lock'{polling})"
        " LIMIT 1",
        (f"astegni-db {purpose}",),
    )
    return int(pid) if pid is not None else None


def advisory_locks(url: str) -> int:
    """Advisory locks held in this database by astegni-db sessions."""
    return int(
        scalar(
            url,
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND a.application_name LIKE 'astegni-db%%'"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
    )


def backend_alive(url: str, pid: int) -> bool:
    return bool(scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)))


def astegni_backends(url: str) -> int:
    return int(
        scalar(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'astegni-db%%'"
            " AND datname = current_database()",
        )
    )


def columns(url: str, table: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
    return dict(rows)


def column_defaults(url: str, table: str) -> dict[str, str | None]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
            (table,),
        ).fetchall()
    return dict(rows)


Fingerprint = dict[str, tuple[tuple[str, ...], int, str]]


def fingerprint(
    url: str, tables: Sequence[str] = LEGACY_TABLES, like: Fingerprint | None = None
) -> Fingerprint:
    """Per table: the columns read, the row count and a sum of per-row md5s.

    A row's md5 covers every value including its id, so a lost, added or changed
    value changes the sum (a sum, unlike one md5 over all rows in order, needs
    no 60 MB string: 3x faster on 300k rows). With ``like``, the columns of that
    earlier fingerprint are read, so a fingerprint taken after a migration that
    added columns compares exactly the values that existed before it.
    """
    result: Fingerprint = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            cols = like[table][0] if like else tuple(columns(url, table))
            row_text = sql.SQL("ROW({})::text").format(
                sql.SQL(", ").join(map(sql.Identifier, cols))
            )
            query = sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || left(md5({}), 16))::bit(64)::bigint), 0)"
                " FROM {}"
            ).format(row_text, sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            result[table] = (cols, int(row[0]), str(row[1]))
    return result


def assert_nothing_lost(url: str, before: Fingerprint) -> None:
    after = fingerprint(url, like=before)
    for table, (_, count, digest) in before.items():
        assert after[table][1:] == (count, digest), f"{table}: rows or values changed"


def applied_ids(url: str) -> list[str]:
    if scalar(url, "SELECT to_regclass('_yoyo_migration')") is None:
        return []
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def apply_log(url: str) -> list[tuple[str, str]]:
    if scalar(url, "SELECT to_regclass('_yoyo_log')") is None:
        return []
    with psycopg.connect(url) as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                "SELECT migration_id, operation FROM _yoyo_log ORDER BY created_at_utc"
            ).fetchall()
        ]


def checksummed_ids(url: str) -> list[str]:
    if scalar(url, "SELECT to_regclass('_astegni_db_checksum')") is None:
        return []
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT migration_id FROM _astegni_db_checksum ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def assert_fully_migrated(url: str) -> None:
    """Every migration applied exactly once, recorded three ways, and the schema to match."""
    assert applied_ids(url) == list(MIGRATION_IDS)
    assert checksummed_ids(url) == list(MIGRATION_IDS)
    assert sorted(apply_log(url)) == [(m, "apply") for m in MIGRATION_IDS]
    cols = columns(url, "tutoring_sessions")
    assert cols["session_frequency"] == "character varying(50)"
    assert cols["is_recurring"] == "boolean"
    assert cols["recurring_pattern"] == "json"
    assert cols["package_duration"] == "integer"
    assert cols["grade_level"] == "character varying(50)"
    defaults = column_defaults(url, "tutoring_sessions")
    assert all(defaults[c] is None for c in NEW_COLUMNS), defaults
    for table in LEGACY_TABLES:
        assert scalar(url, "SELECT to_regclass(%s)", (table,)) is not None, table
    # Nothing of ours is left running or holding the migration lock.
    assert advisory_locks(url) == 0
    assert scalar(url, "SELECT count(*) FROM yoyo_lock") == 0
