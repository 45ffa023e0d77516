"""Every database state Astegni runs in converges to the same schema, losing nothing.

For a fresh database and each legacy state of astegni-schema.md (built with
rows by tests/legacy_states.py) we run the real migrate and check:

(a) tutoring_sessions and tutor_teaching_schedules end up shaped exactly like
    the fresh result. Compared on a catalog description that ignores only
    what may legitimately differ: column order (attnum: ADD COLUMN appends,
    and legacy tables may have dropped columns) and the *names* of
    constraints and indexes (a legacy script, not the baseline, may have
    created and named them). pg_dump's text is compared too: word for word
    for the five new columns, and for the whole of both tables up to those
    names (and pg_dump's random per-run \\restrict key);
(b) no row and no value is lost or changed, including legacy values outside
    the documented sets and legacy backfills;
(c) a second migrate, and a re-run of the raw SQL (a crash after the DDL
    but before bookkeeping), change nothing;
(d) rollback empties a fresh database of our objects and re-applies; on
    legacy data it refuses and changes nothing;
(e) 0002 and 0004 never scan or rewrite tutoring_sessions, 0002 refuses a
    column of the wrong type by name, and 0004 takes no lock at all where
    nothing differs from the spec (every state but the ORM's).

The ORM's state (create_all) keeps one index the fresh shape lacks,
ix_tutoring_sessions_id (EXTRA_INDEXES): its models declare it.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlparse
from psycopg import sql
from yoyo.migrations import read_sql_migration

from astegni_db import api
from astegni_db.disposable.databases import temporary_database
from astegni_db.errors import MigrationFailed
from astegni_db.settings import dbname_of
from tests.helpers import (
    BASELINE,
    PROJECT_MIGRATIONS,
    SCHEDULE_FIELDS,
    SERVER_DEFAULTS,
    SESSIONS_INDEX,
    copy_migrations,
    pg_dump_for,
    run_cli,
)
from tests.legacy_states import (
    ALL_STATES,
    EXTRA_INDEXES,
    LEGACY_STATES,
    NEW_COLUMNS,
    add_bulk_sessions,
    build_post_adoption_cleanup,
    build_state_1,
    build_state_4,
    build_state_orm,
    build_wrong_type_state,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SHAPED_TABLES = ("tutoring_sessions", "tutor_teaching_schedules")
OUR_TABLES = (
    "users",
    "tutor_profiles",
    "student_profiles",
    "tutor_student_enrollments",
    "tutoring_sessions",
    "tutor_teaching_schedules",
)
# Bookkeeping the migrate engine and yoyo keep next to the schema; not ours to compare.
BOOKKEEPING = re.compile(r"^(_yoyo_|yoyo_lock|_astegni_db_)")  # tables and their indexes


# --- running migrations ---------------------------------------------------------


def migrate(url: str) -> api.MigrateReport:
    return api.migrate(url, MIGRATIONS_DIR)


def rollback_all(url: str) -> api.RollbackReport:
    return api.rollback(url, MIGRATIONS_DIR, api.RollbackSelection(all=True))


def applied_ids(url: str) -> list[str]:
    plan = api.status(url, MIGRATIONS_DIR).plan
    return sorted(e.id for e in plan.entries if e.applied_at is not None)


def migration_statements(name: str) -> list[str]:
    """The statements yoyo runs for a migration file, split exactly as yoyo splits them."""
    _, _, statements = read_sql_migration(str(MIGRATIONS_DIR / name))
    return [str(s) for s in statements]


# --- what we compare --------------------------------------------------------------

_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum),
       a.attidentity, a.attgenerated, coll.collname
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation coll ON coll.oid = a.attcollation
WHERE a.attrelid = %(rel)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""
_CONSTRAINTS = """
SELECT contype, pg_get_constraintdef(oid, true), convalidated, condeferrable
FROM pg_constraint WHERE conrelid = %(rel)s::regclass
"""
_INDEXES = """
SELECT pg_get_indexdef(indexrelid), indisprimary, indisunique, indisvalid
FROM pg_index WHERE indrelid = %(rel)s::regclass
"""
_TABLE = """
SELECT relkind, relpersistence, reloptions, obj_description(oid, 'pg_class'),
       (SELECT array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname)
          FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
FROM pg_class c WHERE oid = %(rel)s::regclass
"""
_INDEX_NAME = re.compile(r'^CREATE (UNIQUE )?INDEX ("(?:[^"]|"")+"|\S+) ON ')
# 0003's index as describe() sees it: (definition less its name, primary, unique, valid).
SESSIONS_INDEX_ROW = (
    "CREATE INDEX ON public.tutoring_sessions USING btree "
    "(tutor_id, session_date DESC, start_time DESC)",
    False,
    False,
    True,
)


def describe(url: str) -> dict[str, Any]:
    """An order- and name-independent description of the two tables the app reads."""
    out: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        for table in SHAPED_TABLES:
            params = {"rel": table}
            columns = {row[0]: row[1:] for row in conn.execute(_COLUMNS, params)}
            constraints = sorted(conn.execute(_CONSTRAINTS, params).fetchall())
            indexes = sorted(
                (_INDEX_NAME.sub(r"CREATE \1INDEX ON ", row[0]), *row[1:])
                for row in conn.execute(_INDEXES, params)
            )
            out[table] = {
                "table": conn.execute(_TABLE, params).fetchone(),
                "columns": columns,
                "constraints": constraints,
                "indexes": indexes,
            }
    return out


def expected_shape(name: str, fresh: dict[str, Any]) -> dict[str, Any]:
    """The fresh shape, plus the indexes state ``name`` keeps of its own (EXTRA_INDEXES)."""
    extra = [
        (_INDEX_NAME.sub(r"CREATE \1INDEX ON ", definition), False, False, True)
        for definition in EXTRA_INDEXES.get(name, {}).values()
    ]
    sessions = fresh["describe"]["tutoring_sessions"]
    indexes = sorted([*sessions["indexes"], *extra])
    return {**fresh["describe"], "tutoring_sessions": {**sessions, "indexes": indexes}}


def without_sessions_index(shape: dict[str, Any]) -> dict[str, Any]:
    """``shape`` as it is once 0003 is rolled back: the same, less 0003's index."""
    sessions = shape["tutoring_sessions"]
    assert SESSIONS_INDEX_ROW in sessions["indexes"]
    indexes = [i for i in sessions["indexes"] if i != SESSIONS_INDEX_ROW]
    return {**shape, "tutoring_sessions": {**sessions, "indexes": indexes}}


