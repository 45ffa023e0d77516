"""verify and inspect against real, disposable PostgreSQL databases.

A migrated database passes; every mutation of one fails naming the object
(or warns / notes, for the kinds that must not fail); the checks hold for a
SELECT-only role, among thousands of unrelated tables, in two round trips.
"""

from __future__ import annotations

import json
import socket
import tempfile
import tomllib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from astegni_db import api
from astegni_db.errors import ConfigError, ConnectionFailed, ExitCode
from astegni_db.project.spec import load_spec, parse_spec
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.findings import Finding
from astegni_db.verify.report import VerifyReport
from tests.helpers import MIGRATIONS_DIR, QUERIES, SPEC, run_cli
from tests.legacy_states import ALL_STATES, EXTRA_INDEXES, build_state_2


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]  # the tests' own literal SQL


def check(url: str, *, strict: bool = False, spec: Path = SPEC) -> VerifyReport:
    return api.verify(url, spec, QUERIES, strict=strict)


def inspect(url: str, spec: Path) -> str:
    return api.inspect(url, spec).toml


def not_ok(report: VerifyReport) -> list[tuple[str, str, str]]:
    return [(f.status, f.kind, f.object) for f in report.findings if f.status != "ok"]


def find(report: VerifyReport, status: str, kind: str, obj: str) -> Finding:
    for finding in report.findings:
        if (finding.status, finding.kind, finding.object) == (status, kind, obj):
            return finding
    raise AssertionError(f"no {status} {kind} finding for {obj}; found {not_ok(report)}")


# --- a correctly migrated database ------------------------------------------------


def test_fresh_migrated_database_matches_the_spec(migrated_db_url: str) -> None:
    report = check(migrated_db_url)
    assert not_ok(report) == []
    assert report.exit_code == ExitCode.OK
    checked = {(f.table, f.kind) for f in report.findings}
    for table in ("tutoring_sessions", "tutor_teaching_schedules"):
        for kind in (
            "table",
            "column",
            "type",
            "nullable",
            "default",
            "primary_key",
            "foreign_key",
            "data" if table == "tutoring_sessions" else "check",
        ):
            assert (table, kind) in checked
    assert ("tutor_teaching_schedules", "index") in checked
    queries = [f for f in report.findings if f.kind == "query"]
    assert len(queries) == len(list(QUERIES.glob("*.sql")))
    assert check(migrated_db_url, strict=True).exit_code == ExitCode.OK


def test_inspect_of_a_migrated_database_reproduces_the_spec(migrated_db_url: str) -> None:
    text = inspect(migrated_db_url, SPEC)
    assert parse_spec(tomllib.loads(text), source="inspect") == load_spec(SPEC)


def test_inspect_describes_what_is_there_not_what_the_spec_says(migrated_db_url: str) -> None:
    run_sql(
        migrated_db_url,
        "ALTER TABLE tutoring_sessions ALTER COLUMN recurring_pattern TYPE jsonb",
        "ALTER TABLE tutoring_sessions ADD COLUMN extra integer NOT NULL DEFAULT 7",
        "DROP TABLE tutor_student_enrollments CASCADE",
        "ALTER TABLE tutoring_sessions DROP COLUMN session_frequency",
    )
    text = inspect(migrated_db_url, SPEC)
    live = parse_spec(tomllib.loads(text), source="inspect")
    columns = live.tables["tutoring_sessions"].columns
    assert columns["recurring_pattern"].type == "jsonb"
    assert (columns["extra"].nullable, columns["extra"].default) == (False, "7")
    assert "tutor_student_enrollments" not in live.tables
    assert "# table tutor_student_enrollments: not found" in text
    # The documented value set of a column that is gone is not carried over.
    assert set(live.allowed_values["tutoring_sessions"]) == {"status"}


# --- every legacy state, after migrate ---------------------------------------------


@pytest.mark.parametrize("state", sorted(ALL_STATES))
def test_every_state_after_migrate_matches_the_spec(empty_db_url: str, state: str) -> None:
    ALL_STATES[state](empty_db_url)
    api.migrate(empty_db_url, MIGRATIONS_DIR)
    report = check(empty_db_url)
    # The ORM's create_all state keeps its index on id (its models declare it): a note.
    kept = ["tutoring_sessions index btree (id)" for _ in EXTRA_INDEXES.get(state, {})]
    assert [f for f in not_ok(report) if f[0] != "warning"] == [
        ("note", "index", obj) for obj in kept
    ]
    assert report.exit_code == ExitCode.OK
    if state != "state0_empty":
        # Legacy rows hold 'missed' (and 'Weekly', 'One-time' where the column
        # existed): reported, never failing.
        status = find(report, "warning", "data", "tutoring_sessions.status")
        assert "'missed' x" in status.actual
    live = parse_spec(tomllib.loads(inspect(empty_db_url, SPEC)), source="inspect")
    expected = load_spec(SPEC).tables
    if kept:
        sessions = live.tables["tutoring_sessions"]
        live_tables = dict(live.tables)
        live_tables["tutoring_sessions"] = sessions._replace(
            indexes=frozenset(i for i in sessions.indexes if i.columns != ("id",))
        )
        assert live_tables == expected
    else:
        assert live.tables == expected