def user_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
        " AND relkind IN ('r', 'p') ORDER BY relname"
    ).fetchall()
    return [r[0] for r in rows if not BOOKKEEPING.match(r[0])]


def snapshot(url: str) -> dict[str, Any]:
    """Every value of every row of every table, as PostgreSQL's own text output.

    Text output is exact (json keeps its spacing, floats print shortest-exact),
    so equal text means equal values.
    """
    out: dict[str, Any] = {"tables": {}, "sequences": {}}
    with psycopg.connect(url) as conn:
        for table in user_tables(conn):
            columns = [
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (table,),
                )
            ]
            query = sql.SQL("SELECT id::text, {} FROM {} ORDER BY id").format(
                sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
                sql.Identifier(table),
            )
            rows = {r[0]: dict(zip(columns, r[1:], strict=True)) for r in conn.execute(query)}
            out["tables"][table] = {"columns": columns, "rows": rows}
        for (seq,) in conn.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S'"
            " AND relnamespace = current_schema()::regnamespace AND relname !~ '^_yoyo_'"
        ).fetchall():
            out["sequences"][seq] = conn.execute(
                sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(seq))
            ).fetchone()
    return out


def assert_no_row_lost(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every table, row and pre-existing value of ``before`` is in ``after``, unchanged."""
    assert after["sequences"] == before["sequences"]
    for table, old in before["tables"].items():
        assert table in after["tables"], f"table {table} is gone"
        new = after["tables"][table]
        assert new["rows"].keys() == old["rows"].keys(), f"{table}: rows added or lost"
        for row_id, old_row in old["rows"].items():
            new_row = new["rows"][row_id]
            changed = {
                c: (v, new_row.get(c, "<column gone>"))
                for c, v in old_row.items()
                if new_row.get(c, "<column gone>") != v
            }
            assert not changed, f"{table} id={row_id}: values changed {changed}"


# --- pg_dump ------------------------------------------------------------------------


def schema_dump(pg_dump: str, url: str) -> str:
    return subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "-d", url]
        + ["-t", "tutoring_sessions", "-t", "tutor_teaching_schedules"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def new_column_lines(dump: str) -> list[str]:
    """pg_dump's text about the five columns of tutoring_sessions, order-independent."""
    lines: list[str] = []
    for statement in dump.split(";\n"):
        body = "\n".join(ln for ln in statement.splitlines() if not ln.startswith("--")).strip()
        if not re.search(r"\btutoring_sessions\b", body):
            continue
        if body.startswith("CREATE TABLE"):
            for line in body.splitlines()[1:]:
                name = line.strip().split(" ", 1)[0]
                if name in NEW_COLUMNS:
                    lines.append(line.strip().rstrip(","))
        elif any(re.search(rf"\b{c}\b", body) for c in NEW_COLUMNS):
            lines.append(body)
    return sorted(lines)


_DUMP_NAMES = (
    (re.compile(r"CONSTRAINT \S+ "), "CONSTRAINT <name> "),
    (re.compile(r"INDEX \S+ ON "), "INDEX <name> ON "),
    (
        re.compile(r"^-- Name: [^;]+; Type: (CONSTRAINT|INDEX|FK CONSTRAINT);"),
        r"-- Name: <name>; Type: \1;",
    ),
)


def normalised_dump(dump: str) -> list[str]:
    """The whole dump, less what may legitimately differ between a legacy and a fresh
    database: constraint and index names (a legacy script chose them), the order those
    names impose on lines, and pg_dump's per-run \\restrict key."""
    lines = []
    for line in dump.splitlines():
        if not line.strip() or line.startswith(("\\restrict ", "\\unrestrict ")):
            continue
        for pattern, replacement in _DUMP_NAMES:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip(","))
    return sorted(lines)


def extra_index_dump_lines(index: str) -> list[str]:
    """normalised_dump()'s lines for one index that only some states have."""
    definition = next(d for x in EXTRA_INDEXES.values() for n, d in x.items() if n == index)
    return normalised_dump(
        f"--\n-- Name: {index}; Type: INDEX; Schema: public; Owner: -\n--\n\n{definition};\n"
    )


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(disposable_databases: Any) -> Iterator[dict[str, Any]]:
    """What migrate makes of an empty database: the shape every state must reach."""
    with disposable_databases.empty() as url:
        migrate(url)
        pg_dump = pg_dump_for(url)
        yield {"describe": describe(url), "pg_dump": pg_dump, "dump": schema_dump(pg_dump, url)}


@pytest.fixture(scope="module")
def state_template(disposable_databases: Any) -> Iterator[Callable[[str], str]]:
    """Each state is built once per module; tests get clones (CREATE DATABASE ... TEMPLATE)."""
    server = disposable_databases.server
    built: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def template(state_name: str) -> str:
            if state_name not in built:
                url = stack.enter_context(temporary_database(server, purpose="state"))
                ALL_STATES[state_name](url)
                built[state_name] = dbname_of(url)
            return built[state_name]

        yield template


def _clone_of(
    request: pytest.FixtureRequest, disposable_databases: Any, template: Callable[[str], str]
) -> Iterator[tuple[str, str]]:
    name = request.param
    with temporary_database(
        disposable_databases.server, template=template(name), purpose="clone"
    ) as url:
        yield name, url


@pytest.fixture(params=sorted(ALL_STATES))
def state(
    request: pytest.FixtureRequest,
    disposable_databases: Any,
    state_template: Callable[[str], str],
) -> Iterator[tuple[str, str]]:
    """(state name, URL of a fresh copy of a database in that state)."""
    yield from _clone_of(request, disposable_databases, state_template)


@pytest.fixture(params=sorted(LEGACY_STATES))
def legacy_state(
    request: pytest.FixtureRequest,
    disposable_databases: Any,
    state_template: Callable[[str], str],
) -> Iterator[tuple[str, str]]:
    yield from _clone_of(request, disposable_databases, state_template)


# --- (a) shape ----------------------------------------------------------------------


def test_project_migrations_are_these() -> None:
    """tests/helpers.PROJECT_MIGRATIONS is every migration in migrations/, in order."""
    found = sorted(p.name.removesuffix(".sql") for p in MIGRATIONS_DIR.glob("*.sql"))
    assert [f for f in found if not f.endswith(".rollback")] == list(PROJECT_MIGRATIONS)
    assert [f for f in found if f.endswith(".rollback")] == [
        f"{m}.rollback" for m in PROJECT_MIGRATIONS
    ]


def test_every_state_converges_to_the_fresh_shape(
    state: tuple[str, str], fresh: dict[str, Any]
) -> None:
    name, url = state
    result = migrate(url)
    assert [s.migration_id for s in result.applied] == list(PROJECT_MIGRATIONS)
    assert describe(url) == expected_shape(name, fresh), name


def test_the_orm_state_is_what_create_all_made(empty_db_url: str, fresh: dict[str, Any]) -> None:
    """The ORM's state differs from the spec exactly where astegni-legacy-states.md
    section 1 says: no server defaults, two NOT NULLs, one more index."""
    build_state_orm(empty_db_url)
    before = describe(empty_db_url)["tutoring_sessions"]
    with psycopg.connect(empty_db_url) as conn:
        statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM tutoring_sessions")}
    spec = fresh["describe"]["tutoring_sessions"]
    differing = {
        column: (found[1:3], spec["columns"][column][1:3])
        for column, found in before["columns"].items()
        if found[1:3] != spec["columns"][column][1:3]  # (not null, default)
    }
    assert differing == {
        "tutor_id": ((True, None), (False, None)),
        "student_id": ((True, None), (False, None)),
        "duration": ((False, None), (False, "60")),
        "mode": ((False, None), (False, "'online'::character varying")),
        "topics_covered": ((False, None), (False, "'[]'::json")),
        "materials_used": ((False, None), (False, "'[]'::json")),
        "status": ((False, None), (False, "'scheduled'::character varying")),
        "payment_status": ((False, None), (False, "'pending'::character varying")),
        "created_at": ((False, None), (False, "CURRENT_TIMESTAMP")),
        "updated_at": ((False, None), (False, "CURRENT_TIMESTAMP")),
    }
    assert {c: v[0] for c, v in before["columns"].items()} == {
        c: v[0] for c, v in spec["columns"].items()
    }  # every type as the spec's
    assert all(before["columns"][c][3] is None for c in NEW_COLUMNS)  # no comments
    assert before["constraints"] == spec["constraints"]
    assert before["indexes"] == [
        ("CREATE INDEX ON public.tutoring_sessions USING btree (id)", False, False, True),
        ("CREATE UNIQUE INDEX ON public.tutoring_sessions USING btree (id)", True, True, True),
    ]
    assert "missed" in statuses


def test_fresh_shape_is_the_spec(fresh: dict[str, Any]) -> None:
    """The reference itself: the five columns nullable, default-free, commented."""
    columns = fresh["describe"]["tutoring_sessions"]["columns"]
    expected_types = {
        "session_frequency": "character varying(50)",
        "is_recurring": "boolean",
        "recurring_pattern": "json",
        "package_duration": "integer",
        "grade_level": "character varying(50)",
    }
    for column, type_name in expected_types.items():
        found_type, not_null, default, comment, *_ = columns[column]
        assert (found_type, not_null, default) == (type_name, False, None), column
        assert comment and "Frequency of the session" not in comment, column
    schedules = fresh["describe"]["tutor_teaching_schedules"]
    assert [c[1] for c in schedules["constraints"] if c[0] == "c"] == [
        "CHECK (schedule_type::text = ANY (ARRAY['recurring'::character varying, "
        "'specific'::character varying]::text[]))",
        "CHECK (status::text = ANY (ARRAY['active'::character varying, "
        "'draft'::character varying]::text[]))",
    ]
    assert "FOREIGN KEY (tutor_id) REFERENCES users(id) ON DELETE CASCADE" in [
        c[1] for c in schedules["constraints"]
    ]
    assert [i[0] for i in schedules["indexes"]] == [
        "CREATE INDEX ON public.tutor_teaching_schedules USING btree (created_at DESC)",
        "CREATE INDEX ON public.tutor_teaching_schedules USING btree (status)",
        "CREATE INDEX ON public.tutor_teaching_schedules USING btree (tutor_id)",
        "CREATE UNIQUE INDEX ON public.tutor_teaching_schedules USING btree (id)",
    ]
    # 0003's index, built valid: every state must reach it too.
    assert fresh["describe"]["tutoring_sessions"]["indexes"] == [
        SESSIONS_INDEX_ROW,
        ("CREATE UNIQUE INDEX ON public.tutoring_sessions USING btree (id)", True, True, True),
    ]