# --- mutations: each one fails (or warns, or notes) naming the object -----------------


@dataclass(frozen=True)
class Mutation:
    statements: tuple[str, ...]
    status: str
    kind: str
    object: str
    exit_code: ExitCode = ExitCode.SCHEMA_MISMATCH
    message: str | None = None


SEED_ROWS = (
    "INSERT INTO users DEFAULT VALUES",
    "INSERT INTO tutor_profiles (user_id) VALUES (1)",
)
FK_SCHEDULES = "tutor_teaching_schedules_tutor_id_fkey"
SCHEDULE_STATUS = (
    "tutor_teaching_schedules CHECK (status::text = ANY "
    "(ARRAY['active'::character varying, 'draft'::character varying]::text[]))"
)

MUTATIONS: dict[str, Mutation] = {
    "drop column": Mutation(
        ("ALTER TABLE tutoring_sessions DROP COLUMN package_duration",),
        "error",
        "column",
        "tutoring_sessions.package_duration",
        message="tutoring_sessions.package_duration: expected present, found missing",
    ),
    "retype column": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN package_duration TYPE bigint",),
        "error",
        "type",
        "tutoring_sessions.package_duration",
        message="tutoring_sessions.package_duration: expected integer, found bigint",
    ),
    "json to jsonb": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN recurring_pattern TYPE jsonb",),
        "error",
        "type",
        "tutoring_sessions.recurring_pattern",
        message="tutoring_sessions.recurring_pattern: expected json, found jsonb",
    ),
    "varchar length": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN session_frequency TYPE varchar(100)",),
        "error",
        "type",
        "tutoring_sessions.session_frequency",
        message="tutoring_sessions.session_frequency: expected character varying(50), "
        "found character varying(100)",
    ),
    "relax nullability": Mutation(
        ("ALTER TABLE tutor_teaching_schedules ALTER COLUMN title DROP NOT NULL",),
        "error",
        "nullable",
        "tutor_teaching_schedules.title",
        message="tutor_teaching_schedules.title: expected NOT NULL, found nullable",
    ),
    "tighten nullability": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN is_recurring SET NOT NULL",),
        "error",
        "nullable",
        "tutoring_sessions.is_recurring",
    ),
    "change default": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN duration SET DEFAULT 90",),
        "error",
        "default",
        "tutoring_sessions.duration",
        message="tutoring_sessions.duration: expected 60, found 90",
    ),
    "legacy default left behind": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN session_frequency SET DEFAULT 'one-time'",),
        "error",
        "default",
        "tutoring_sessions.session_frequency",
        message="tutoring_sessions.session_frequency: expected no default, "
        "found 'one-time'::character varying",
    ),
    "serial default dropped": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN id DROP DEFAULT",),
        "error",
        "default",
        "tutoring_sessions.id",
        message="tutoring_sessions.id: expected serial, found no default",
    ),
    "drop foreign key": Mutation(
        ("ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey",),
        "error",
        "foreign_key",
        "tutoring_sessions(tutor_id) foreign key",
        message="tutoring_sessions(tutor_id) foreign key: expected -> tutor_profiles(id) "
        "ON DELETE NO ACTION, found none",
    ),
    "change ON DELETE": Mutation(
        (
            f"ALTER TABLE tutor_teaching_schedules DROP CONSTRAINT {FK_SCHEDULES}",
            "ALTER TABLE tutor_teaching_schedules ADD FOREIGN KEY (tutor_id) REFERENCES users (id)",
        ),
        "error",
        "foreign_key",
        "tutor_teaching_schedules(tutor_id) foreign key",
        message="tutor_teaching_schedules(tutor_id) foreign key: expected -> users(id) "
        "ON DELETE CASCADE, found -> users(id) ON DELETE NO ACTION",
    ),
    "foreign key to the wrong table": Mutation(
        (
            "ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey",
            "ALTER TABLE tutoring_sessions ADD FOREIGN KEY (tutor_id) REFERENCES users (id)",
        ),
        "error",
        "foreign_key",
        "tutoring_sessions(tutor_id) foreign key",
    ),
    "extra foreign key": Mutation(
        (
            "ALTER TABLE tutor_teaching_schedules ADD CONSTRAINT dup_fk FOREIGN KEY (tutor_id) "
            "REFERENCES users (id) ON DELETE CASCADE",
        ),
        "error",
        "foreign_key",
        "tutor_teaching_schedules(tutor_id) foreign key",
    ),
    "drop CHECK": Mutation(
        (
            "ALTER TABLE tutor_teaching_schedules "
            "DROP CONSTRAINT tutor_teaching_schedules_status_check",
        ),
        "error",
        "check",
        SCHEDULE_STATUS,
    ),
    "widen CHECK": Mutation(
        (
            "ALTER TABLE tutor_teaching_schedules "
            "DROP CONSTRAINT tutor_teaching_schedules_status_check",
            "ALTER TABLE tutor_teaching_schedules ADD CONSTRAINT"
            " tutor_teaching_schedules_status_check"
            " CHECK (status IN ('active', 'draft', 'archived'))",
        ),
        "error",
        "check",
        SCHEDULE_STATUS,
    ),
    "CHECK on session_frequency": Mutation(
        ("ALTER TABLE tutoring_sessions ADD CHECK (session_frequency IN ('one-time', 'weekly'))",),
        "error",
        "check",
        "tutoring_sessions CHECK (session_frequency::text = ANY (ARRAY['one-time'::character "
        "varying, 'weekly'::character varying]::text[]))",
    ),
    "drop index": Mutation(
        ("DROP INDEX idx_teaching_schedules_created_at",),
        "error",
        "index",
        "tutor_teaching_schedules index btree (created_at DESC)",
    ),
    "alter index order": Mutation(
        (
            "DROP INDEX idx_teaching_schedules_created_at",
            "CREATE INDEX idx_teaching_schedules_created_at"
            " ON tutor_teaching_schedules (created_at)",
        ),
        "error",
        "index",
        "tutor_teaching_schedules index btree (created_at DESC)",
    ),
    "invalid index": Mutation(
        (
            "UPDATE pg_index SET indisvalid = false "
            "WHERE indexrelid = 'idx_teaching_schedules_status'::regclass",
        ),
        "error",
        "index",
        "tutor_teaching_schedules index btree (status)",
    ),
    "drop primary key": Mutation(
        ("ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_pkey",),
        "error",
        "primary_key",
        "tutoring_sessions primary key",
        message="tutoring_sessions primary key: expected PRIMARY KEY (id), found none",
    ),
    "rename table": Mutation(
        ("ALTER TABLE tutor_teaching_schedules RENAME TO tutor_schedules",),
        "error",
        "table",
        "tutor_teaching_schedules",
        message="tutor_teaching_schedules: expected table, found missing",
    ),
    "view in place of a table": Mutation(
        (
            "ALTER TABLE tutor_profiles RENAME TO tutor_profiles_old",
            "CREATE VIEW tutor_profiles AS SELECT * FROM tutor_profiles_old",
        ),
        "error",
        "table",
        "tutor_profiles",
    ),
    # Comments are documentation the application never reads: warnings.
    "drop comment": Mutation(
        ("COMMENT ON COLUMN tutoring_sessions.grade_level IS NULL",),
        "warning",
        "comment",
        "tutoring_sessions.grade_level",
        exit_code=ExitCode.OK,
    ),
    "legacy comment wording": Mutation(
        ("COMMENT ON COLUMN tutoring_sessions.is_recurring IS 'recurring session flag'",),
        "warning",
        "comment",
        "tutoring_sessions.is_recurring",
        exit_code=ExitCode.OK,
        message="tutoring_sessions.is_recurring: expected 'True when the session belongs to a"
        " recurring schedule.', found 'recurring session flag'",
    ),
    "rename a column the app reads": Mutation(
        ("ALTER TABLE tutor_teaching_schedules RENAME COLUMN title TO name",),
        "error",
        "query",
        "query tutor_teaching_schedules.sql",
    ),
    "retype a column the stats sum": Mutation(
        ("ALTER TABLE tutoring_sessions ALTER COLUMN amount TYPE text",),
        "error",
        "query",
        "query tutor_session_stats.sql",
    ),
    "extra column": Mutation(
        ("ALTER TABLE tutoring_sessions ADD COLUMN reminder_sent boolean",),
        "note",
        "column",
        "tutoring_sessions.reminder_sent",
        exit_code=ExitCode.OK,
    ),
    "extra index": Mutation(
        ("CREATE INDEX ON tutoring_sessions (tutor_id, session_date)",),
        "note",
        "index",
        "tutoring_sessions index btree (tutor_id, session_date)",
        exit_code=ExitCode.OK,
    ),
    "out-of-set values": Mutation(
        (
            *SEED_ROWS,
            "INSERT INTO tutoring_sessions (tutor_id, subject, session_date, start_time,"
            " session_frequency, status) VALUES"
            " (1, 'Maths', '2025-01-01', '10:00', 'Weekly', 'missed'),"
            " (1, 'Maths', '2025-01-02', '10:00', 'Weekly', 'completed'),"
            " (1, 'Maths', '2025-01-03', '10:00', 'One-time', 'scheduled'),"
            " (1, 'Maths', '2025-01-04', '10:00', 'weekly', NULL)",
        ),
        "warning",
        "data",
        "tutoring_sessions.session_frequency",
        exit_code=ExitCode.OK,
        message="tutoring_sessions.session_frequency: 3 row(s) outside the documented values:"
        " 'Weekly' x2, 'One-time' x1",
    ),
    "NOT VALID check": Mutation(
        (
            "ALTER TABLE tutor_teaching_schedules "
            "DROP CONSTRAINT tutor_teaching_schedules_status_check",
            "ALTER TABLE tutor_teaching_schedules ADD CONSTRAINT chk_status"
            " CHECK (status IN ('active', 'draft')) NOT VALID",
        ),
        "warning",
        "check",
        SCHEDULE_STATUS,
        exit_code=ExitCode.OK,
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_is_reported(migrated_db_url: str, name: str) -> None:
    mutation = MUTATIONS[name]
    run_sql(migrated_db_url, *mutation.statements)
    report = check(migrated_db_url)
    finding = find(report, mutation.status, mutation.kind, mutation.object)
    if mutation.message is not None:
        assert finding.message == mutation.message
    assert report.exit_code == mutation.exit_code
    # --strict: notes and schema warnings fail; warnings about values never do.
    strict = check(migrated_db_url, strict=True)
    if mutation.kind == "data":
        assert strict.exit_code == ExitCode.OK
    else:
        assert strict.exit_code == ExitCode.SCHEMA_MISMATCH
        assert strict.fails(find(strict, mutation.status, mutation.kind, mutation.object))


def test_every_difference_is_reported_not_just_the_first(migrated_db_url: str) -> None:
    statements = [
        s
        for m in (
            "json to jsonb",
            "drop index",
            "drop CHECK",
            "change ON DELETE",
            "drop comment",
            "extra column",
        )
        for s in MUTATIONS[m].statements
    ]
    run_sql(migrated_db_url, *statements)
    report = check(migrated_db_url)
    assert len([f for f in report.findings if f.status == "error"]) == 4
    assert len([f for f in report.findings if f.status == "warning"]) == 1  # the comment
    assert len([f for f in report.findings if f.status == "note"]) == 1


def test_unexpected_table_listed_in_the_spec(migrated_db_url: str, tmp_path: Path) -> None:
    spec = tmp_path / "schema.toml"
    listed = 'format = 1\nunexpected_tables = ["tutor_schedules"]'
    spec.write_text(SPEC.read_text().replace("format = 1", listed))
    assert check(migrated_db_url, spec=spec).exit_code == ExitCode.OK
    run_sql(migrated_db_url, "CREATE TABLE tutor_schedules (id serial PRIMARY KEY)")
    report = check(migrated_db_url, spec=spec)
    assert find(report, "error", "table", "tutor_schedules").actual == "present (table)"


# --- severities: what fails a deploy, what fails only --strict, what never fails -----

# The legacy "add session fields" script, run again after adoption, rewords the
# five comments (astegni-legacy-states.md, section 2).
LEGACY_COMMENTS = {
    "session_frequency": "Frequency of the session: one-time, weekly, bi-weekly, monthly",
    "is_recurring": "Whether this session is part of a recurring schedule",
    "recurring_pattern": "JSON pattern for recurring sessions: {days: [], months: [], ...}",
    "package_duration": "Duration in weeks/months if this session is part of a package",
    "grade_level": "Grade level of the student for this tutoring session",
}


def test_reworded_comments_warn_and_fail_only_under_strict(
    migrated_db_url: str, tmp_path: Path
) -> None:
    run_sql(
        migrated_db_url,
        *(
            f"COMMENT ON COLUMN tutoring_sessions.{column} IS '{text}'"
            for column, text in LEGACY_COMMENTS.items()
        ),
    )
    report = check(migrated_db_url)
    assert not_ok(report) == [
        ("warning", "comment", f"tutoring_sessions.{column}") for column in LEGACY_COMMENTS
    ]
    assert report.exit_code == ExitCode.OK
    found = find(report, "warning", "comment", "tutoring_sessions.session_frequency")
    assert found.actual == repr(LEGACY_COMMENTS["session_frequency"])

    done = run_cli("verify", "--database-url", migrated_db_url)
    assert done.code == ExitCode.OK
    assert "0 error(s), 5 warning(s)" in done.output
    out = tmp_path / "strict.json"
    strict = ("verify", "--database-url", migrated_db_url, "--strict")
    done = run_cli(*strict, "--format", "json", "-o", str(out))
    assert done.code == ExitCode.SCHEMA_MISMATCH
    data = json.loads(out.read_text())
    failing = [(c["status"], c["kind"]) for c in data["checks"] if c["fails"]]
    assert failing == [("warning", "comment")] * 5
    done = run_cli(*strict)
    assert done.code == ExitCode.SCHEMA_MISMATCH
    assert "strict: 5 failing" in done.output


def test_value_warnings_never_fail_even_strict_but_a_not_valid_constraint_does(
    migrated_db_url: str,
) -> None:
    run_sql(migrated_db_url, *MUTATIONS["out-of-set values"].statements)
    strict = check(migrated_db_url, strict=True)
    assert {(s, k) for s, k, _ in not_ok(strict)} == {("warning", "data")}
    assert strict.exit_code == ExitCode.OK and strict.failing == []
    run_sql(migrated_db_url, *MUTATIONS["NOT VALID check"].statements)
    assert check(migrated_db_url).exit_code == ExitCode.OK
    strict = check(migrated_db_url, strict=True)
    assert [(f.status, f.kind) for f in strict.failing] == [("warning", "check")]
    assert strict.exit_code == ExitCode.SCHEMA_MISMATCH


# --- legacy copies: a table with a spec table's columns, holding rows ------------------

# The five columns 0002 added: a copy made before it lacks them.
NEW_COLUMNS = ("session_frequency", "is_recurring", "recurring_pattern", "package_duration")
NEW_COLUMNS += ("grade_level",)


def session_rows(table: str, count: int, *, first_id: int = 1) -> str:
    """``count`` rows into a table shaped like tutoring_sessions (ids given: a copy
    made with LIKE has no defaults)."""
    return (
        f"INSERT INTO {table} (id, tutor_id, subject, session_date, start_time)"
        f" SELECT g, 1, 'Maths', DATE '2025-01-01' + g % 300, '10:00'"
        f" FROM generate_series({first_id}, {first_id + count - 1}) AS g"
    )


def legacy_copies(report: VerifyReport) -> list[Finding]:
    return [f for f in report.findings if f.kind == "legacy_copy"]


def test_a_renamed_copy_holding_rows_is_a_note_with_both_counts(migrated_db_url: str) -> None:
    run_sql(
        migrated_db_url,
        *SEED_ROWS,
        session_rows("tutoring_sessions", 2),
        # What the cleanup script left: the old table, before 0002's columns, with its rows.
        "CREATE TABLE tutor_sessions (LIKE tutoring_sessions INCLUDING ALL)",
        *(f"ALTER TABLE tutor_sessions DROP COLUMN {column}" for column in NEW_COLUMNS),
        session_rows("tutor_sessions", 320),
    )
    report = check(migrated_db_url)
    (note,) = legacy_copies(report)
    assert (note.status, note.table, note.object) == ("note", "tutoring_sessions", "tutor_sessions")
    assert note.message == (
        "tutor_sessions: possible legacy copy of tutoring_sessions (has 27 of its 32 columns;"
        " holds 320 rows while tutoring_sessions holds 2)"
    )
    assert note.actual == "320 rows; lacks " + ", ".join(NEW_COLUMNS)
    assert report.exit_code == ExitCode.OK
    strict = check(migrated_db_url, strict=True)
    assert strict.exit_code == ExitCode.SCHEMA_MISMATCH
    assert [f.kind for f in strict.failing] == ["legacy_copy"]

    from astegni_db.verify.copies import LegacyCopy, find_legacy_copies

    spec = load_spec(SPEC)
    with psycopg.connect(migrated_db_url, autocommit=True) as conn:
        copies = find_legacy_copies(conn, spec, read_catalog(conn, spec.tables))
    assert copies == [
        LegacyCopy(
            table="tutor_sessions",
            copy_of="tutoring_sessions",
            shared_columns=27,
            spec_columns=32,
            missing_columns=NEW_COLUMNS,
            rows=320,
            spec_rows=2,
        )
    ]


def test_a_copy_of_a_missing_spec_table_says_so(migrated_db_url: str) -> None:
    run_sql(
        migrated_db_url,
        *SEED_ROWS,
        session_rows("tutoring_sessions", 3),
        "ALTER TABLE tutoring_sessions RENAME TO tutor_sessions",
    )
    report = check(migrated_db_url)
    assert find(report, "error", "table", "tutoring_sessions")
    (note,) = legacy_copies(report)
    assert note.message == (
        "tutor_sessions: possible legacy copy of tutoring_sessions (has 32 of its 32 columns;"
        " holds 3 rows while tutoring_sessions is missing)"
    )


def test_row_counts_stop_past_the_cap(migrated_db_url: str) -> None:
    from astegni_db.verify.copies import ROW_COUNT_CAP

    run_sql(
        migrated_db_url,
        "CREATE TABLE sessions_backup (LIKE tutoring_sessions)",
        session_rows("sessions_backup", ROW_COUNT_CAP + 5),
    )
    (note,) = legacy_copies(check(migrated_db_url))
    assert note.object == "sessions_backup"
    assert f"holds more than {ROW_COUNT_CAP} rows while tutoring_sessions holds 0" in note.message


def test_no_note_for_an_empty_copy_or_tables_that_are_not_copies(migrated_db_url: str) -> None:
    columns = load_spec(SPEC).tables["tutoring_sessions"].columns
    all_but_the_key = ", ".join(f"{column} text" for column in columns if column != "id")
    run_sql(
        migrated_db_url,
        # A copy without rows: nothing to lose.
        "CREATE TABLE tutor_sessions (LIKE tutoring_sessions)",
        # Unrelated, with rows, sharing a few names.
        "CREATE TABLE payments (id integer PRIMARY KEY, tutor_id integer, status text,"
        " amount double precision, created_at timestamp)",
        "INSERT INTO payments VALUES (1, 1, 'paid', 10, now())",
        # Every column but the primary key.
        f"CREATE TABLE sessions_without_id ({all_but_the_key})",
        "INSERT INTO sessions_without_id (subject) VALUES ('Maths')",
        # Off the search_path, and bookkeeping: never looked at.
        "CREATE SCHEMA archive",
        "CREATE TABLE archive.tutoring_sessions_2024 (LIKE tutoring_sessions)",
        session_rows("archive.tutoring_sessions_2024", 4),
        "CREATE TABLE _astegni_db_sessions_backup (LIKE tutoring_sessions)",
        session_rows("_astegni_db_sessions_backup", 4),
    )
    report = check(migrated_db_url)
    assert legacy_copies(report) == []
    assert check(migrated_db_url, strict=True).exit_code == ExitCode.OK
    # The same empty copy is reported once it holds a row.
    run_sql(migrated_db_url, session_rows("tutor_sessions", 1))
    assert [f.object for f in legacy_copies(check(migrated_db_url))] == ["tutor_sessions"]


def test_a_locked_copy_is_waited_for_no_longer_than_the_lock_timeout(
    migrated_db_url: str,
) -> None:
    from astegni_db.errors import LockNotAcquired
    from astegni_db.settings import parse_database_url
    from astegni_db.verify.run import verify

    run_sql(
        migrated_db_url,
        "CREATE TABLE tutor_sessions (LIKE tutoring_sessions)",
        session_rows("tutor_sessions", 5),
    )
    with psycopg.connect(migrated_db_url) as holder:
        holder.execute("LOCK TABLE tutor_sessions IN ACCESS EXCLUSIVE MODE")
        pid = holder.info.backend_pid
        with pytest.raises(LockNotAcquired) as raised:
            verify(parse_database_url(migrated_db_url, "test"), SPEC, QUERIES, lock_timeout_s=0.2)
        holder.rollback()
    message = raised.value.message
    assert "could not count the rows of tutor_sessions (legacy copy check)" in message
    assert f"pid {pid}" in message
    assert "holds ACCESS EXCLUSIVE on tutor_sessions" in message


# --- who may run it, and what it costs ---------------------------------------------


@pytest.fixture
def login_role(migrated_db_url: str) -> Iterator[tuple[str, str]]:
    """A fresh LOGIN role with no privileges yet: (role name, URL connecting as it)."""
    role = f"verify_ro_{uuid.uuid4().hex[:8]}"
    password = "ro pass/with:odd@chars"
    run_sql(migrated_db_url, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    parts = urlsplit(migrated_db_url)
    host = parts.netloc.rpartition("@")[2]
    url = urlunsplit(parts._replace(netloc=f"{role}:{quote(password, safe='')}@{host}"))
    yield role, url
    run_sql(migrated_db_url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_select_only_role(migrated_db_url: str, login_role: tuple[str, str]) -> None:
    role, url = login_role
    run_sql(
        migrated_db_url,
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        *SEED_ROWS,
        "INSERT INTO tutoring_sessions (tutor_id, subject, session_date, start_time, status)"
        " VALUES (1, 'Maths', '2025-01-01', '10:00', 'missed')",
    )
    report = check(url)
    assert not_ok(report) == [("warning", "data", "tutoring_sessions.status")]
    assert report.exit_code == ExitCode.OK
    assert parse_spec(tomllib.loads(inspect(url, SPEC)), source="inspect") == load_spec(SPEC)


def test_role_that_cannot_read_rows_still_verifies_the_schema(
    migrated_db_url: str, login_role: tuple[str, str]
) -> None:
    _, url = login_role
    run_sql(
        migrated_db_url,
        "CREATE TABLE tutor_sessions (LIKE tutoring_sessions)",
        session_rows("tutor_sessions", 5),
    )
    report = check(url)
    assert {f.kind for f in report.findings if f.status != "ok"} == {"data"}
    assert find(report, "warning", "data", "tutoring_sessions.status").actual == "permission denied"
    # A possible copy it may not count is said to be not counted, not passed over.
    copy = find(report, "warning", "data", "tutor_sessions")
    assert copy.message.startswith(
        "tutor_sessions: possible legacy copy of tutoring_sessions (has 32 of its 32 columns);"
        " rows not counted: "
    )
    assert "permission denied" in copy.message
    # PREPARE analyses without privilege checks: the query checks still ran.
    assert all(f.status == "ok" for f in report.findings if f.kind == "query")
    assert report.exit_code == ExitCode.OK
    # Rows it may not read are about values: they never fail, even under --strict.
    assert check(url, strict=True).exit_code == ExitCode.OK


def test_verify_never_writes(migrated_db_url: str, tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "sneaky.sql").write_text("DELETE FROM tutoring_sessions")
    run_sql(
        migrated_db_url,
        *SEED_ROWS,
        "INSERT INTO tutoring_sessions (tutor_id, subject, session_date, start_time)"
        " VALUES (1, 'Maths', '2025-01-01', '10:00')",
    )
    report = api.verify(migrated_db_url, SPEC, queries)
    assert find(report, "ok", "query", "query sneaky.sql")  # it parses; it never ran
    with psycopg.connect(migrated_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM tutoring_sessions").fetchone() == (1,)


def test_thousands_of_unrelated_tables_change_nothing(migrated_db_url: str) -> None:
    baseline = check(migrated_db_url)
    # Three transactions of 1,000, each table with the app's column names, and a
    # same-named table in a schema off the search_path that is all wrong.
    block = (
        "DO $$ BEGIN FOR i IN {0}..{1} LOOP EXECUTE format("
        "'CREATE TABLE unrelated_%s (id integer, tutor_id integer, status varchar(20))', i);"
        " END LOOP; END $$"
    )
    run_sql(
        migrated_db_url,
        *(block.format(start, start + 999) for start in (1, 1001, 2001)),
        "CREATE SCHEMA archive",
        "CREATE TABLE archive.tutoring_sessions (id text, recurring_pattern jsonb)",
    )
    report = check(migrated_db_url)
    assert report.findings == baseline.findings
    assert report.exit_code == ExitCode.OK


def count_round_trips(trace: str) -> int:
    """Times the client sent something and then waited for the server (libpq trace)."""
    directions = [line.split("\t", 2)[0] for line in trace.splitlines() if line[:1] in "FB"]
    return sum(
        1
        for before, after in zip(directions, directions[1:], strict=False)
        if (before, after) == ("F", "B")
    )


def test_catalog_inspection_takes_one_round_trip(migrated_db_url: str) -> None:
    names = [*load_spec(SPEC).tables]
    with (
        psycopg.connect(migrated_db_url, autocommit=True) as conn,
        tempfile.TemporaryFile("w+") as trace,
    ):
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        catalog = read_catalog(conn, names)
        conn.pgconn.untrace()
        trace.flush()
        trace.seek(0)
        text = trace.read()
    assert all(catalog.relations[name] is not None for name in names)
    sessions = catalog.relations["tutoring_sessions"]
    assert sessions is not None and len(sessions.columns) == 32
    assert count_round_trips(text) == 1
    assert text.count("\tParse\t") == 4  # tables, columns, constraints, indexes, pipelined


# --- the application's queries on seeded data --------------------------------------


@pytest.fixture
def seeded_db_url(empty_db_url: str) -> str:
    build_state_2(empty_db_url)
    api.migrate(empty_db_url, MIGRATIONS_DIR)
    return empty_db_url


def app_query(url: str, name: str, **params: object) -> list[dict[str, object]]:
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute((QUERIES / name).read_text(), params).fetchall()  # type: ignore[arg-type]


def test_stats_arithmetic_on_seeded_data(seeded_db_url: str) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        rows = conn.execute(
            "SELECT tutor_id, status, duration, amount, student_rating FROM tutoring_sessions"
        ).fetchall()
    tutors = sorted({row[0] for row in rows})
    assert len(tutors) > 3
    for tutor in tutors:
        mine = [row for row in rows if row[0] == tutor]
        (stats,) = app_query(seeded_db_url, "tutor_session_stats.sql", tutor_id=tutor)
        assert stats["total_sessions"] == len(mine)
        for status in ("completed", "scheduled", "cancelled"):
            assert stats[f"{status}_sessions"] == sum(1 for row in mine if row[1] == status)
        assert float(stats["total_hours"]) == pytest.approx(  # type: ignore[arg-type]
            sum(row[2] for row in mine if row[2] is not None) / 60
        )
        amounts = [row[3] for row in mine if row[3] is not None]
        assert stats["total_earnings"] == pytest.approx(sum(amounts))
        ratings = [row[4] for row in mine if row[4] is not None]
        expected_rating = sum(ratings) / len(ratings) if ratings else None
        assert stats["average_rating"] == pytest.approx(expected_rating)
    (nobody,) = app_query(seeded_db_url, "tutor_session_stats.sql", tutor_id=-1)
    assert nobody == {
        "total_sessions": 0,
        "completed_sessions": 0,
        "scheduled_sessions": 0,
        "cancelled_sessions": 0,
        "total_hours": None,
        "total_earnings": None,
        "average_rating": None,
    }


def test_session_list_filters_and_order_on_seeded_data(seeded_db_url: str) -> None:
    everything = app_query(
        seeded_db_url, "tutor_sessions.sql", tutor_id=1, status=None, date_from=None, date_to=None
    )
    assert everything and all(row["tutor_id"] == 1 for row in everything)
    keys = [(row["session_date"], row["start_time"]) for row in everything]
    assert keys == sorted(keys, reverse=True)
    assert {
        "session_frequency",
        "is_recurring",
        "recurring_pattern",
        "package_duration",
        "grade_level",
    } <= set(everything[0])
    dates = sorted(row["session_date"] for row in everything)  # type: ignore[type-var]
    low, high = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    filtered = app_query(
        seeded_db_url,
        "tutor_sessions.sql",
        tutor_id=1,
        status="completed",
        date_from=low,
        date_to=high,
    )
    assert filtered == [
        row
        for row in everything
        if row["status"] == "completed" and low <= row["session_date"] <= high
    ]  # type: ignore[operator]

    one = everything[0]
    assert app_query(seeded_db_url, "tutor_session.sql", session_id=one["id"], tutor_id=1) == [one]
    assert app_query(seeded_db_url, "tutor_session.sql", session_id=one["id"], tutor_id=2) == []


def test_schedule_panel_query_on_seeded_data(seeded_db_url: str) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        user_id, count = conn.execute(
            "SELECT tutor_id, count(*) FROM tutor_teaching_schedules GROUP BY 1 ORDER BY 2 DESC"
            " LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    rows = app_query(seeded_db_url, "tutor_teaching_schedules.sql", tutor_id=user_id)
    assert len(rows) == count and all(row["tutor_id"] == user_id for row in rows)
    created = [row["created_at"] for row in rows]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]


# --- outputs and failures as the CLI adapter sees them -----------------------------


def test_json_and_junit_outputs_of_a_mismatch(migrated_db_url: str, tmp_path: Path) -> None:
    run_sql(
        migrated_db_url,
        *MUTATIONS["json to jsonb"].statements,
        *MUTATIONS["extra column"].statements,
        *MUTATIONS["legacy comment wording"].statements,
        *MUTATIONS["out-of-set values"].statements,
    )
    out = tmp_path / "report.json"
    done = run_cli("verify", "--database-url", migrated_db_url, "--format", "json", "-o", str(out))
    assert (done.code, done.stdout) == (ExitCode.SCHEMA_MISMATCH, "")
    data = json.loads(out.read_text())
    assert data["version"] == 1 and data["ok"] is False
    assert data["summary"]["error"] == 1 and data["summary"]["note"] == 1
    assert data["summary"]["warning"] == 3  # the comment; session_frequency and status values
    assert data["summary"]["checks"] == len(data["checks"]) > 200
    (error,) = [c for c in data["checks"] if c["status"] == "error"]
    assert error == {
        "table": "tutoring_sessions",
        "object": "tutoring_sessions.recurring_pattern",
        "kind": "type",
        "expected": "json",
        "actual": "jsonb",
        "status": "error",
        "fails": True,
        "message": "tutoring_sessions.recurring_pattern: expected json, found jsonb",
    }
    assert [c["object"] for c in data["checks"] if c["fails"]] == [error["object"]]
    done = run_cli("verify", "--database-url", migrated_db_url, "--format", "junit", "--strict")
    assert done.code == ExitCode.SCHEMA_MISMATCH
    root = ET.fromstring(done.stdout)
    # strict: the note and the comment warning fail too; the data warnings do not.
    failed = {
        (case.get("classname"), case.get("name"))
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }
    assert failed == {
        ("tutoring_sessions.type", "tutoring_sessions.recurring_pattern"),
        ("tutoring_sessions.column", "tutoring_sessions.reminder_sent"),
        ("tutoring_sessions.comment", "tutoring_sessions.is_recurring"),
    }
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "tutoring_sessions")
    assert suite.get("failures") == "3"
    severities = {
        (case.get("classname"), case.get("name")): case.find("properties/property")
        for case in root.iter("testcase")
    }
    labelled = {
        key: (prop.get("name"), prop.get("value"))
        for key, prop in severities.items()
        if prop is not None
    }
    assert labelled == {
        ("tutoring_sessions.type", "tutoring_sessions.recurring_pattern"): ("severity", "error"),
        ("tutoring_sessions.column", "tutoring_sessions.reminder_sent"): ("severity", "note"),
        ("tutoring_sessions.comment", "tutoring_sessions.is_recurring"): ("severity", "warning"),
        ("tutoring_sessions.data", "tutoring_sessions.session_frequency"): ("severity", "warning"),
        ("tutoring_sessions.data", "tutoring_sessions.status"): ("severity", "warning"),
    }


def test_junit_beside_the_text_report_in_one_run(migrated_db_url: str, tmp_path: Path) -> None:
    """--junit: the CI log gets the text, the CI test view the same checks as JUnit,
    from one run against the database (a deploy gate connects once)."""
    run_sql(migrated_db_url, *MUTATIONS["json to jsonb"].statements)
    junit = tmp_path / "reports" / "verify.xml"  # its directory is made on demand
    done = run_cli("verify", "--database-url", migrated_db_url, "--junit", str(junit))
    assert done.code == ExitCode.SCHEMA_MISMATCH
    assert "expected json, found jsonb" in done.output
    root = ET.parse(junit).getroot()
    (failure,) = root.findall(".//failure")
    assert "expected json, found jsonb" in (failure.get("message") or "")
    cases = root.findall(".//testcase")
    assert len(cases) > 200 and root.get("name") == "astegni-db verify"


def test_unreachable_database_is_a_connection_error_without_the_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://astegni:s3cret-pw@127.0.0.1:{port}/astegni_db"
    with pytest.raises(ConnectionFailed) as raised:
        api.verify(url, SPEC, QUERIES)
    assert raised.value.exit_code == ExitCode.UNREACHABLE
    assert "s3cret-pw" not in raised.value.message and "\n" not in raised.value.message
    assert f"127.0.0.1:{port}" in raised.value.message


def test_spec_errors_come_before_any_connection(tmp_path: Path) -> None:
    bad = tmp_path / "schema.toml"
    bad.write_text(SPEC.read_text().replace("nullable = false", "nulable = false", 1))
    with pytest.raises(ConfigError, match=r"tables\.tutoring_sessions\.columns\.id\.nulable"):
        api.verify("postgresql://nobody@127.0.0.1:1/none", bad, QUERIES)