def test_pg_dump_matches_fresh(legacy_state: tuple[str, str], fresh: dict[str, Any]) -> None:
    name, url = legacy_state
    migrate(url)
    dump = schema_dump(fresh["pg_dump"], url)
    # The five columns: word for word, names and all.
    expected = new_column_lines(fresh["dump"])
    assert len(expected) == 2 * len(NEW_COLUMNS)  # a definition and a comment each
    assert new_column_lines(dump) == expected, name
    # Everything else about the two tables, up to constraint and index names, and
    # less the indexes this state keeps of its own.
    found, wanted = Counter(normalised_dump(dump)), Counter(normalised_dump(fresh["dump"]))
    extra = Counter(
        line for index in EXTRA_INDEXES.get(name, {}) for line in extra_index_dump_lines(index)
    )
    assert wanted - found == Counter(), name
    assert found - wanted == extra, name


# --- (b) data ------------------------------------------------------------------------


def test_no_row_or_value_is_lost(legacy_state: tuple[str, str]) -> None:
    name, url = legacy_state
    before = snapshot(url)
    migrate(url)
    after = snapshot(url)
    assert_no_row_lost(before, after)
    # Nothing was backfilled by us: columns 0002 added are NULL in every old row.
    old_sessions = before["tables"]["tutoring_sessions"]
    added = [c for c in NEW_COLUMNS if c not in old_sessions["columns"]]
    new_rows = after["tables"]["tutoring_sessions"]["rows"]
    for row_id in old_sessions["rows"]:
        assert all(new_rows[row_id][c] is None for c in added), (name, row_id)


@pytest.mark.parametrize(
    "builder",
    [LEGACY_STATES["state3_psql_backfill_comments"], build_state_4],
    ids=["state3", "state4"],
)
def test_out_of_set_values_and_legacy_defaults_are_kept(
    builder: Callable[[str], None], empty_db_url: str
) -> None:
    builder(empty_db_url)
    query = (
        "SELECT session_frequency, is_recurring, count(*) FROM tutoring_sessions"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    )
    with psycopg.connect(empty_db_url) as conn:
        before = conn.execute(query).fetchall()
        missed_before = conn.execute(
            "SELECT count(*) FROM tutoring_sessions WHERE status = 'missed'"
        ).fetchone()
    frequencies = {r[0] for r in before}
    assert {"Weekly", "One-time", "one-time"} <= frequencies  # the data is what we claim
    migrate(empty_db_url)
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute(query).fetchall() == before
        assert (
            conn.execute(
                "SELECT count(*) FROM tutoring_sessions WHERE status = 'missed'"
            ).fetchone()
            == missed_before
        )
        # The legacy backfill/default reached the 200 rows written before the script.
        assert conn.execute(
            "SELECT count(*) FROM tutoring_sessions WHERE id <= 200"
            " AND session_frequency = 'one-time' AND is_recurring = false"
        ).fetchone() == (200,)


# --- (c) idempotence -----------------------------------------------------------------


def test_second_migrate_changes_nothing(state: tuple[str, str]) -> None:
    name, url = state
    migrate(url)
    shape, data = describe(url), snapshot(url)
    result = migrate(url)
    assert result.applied == [], name
    assert describe(url) == shape
    assert snapshot(url) == data


def test_rerunning_the_sql_unrecorded_changes_nothing(state: tuple[str, str]) -> None:
    """A crash between DDL and bookkeeping re-runs the SQL on a migrated schema."""
    name, url = state
    migrate(url)
    shape, data = describe(url), snapshot(url)
    with psycopg.connect(url) as conn:  # one transaction, like a migration
        for file in (f"{BASELINE}.sql", f"{SCHEDULE_FIELDS}.sql"):
            for statement in migration_statements(file):
                conn.execute(statement)
    with psycopg.connect(url, autocommit=True) as conn:  # transactional: false
        for statement in migration_statements(f"{SESSIONS_INDEX}.sql"):
            conn.execute(statement)
    with psycopg.connect(url) as conn:
        for statement in migration_statements(f"{SERVER_DEFAULTS}.sql"):
            conn.execute(statement)
    assert describe(url) == shape, name
    assert snapshot(url) == data


# --- (d) rollback ---------------------------------------------------------------------


def our_relations(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " ORDER BY relname"
        ).fetchall()
    return [r[0] for r in rows if not BOOKKEEPING.match(r[0])]


def test_rollback_of_a_fresh_database_removes_everything_and_reapplies(
    empty_db_url: str, fresh: dict[str, Any]
) -> None:
    migrate(empty_db_url)
    assert set(OUR_TABLES) <= set(our_relations(empty_db_url))
    done = rollback_all(empty_db_url)
    assert [s.migration_id for s in done.rolled_back] == list(reversed(PROJECT_MIGRATIONS))
    assert our_relations(empty_db_url) == []  # tables, sequences and indexes all gone
    assert applied_ids(empty_db_url) == []
    migrate(empty_db_url)
    assert describe(empty_db_url) == fresh["describe"]
    assert applied_ids(empty_db_url) == list(PROJECT_MIGRATIONS)


def test_rollback_on_legacy_data_refuses_and_changes_nothing(
    legacy_state: tuple[str, str],
) -> None:
    name, url = legacy_state
    data_before_migrate = snapshot(url)
    migrate(url)
    shape, data = describe(url), snapshot(url)
    with pytest.raises(MigrationFailed) as failure:
        rollback_all(url)
    message = failure.value.message
    # Rollbacks go newest first, each a unit of its own: 0004's (it does nothing)
    # and 0003's (its index holds no data) always go through before an older
    # rollback refuses.
    if name == "state1_no_columns":
        # 0002's columns hold nothing (0002 added them), so they may go; the
        # legacy tables hold rows, so 0001 refuses and keeps them.
        assert "refusing to roll back 0001_baseline" in message
        assert all(t in message for t in OUR_TABLES), message
        assert applied_ids(url) == [BASELINE]
        after = describe(url)
        assert not set(NEW_COLUMNS) & after["tutoring_sessions"]["columns"].keys()
        assert after["tutor_teaching_schedules"] == shape["tutor_teaching_schedules"]
        assert_no_row_lost(data_before_migrate, snapshot(url))
    else:
        assert "refusing to roll back 0002_tutoring_sessions_schedule_fields" in message
        assert "session_frequency (" in message and "rows)" in message, message
        assert applied_ids(url) == [BASELINE, SCHEDULE_FIELDS]
        assert describe(url) == without_sessions_index(shape)
        assert snapshot(url) == data


def test_rollback_of_0002_needs_the_columns_empty(migrated_db_url: str) -> None:
    url = migrated_db_url
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users DEFAULT VALUES")
        conn.execute("INSERT INTO tutor_profiles (user_id) VALUES (1)")
        conn.execute(
            "INSERT INTO tutoring_sessions (tutor_id, subject, session_date, start_time,"
            " grade_level) SELECT 1, 'Physics', DATE '2025-01-06', TIME '10:00', g"
            " FROM unnest(ARRAY['Grade 9', NULL, 'Grade 11']) AS g"
        )
    # Rolling back 0002 means rolling back 0004 and 0003 first (newest first): they go through.
    with pytest.raises(MigrationFailed, match=r"grade_level \(2 rows\); 2 row\(s\)"):
        api.rollback(url, MIGRATIONS_DIR, api.RollbackSelection(to=BASELINE))
    assert applied_ids(url) == [BASELINE, SCHEDULE_FIELDS]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(grade_level) FROM tutoring_sessions").fetchone() == (2,)
        conn.execute("UPDATE tutoring_sessions SET grade_level = NULL")
    api.rollback(url, MIGRATIONS_DIR, api.RollbackSelection(to=BASELINE))
    assert applied_ids(url) == [BASELINE]
    assert not set(NEW_COLUMNS) & describe(url)["tutoring_sessions"]["columns"].keys()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM tutoring_sessions").fetchone() == (3,)


def test_rollback_of_0001_names_tables_that_reference_ours(migrated_db_url: str) -> None:
    url = migrated_db_url
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE refresh_tokens (id serial PRIMARY KEY,"
            " user_id integer REFERENCES users (id))"
        )
    with pytest.raises(
        MigrationFailed, match=r"refresh_tokens \(constraint refresh_tokens_user_id_fkey\)"
    ):
        rollback_all(url)
    assert applied_ids(url) == [BASELINE]
    assert set(OUR_TABLES) <= set(our_relations(url))


def test_rollback_files_are_idempotent(migrated_db_url: str) -> None:
    """Re-running a rollback on an already rolled-back schema is a no-op, not an error."""
    url = migrated_db_url
    rollback_all(url)
    with psycopg.connect(url) as conn:
        for statement in migration_statements(f"{SERVER_DEFAULTS}.rollback.sql"):
            conn.execute(statement)
    with psycopg.connect(url, autocommit=True) as conn:  # transactional: false
        for statement in migration_statements(f"{SESSIONS_INDEX}.rollback.sql"):
            conn.execute(statement)
    with psycopg.connect(url) as conn:
        for file in (f"{SCHEDULE_FIELDS}.rollback.sql", f"{BASELINE}.rollback.sql"):
            for statement in migration_statements(file):
                conn.execute(statement)
    assert our_relations(url) == []


def test_rollback_all_then_migrate_returns_every_state_to_the_spec(
    state: tuple[str, str], fresh: dict[str, Any]
) -> None:
    """Whatever part of `rollback --all` goes through (all of it on a fresh database;
    down to a rollback that refuses to lose data on a legacy one), migrate brings
    the database back to the same shape, with every row."""
    name, url = state
    migrate(url)
    shape, data = describe(url), snapshot(url)
    with contextlib.suppress(MigrationFailed):
        rollback_all(url)
    assert applied_ids(url) != list(PROJECT_MIGRATIONS), name  # something was rolled back
    again = migrate(url)
    assert again.applied, name
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)
    assert describe(url) == shape, name
    assert snapshot(url) == data, name


def test_rollback_all_then_migrate_after_the_cleanup_script(
    empty_db_url: str, tmp_path: Path
) -> None:
    """astegni-legacy-states.md section 2: after cleanup_schedule_tables.py renamed
    tutoring_sessions to tutor_sessions on an adopted database, `rollback --all` then
    `migrate` fails with "tutoring_sessions not found ... 0001_baseline creates it"
    although 0001 shows as applied. Today's behaviour, exactly:

    - 0004's and 0003's rollbacks go through; 0003's drops its index by name, and the
      index moved with the renamed table, so tutor_sessions loses it;
    - 0002's finds no tutoring_sessions and returns: recorded as rolled back, while
      its five columns and their values stay on tutor_sessions;
    - 0001's refuses (users and the profiles hold rows), so 0001 stays applied;
    - migrate then runs 0002, whose guard names 0001 as the cure (0001 is applied);
      its hint names tutor_sessions and the rename that brings it back.
    """
    url = empty_db_url
    build_post_adoption_cleanup(url)
    sessions_before = snapshot(url)["tables"]["tutor_sessions"]
    status = run_cli("status", "--check", "--database-url", url)
    assert status.code == 0, status.output  # "all applied": the rename goes unseen

    rollback = run_cli("rollback", "--all", "--yes", "--database-url", url)
    assert rollback.code == 1, rollback.output
    assert (
        "error: rollback of 0001_baseline failed: [55006] refusing to roll back 0001_baseline:"
        " table(s) student_profiles, tutor_profiles, users still hold rows, and dropping them"
        " would lose data -- rolled back; nothing was changed"
    ) in rollback.stderr.splitlines(), rollback.output
    for migration in (SERVER_DEFAULTS, SESSIONS_INDEX, SCHEDULE_FIELDS):
        assert f"{migration} rolled back in " in rollback.stderr, rollback.output
    assert applied_ids(url) == [BASELINE]
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index"
            " WHERE indrelid = 'tutor_sessions'::regclass ORDER BY 1"
        ).fetchall()
    assert indexes == [("tutoring_sessions_pkey",)]  # 0003's index went with its rollback
    assert snapshot(url)["tables"]["tutor_sessions"] == sessions_before  # columns and values

    again = run_cli("migrate", "--database-url", url)
    assert again.code == 1, again.output
    assert (
        f"error: apply of {SCHEDULE_FIELDS} failed: [42P01] tutoring_sessions not found on"
        ' search_path ("$user", public): 0001_baseline creates it -- rolled back;'
        " nothing was changed"
    ) in again.stderr.splitlines(), again.output
    # ... and says where the rows went, and the way back.
    assert (
        "hint: tutoring_sessions is missing and tutor_sessions has its columns and 320 rows:"
        " renamed after adoption? Rename it back (ALTER TABLE tutor_sessions RENAME TO"
        " tutoring_sessions: catalog-only, every row kept), then migrate again; with nothing"
        " pending, `astegni-db plan` writes that rename as a migration"
    ) in again.stderr.splitlines(), again.output
    assert applied_ids(url) == [BASELINE]
    with pytest.raises(MigrationFailed, match=r"tutoring_sessions not found on search_path"):
        migrate(url)

    # Following the hint converges: the rename, migrate, then plan for the two
    # tables the script dropped, then migrate; every session row is kept.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE tutor_sessions RENAME TO tutoring_sessions")
    assert run_cli("migrate", "--database-url", url).code == 0
    migrations = copy_migrations(tmp_path / "migrations")
    planned = run_cli("plan", "--yes", "--database-url", url, "--migrations-dir", str(migrations))
    assert planned.code == 6, planned.output  # the enrollments the key points at are gone
    assert "clean the rows, then validate" in planned.stdout
    assert run_cli("migrate", "--database-url", url, "--migrations-dir", str(migrations)).code == 0
    assert run_cli("verify", "--database-url", url).code == 0
    after = snapshot(url)["tables"]["tutoring_sessions"]
    assert after["rows"] == sessions_before["rows"]


# --- (e) lock safety ---------------------------------------------------------------


def relfilenode(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    "builder", [build_state_1, build_state_4], ids=["state1_no_columns", "state4_defaults"]
)
def test_0002_never_rewrites_a_big_table(builder: Callable[[str], None], empty_db_url: str) -> None:
    builder(empty_db_url)
    add_bulk_sessions(empty_db_url, 100_000)
    before = relfilenode(empty_db_url, "tutoring_sessions")
    migrate(empty_db_url)
    assert relfilenode(empty_db_url, "tutoring_sessions") == before


_SCANS = (
    "SELECT pg_stat_get_xact_numscans(%(rel)s::regclass),"
    " pg_stat_get_xact_tuples_returned(%(rel)s::regclass)"
)
_HOLDS_ACCESS_EXCLUSIVE = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = pg_backend_pid()"
    " AND relation = %(rel)s::regclass AND mode = 'AccessExclusiveLock' AND granted)"
)


@pytest.mark.parametrize(
    "builder", [build_state_1, build_state_4], ids=["state1_no_columns", "state4_defaults"]
)
def test_0002_statements_never_scan_tutoring_sessions(
    builder: Callable[[str], None], empty_db_url: str
) -> None:
    """Run 0002 statement by statement in one transaction and read this
    transaction's own table-access counters: no scan, no row read, while the
    ACCESS EXCLUSIVE lock is held. A negative control proves the counters see
    the kind of scan we forbid (an inline CHECK)."""
    builder(empty_db_url)
    add_bulk_sessions(empty_db_url, 20_000)
    rel = {"rel": "tutoring_sessions"}
    with psycopg.connect(empty_db_url) as conn:
        node_before = conn.execute(
            "SELECT relfilenode FROM pg_class WHERE oid = %(rel)s::regclass", rel
        ).fetchone()
        with conn.transaction(force_rollback=True):
            for statement in migration_statements(f"{SCHEDULE_FIELDS}.sql"):
                conn.execute(statement)
            assert conn.execute(_HOLDS_ACCESS_EXCLUSIVE, rel).fetchone() == (True,)
            assert conn.execute(_SCANS, rel).fetchone() == (0, 0)
            assert (
                conn.execute(
                    "SELECT relfilenode FROM pg_class WHERE oid = %(rel)s::regclass", rel
                ).fetchone()
                == node_before
            )
            conn.execute("ALTER TABLE tutoring_sessions ADD COLUMN probe int CHECK (probe > 0)")
            scans, tuples = conn.execute(_SCANS, rel).fetchone()  # type: ignore[misc]
            assert scans >= 1 and tuples >= 20_000, "the scan detector does not detect scans"


def migrated_through_0003(url: str, tmp_path: Path) -> None:
    """Every project migration before 0004 applied (from a copy of the files)."""
    api.migrate(url, copy_migrations(tmp_path / "upto-0003", upto=SESSIONS_INDEX))
    assert applied_ids(url) == [BASELINE, SCHEDULE_FIELDS, SESSIONS_INDEX]


_LOCKS_ON = (
    "SELECT array_agg(mode ORDER BY mode) FROM pg_locks"
    " WHERE pid = pg_backend_pid() AND relation = %(rel)s::regclass"
)
_CATALOG_XMINS = """
SELECT (SELECT xmin::text FROM pg_class WHERE oid = %(rel)s::regclass),
       (SELECT array_agg(xmin::text ORDER BY attnum) FROM pg_attribute
         WHERE attrelid = %(rel)s::regclass),
       (SELECT array_agg(xmin::text ORDER BY adnum) FROM pg_attrdef
         WHERE adrelid = %(rel)s::regclass)
"""


def test_0004_does_nothing_and_locks_nothing_where_nothing_differs(
    state: tuple[str, str], tmp_path: Path
) -> None:
    """On every state but the ORM's, 0004's first run finds nothing to change: it takes
    no lock on tutoring_sessions (not even ACCESS SHARE) and writes no catalog row.
    On the ORM's it changes what differs, and a second run is a no-op again."""
    name, url = state
    migrated_through_0003(url, tmp_path)
    rel = {"rel": "tutoring_sessions"}
    shape, data = describe(url), snapshot(url)
    with psycopg.connect(url) as conn:
        xmins = conn.execute(_CATALOG_XMINS, rel).fetchone()
        with conn.transaction(force_rollback=True):
            for statement in migration_statements(f"{SERVER_DEFAULTS}.sql"):
                conn.execute(statement)
            locks = conn.execute(_LOCKS_ON, rel).fetchone()
            changed = conn.execute(_CATALOG_XMINS, rel).fetchone() != xmins
    if name == "state6_orm_create_all":
        assert locks == (["AccessExclusiveLock"],) and changed
        migrate(url)
        with psycopg.connect(url) as conn:
            xmins = conn.execute(_CATALOG_XMINS, rel).fetchone()
            with conn.transaction(force_rollback=True):
                for statement in migration_statements(f"{SERVER_DEFAULTS}.sql"):
                    conn.execute(statement)
                assert conn.execute(_LOCKS_ON, rel).fetchone() == (None,)
                assert conn.execute(_CATALOG_XMINS, rel).fetchone() == xmins
    else:
        assert locks == (None,), name
        assert not changed, name
        migrate(url)
        assert describe(url) == shape  # recorded, and nothing else
    assert snapshot(url) == data


def test_0004_never_scans_or_rewrites_tutoring_sessions(empty_db_url: str, tmp_path: Path) -> None:
    """On the ORM's state 0004 changes eight defaults and two NOT NULLs in one ALTER,
    catalog-only: no scan, no row read, no new relfilenode while it holds ACCESS
    EXCLUSIVE. The negative control proves the counters see a scan."""
    build_state_orm(empty_db_url)
    add_bulk_sessions(empty_db_url, 20_000)
    migrated_through_0003(empty_db_url, tmp_path)
    before = relfilenode(empty_db_url, "tutoring_sessions")
    rel = {"rel": "tutoring_sessions"}
    with psycopg.connect(empty_db_url) as conn, conn.transaction(force_rollback=True):
        for statement in migration_statements(f"{SERVER_DEFAULTS}.sql"):
            conn.execute(statement)
        assert conn.execute(_HOLDS_ACCESS_EXCLUSIVE, rel).fetchone() == (True,)
        assert conn.execute(_SCANS, rel).fetchone() == (0, 0)
        conn.execute("ALTER TABLE tutoring_sessions ADD COLUMN probe int CHECK (probe > 0)")
        scans, tuples = conn.execute(_SCANS, rel).fetchone()  # type: ignore[misc]
        assert scans >= 1 and tuples >= 20_000, "the scan detector does not detect scans"
    data = snapshot(empty_db_url)
    migrate(empty_db_url)
    assert relfilenode(empty_db_url, "tutoring_sessions") == before
    assert snapshot(empty_db_url) == data
    columns = describe(empty_db_url)["tutoring_sessions"]["columns"]
    assert (columns["tutor_id"][1], columns["status"][2]) == (
        False,
        "'scheduled'::character varying",
    )


@pytest.mark.parametrize(
    ("column", "sql_type", "found", "expected"),
    [
        ("recurring_pattern", "JSONB", "jsonb", "json"),
        ("session_frequency", "TEXT", "text", "character varying(50)"),
        ("session_frequency", "VARCHAR(20)", "character varying(20)", "character varying(50)"),
        ("package_duration", "BIGINT", "bigint", "integer"),
    ],
)
def test_0002_refuses_a_column_of_the_wrong_type(
    column: str, sql_type: str, found: str, expected: str, empty_db_url: str
) -> None:
    build_wrong_type_state(empty_db_url, column, sql_type)
    shape, data = describe(empty_db_url), snapshot(empty_db_url)
    with pytest.raises(MigrationFailed) as failure:
        migrate(empty_db_url)
    assert f"tutoring_sessions.{column} is {found}, expected {expected}" in failure.value.message
    assert applied_ids(empty_db_url) == [BASELINE]  # 0001 is fine; 0002 is not recorded
    assert describe(empty_db_url) == shape  # nothing half-applied: no column added, no comment
    assert snapshot(empty_db_url) == data


# --- splitting and the stock yoyo CLI -------------------------------------------------


def test_sqlparse_splits_our_do_blocks_whole() -> None:
    assert tuple(int(p) for p in sqlparse.__version__.split(".")[:3]) >= (0, 4, 4)
    expected_counts = {
        f"{BASELINE}.sql": 6,  # one DO block per table
        f"{BASELINE}.rollback.sql": 1,
        f"{SCHEDULE_FIELDS}.sql": 8,  # DO check, 2 ALTERs, 5 COMMENTs
        f"{SCHEDULE_FIELDS}.rollback.sql": 1,
        f"{SESSIONS_INDEX}.sql": 1,  # one CREATE INDEX CONCURRENTLY
        f"{SESSIONS_INDEX}.rollback.sql": 1,
        f"{SERVER_DEFAULTS}.sql": 1,  # one DO block, one ALTER TABLE at most
        f"{SERVER_DEFAULTS}.rollback.sql": 1,  # SELECT 1: nothing to undo
    }
    for file, count in expected_counts.items():
        statements = migration_statements(file)
        assert len(statements) == count, (file, [s[:40] for s in statements])
        for statement in statements:
            code = "\n".join(
                ln for ln in statement.strip().splitlines() if not ln.lstrip().startswith("--")
            ).strip()
            if code.startswith("DO"):
                assert code.startswith("DO $$") and code.endswith("$$;"), (file, code[:60])
                assert code.count("$$") == 2, (file, code[:60])
    directives, doc, _ = read_sql_migration(str(MIGRATIONS_DIR / f"{SCHEDULE_FIELDS}.sql"))
    assert directives == {"depends": BASELINE}
    assert doc.startswith("The seed's five scheduling columns")
    directives, doc, _ = read_sql_migration(str(MIGRATIONS_DIR / f"{SERVER_DEFAULTS}.sql"))
    assert directives == {"depends": SESSIONS_INDEX}
    assert "ix_tutoring_sessions_id" in doc


def _yoyo(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    yoyo_url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "yoyo"),
            *args,
            "--batch",
            "--no-config-file",
            "--database",
            yoyo_url,
            str(MIGRATIONS_DIR),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _yoyo_list(url: str, cwd: Path) -> dict[str, str]:
    listing = _yoyo(url, "list", cwd=cwd)
    assert listing.returncode == 0, listing.stderr
    found = re.findall(r"^([AU])\s+(\d{4}_\S+)", listing.stdout, re.MULTILINE)
    return {mid: status for status, mid in found}


def test_stock_yoyo_sees_what_we_applied(
    empty_db_url: str, tmp_path: Path, fresh: dict[str, Any]
) -> None:
    url = empty_db_url
    migrate(url)
    # 0003 (transactional: false) is run by astegni-db, not yoyo, yet recorded in yoyo's tables.
    assert _yoyo_list(url, tmp_path) == dict.fromkeys(PROJECT_MIGRATIONS, "A")
    nothing = _yoyo(url, "apply", cwd=tmp_path)
    assert nothing.returncode == 0, nothing.stderr
    assert describe(url) == fresh["describe"]

    # Back to the baseline: 0004, 0003, then 0002 (newest first); yoyo's tables say so too.
    api.rollback(url, MIGRATIONS_DIR, api.RollbackSelection(to=BASELINE))
    assert _yoyo_list(url, tmp_path) == {
        BASELINE: "A",
        SCHEDULE_FIELDS: "U",
        SESSIONS_INDEX: "U",
        SERVER_DEFAULTS: "U",
    }

    applied = _yoyo(url, "apply", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert applied_ids(url) == list(PROJECT_MIGRATIONS)  # our bookkeeping sees yoyo's apply
    assert describe(url) == fresh["describe"]
    assert migrate(url).applied == []
    assert not (tmp_path / "yoyo.ini").exists()  # batch mode never saves a config (or password)


# --- schemas ----------------------------------------------------------------------------


def test_a_same_named_table_in_another_schema_is_ignored(
    empty_db_url: str, fresh: dict[str, Any]
) -> None:
    """The legacy checks read information_schema without a schema filter; ours look
    only at the table the application's unqualified queries reach."""
    with psycopg.connect(empty_db_url) as conn:
        conn.execute("CREATE SCHEMA archive")
        conn.execute(
            "CREATE TABLE archive.tutoring_sessions (id int, recurring_pattern jsonb,"
            " session_frequency text)"
        )
        conn.execute("INSERT INTO archive.tutoring_sessions VALUES (1, '{}', 'Weekly')")
    migrate(empty_db_url)
    assert describe(empty_db_url) == fresh["describe"]
    with psycopg.connect(empty_db_url) as conn:
        archived = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'archive.tutoring_sessions'::regclass AND attnum > 0 ORDER BY attnum"
        ).fetchall()
        assert archived == [
            ("id", "integer"),
            ("recurring_pattern", "jsonb"),
            ("session_frequency", "text"),
        ]


def test_migrations_follow_the_search_path(empty_db_url: str, fresh: dict[str, Any]) -> None:
    """A database whose search_path starts with its own schema gets the tables there."""
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA astegni")
        dbname = conn.info.dbname
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET search_path = astegni, public").format(
                sql.Identifier(dbname)
            )
        )
    migrate(empty_db_url)
    with psycopg.connect(empty_db_url) as conn:
        schemas = conn.execute(
            "SELECT DISTINCT relnamespace::regnamespace::text FROM pg_class"
            " WHERE relname = ANY(%s)",
            (list(OUR_TABLES),),
        ).fetchall()
    assert schemas == [("astegni",)]
    shape = describe(empty_db_url)
    assert (
        shape["tutoring_sessions"]["columns"] == fresh["describe"]["tutoring_sessions"]["columns"]
    )
    rollback_all(empty_db_url)
    assert our_relations(empty_db_url) == []
