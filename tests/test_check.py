"""astegni-db check: the whole lifecycle on a throwaway server; failures name the migration."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import psycopg
import pytest

from astegni_db.disposable import Server
from astegni_db.errors import ConfigError, ExitCode
from astegni_db.reporting import render
from astegni_db.roundtrip.report import CheckReport, PhaseResult
from astegni_db.roundtrip.run import run_check
from astegni_db.settings import dbname_of
from tests.helpers import (
    BASELINE,
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    QUERIES,
    SCHEDULE_FIELDS,
    SESSIONS_INDEX,
    SPEC,
    copy_migrations,
    pg_dump_for,
    run_cli,
)
from tests.legacy_states import build_production_schema

PHASES = [
    "start server",
    "migrate",
    "verify",
    "rollback",
    "clean after rollback",
    "migrate again",
    "verify again",
]

# Adds a column and a table, but its rollback forgets the table.
LEAKY_FORWARD = """\
ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
CREATE TABLE IF NOT EXISTS session_reminders (id serial PRIMARY KEY, session_id integer);
"""
# The same, but the forgotten table references tutoring_sessions: the baseline's
# rollback then refuses to drop it, and the check must still blame 0003.
LEAKY_FK_FORWARD = LEAKY_FORWARD.replace(
    "session_id integer", "session_id integer REFERENCES tutoring_sessions (id)"
)
LEAKY_ROLLBACK = "ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS reminder_sent;\n"

# Applies and rolls back cleanly, but the spec says varchar(50).
WIDENING_FORWARD = "ALTER TABLE tutoring_sessions ALTER COLUMN grade_level TYPE varchar(100);\n"
WIDENING_ROLLBACK = "ALTER TABLE tutoring_sessions ALTER COLUMN grade_level TYPE varchar(50);\n"


@pytest.fixture
def on_session_server(pg_server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """run_check's `url` backend pointed at the test session's server: no extra server start."""
    monkeypatch.setenv("ASTEGNI_DB_TEST_URL", pg_server.url)
    return "url"


def pg_dump_schema(url: str, dump: Path) -> Path:
    subprocess.run(
        [pg_dump_for(url), "--schema-only", "-f", str(dump), "-d", url],
        check=True,
        capture_output=True,
    )
    return dump


def with_extra_migration(tmp_path: Path, name: str, forward: str, rollback: str) -> Path:
    migrations = copy_migrations(tmp_path / "migrations")
    (migrations / f"{name}.sql").write_text(forward)
    (migrations / f"{name}.rollback.sql").write_text(rollback)
    return migrations


def statuses(report: CheckReport) -> dict[str, str]:
    return {p.name: p.status for p in report.phases}


def newer_than(migration: str) -> int:
    """How many project migrations come after ``migration``: what a round trip that
    keeps it (and the older ones) applied rolls back and applies again."""
    return len(PROJECT_MIGRATIONS) - 1 - PROJECT_MIGRATIONS.index(migration)


def test_check_passes_on_the_project_migrations() -> None:
    # The default backend: run_check starts (and stops) its own server.
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES)
    assert [p.name for p in report.phases] == PHASES
    assert statuses(report) == dict.fromkeys(PHASES, "pass"), report.summary_line()
    assert report.exit_code == ExitCode.OK
    assert report.phases[1].detail == f"applied {len(PROJECT_MIGRATIONS)} migration(s)"
    assert report.phases[4].detail == "no objects of ours remain"


def test_rollback_that_leaves_objects_fails_naming_the_migration(
    tmp_path: Path, on_session_server: str
) -> None:
    migrations = with_extra_migration(tmp_path, "0009_reminders", LEAKY_FORWARD, LEAKY_ROLLBACK)
    report = run_check(migrations, SPEC, QUERIES, backend=on_session_server)
    rollback = report.phases[3]
    assert rollback.name == "rollback" and rollback.status == "fail"
    assert rollback.migration == "0009_reminders"
    assert rollback.detail == "rollback of 0009_reminders does not undo the migration"
    assert "0009_reminders: left behind: table public.session_reminders" in rollback.lines
    # Only the leaky migration is blamed, not the older ones rolled back after it.
    assert all(line.startswith("0009_reminders:") for line in rollback.lines)
    assert statuses(report)["clean after rollback"] == "fail"
    assert report.exit_code == ExitCode.FAILURE
    assert "CHECK FAILED at rollback (0009_reminders)" in report.summary_line()


def test_leftover_that_blocks_an_older_rollback_is_still_blamed_on_its_migration(
    tmp_path: Path, on_session_server: str
) -> None:
    migrations = with_extra_migration(tmp_path, "0009_reminders", LEAKY_FK_FORWARD, LEAKY_ROLLBACK)
    report = run_check(migrations, SPEC, QUERIES, backend=on_session_server)
    rollback = report.phases[3]
    assert rollback.status == "fail" and rollback.migration == "0009_reminders"
    assert "then the rollback of 0001_baseline failed" in rollback.detail
    assert "session_reminders" in rollback.detail  # the baseline names the blocking table
    assert "0009_reminders: left behind: table public.session_reminders" in rollback.lines
    assert [p.status for p in report.phases[4:]] == ["skip"] * 3
    assert report.exit_code == ExitCode.FAILURE


def test_migration_that_breaks_verify_fails_naming_it(
    tmp_path: Path, on_session_server: str
) -> None:
    migrations = with_extra_migration(
        tmp_path, "0009_widen_grade_level", WIDENING_FORWARD, WIDENING_ROLLBACK
    )
    report = run_check(migrations, SPEC, QUERIES, backend=on_session_server)
    verify = report.phases[2]
    assert verify.name == "verify" and verify.status == "fail"
    assert verify.migration == "0009_widen_grade_level"
    assert verify.exit_code == ExitCode.SCHEMA_MISMATCH
    assert any(
        line.startswith("[0009_widen_grade_level]") and "grade_level" in line
        for line in verify.lines
    )
    # Its rollback is correct, so the round trip passes; the first failure sets the exit code.
    assert statuses(report)["rollback"] == "pass"
    assert statuses(report)["clean after rollback"] == "pass"
    assert report.exit_code == ExitCode.SCHEMA_MISMATCH


def test_failing_migration_stops_the_check_and_is_named(
    tmp_path: Path, on_session_server: str
) -> None:
    migrations = with_extra_migration(
        tmp_path, "0009_broken", "ALTER TABLE no_such_table ADD COLUMN x integer;\n", "SELECT 1;\n"
    )
    report = run_check(migrations, SPEC, QUERIES, backend=on_session_server)
    migrate = report.phases[1]
    assert migrate.status == "fail" and migrate.migration == "0009_broken"
    assert "no_such_table" in migrate.detail
    assert [p.status for p in report.phases[2:]] == ["skip"] * 5
    assert report.exit_code == ExitCode.FAILURE


# A database some legacy scripts started: users with more columns than the
# baseline's, and tutor_profiles; the baseline adopts them and creates the rest.
PARTIAL_LEGACY_SCHEMA = """
CREATE TABLE users (id serial PRIMARY KEY, email varchar NOT NULL UNIQUE);
CREATE TABLE tutor_profiles (
    id serial PRIMARY KEY,
    user_id integer UNIQUE NOT NULL REFERENCES users (id),
    bio text
);
"""


def test_check_from_a_schema_dump(
    tmp_path: Path, empty_db_url: str, on_session_server: str
) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(PARTIAL_LEGACY_SCHEMA)
    dump = pg_dump_schema(empty_db_url, tmp_path / "legacy.sql")
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend=on_session_server, from_dump=dump)
    assert [p.name for p in report.phases] == [PHASES[0], "load fixture", *PHASES[1:]]
    assert statuses(report) == dict.fromkeys(statuses(report), "pass"), report.summary_line()
    assert report.started_from == "the dump legacy.sql"
    # 0002 added the five columns and 0003 its index; their rollbacks take them away
    # again. The baseline created the missing tables too, but its rollback would drop
    # the dump's own (empty) users and profiles with them: it stays applied.
    rollback, clean = report.phases[4], report.phases[5]
    assert rollback.detail.startswith(
        f"rolled back {newer_than(BASELINE)} migration(s); {BASELINE} and older stay"
    )
    assert "would drop or change" in rollback.detail and "the dump had" in rollback.detail
    assert "table public.users" in rollback.detail
    assert clean.detail == f"the schema is exactly as right after {BASELINE} again"
    assert report.phases[6].detail.startswith(f"applied {newer_than(BASELINE)} migration(s) again")


@pytest.mark.parametrize("seed_columns", [False, True], ids=["without", "with-seed-columns"])
def test_check_from_a_production_dump_never_drops_what_it_had(
    tmp_path: Path, empty_db_url: str, on_session_server: str, seed_columns: bool
) -> None:
    """A production schema: 57 tables, 50 with foreign keys into users and the profiles
    (astegni-legacy-states.md, section 4). Up, back to the dump's own start, up again."""
    build_production_schema(empty_db_url, seed_columns=seed_columns)
    dump = pg_dump_schema(empty_db_url, tmp_path / "production.sql")
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend=on_session_server, from_dump=dump)
    assert report.exit_code == ExitCode.OK, "\n".join(
        f"{p.name}: {p.detail} {p.lines}" for p in report.phases
    )
    rollback = report.phases[4]
    # Production never had 0003's index: 0003 built it, so it is rolled back and applied again.
    if seed_columns:  # 0001 and 0002 found their objects there: they stay applied
        assert rollback.detail.startswith(
            f"rolled back {newer_than(SCHEDULE_FIELDS)} migration(s); "
            f"{SCHEDULE_FIELDS} and older stay"
        )
        assert report.phases[6].detail.startswith(
            f"applied {newer_than(SCHEDULE_FIELDS)} migration(s) again"
        )
    else:  # 0002 added the columns: rolled back and applied again
        assert rollback.detail.startswith(
            f"rolled back {newer_than(BASELINE)} migration(s); {BASELINE} and older"
        )
        assert report.phases[6].detail.startswith(
            f"applied {newer_than(BASELINE)} migration(s) again"
        )
    assert "created nothing here" in rollback.detail


def test_check_from_a_dump_that_already_has_the_index_keeps_it(
    tmp_path: Path, empty_db_url: str, on_session_server: str
) -> None:
    """Production built 0003's index by hand before the migration shipped: 0003 finds it
    there, so its rollback (DROP INDEX) would drop the dump's own index; it stays, and
    every older migration with it."""
    build_production_schema(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:  # CONCURRENTLY: no transaction
        conn.execute((MIGRATIONS_DIR / f"{SESSIONS_INDEX}.sql").read_text())
    dump = pg_dump_schema(empty_db_url, tmp_path / "indexed.sql")
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend=on_session_server, from_dump=dump)
    assert report.exit_code == ExitCode.OK, report.summary_line()
    rollback, clean = report.phases[4], report.phases[5]
    assert rollback.detail.startswith(
        f"rolled back {newer_than(SESSIONS_INDEX)} migration(s); {SESSIONS_INDEX} and older"
        " stay applied (it created nothing here"
    )
    assert clean.detail == f"the schema is exactly as right after {SESSIONS_INDEX} again"
    assert report.phases[6].detail.startswith(
        f"applied {newer_than(SESSIONS_INDEX)} migration(s) again"
    )


def test_a_rollback_that_refuses_on_the_dump_keeps_its_migration(
    tmp_path: Path, empty_db_url: str, on_session_server: str
) -> None:
    """The dump lacks a baseline table, so the baseline creates it; its rollback then
    refuses (the dump's tables reference users): tried, thrown away, reported."""
    build_production_schema(empty_db_url, missing=("tutor_teaching_schedules",))
    dump = pg_dump_schema(empty_db_url, tmp_path / "partial.sql")
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend=on_session_server, from_dump=dump)
    assert report.exit_code == ExitCode.OK, report.summary_line()
    rollback = report.phases[4]
    assert "0001_baseline and older stay applied (its rollback refuses here:" in rollback.detail
    assert "other tables reference its tables" in rollback.detail


def test_dump_that_does_not_load_fails_the_load_phase(
    tmp_path: Path, on_session_server: str
) -> None:
    dump = tmp_path / "broken.sql"
    dump.write_text("CREATE TABLE ok (id integer);\nCREATE TABLE broken (id no_such_type);\n")
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend=on_session_server, from_dump=dump)
    load = report.phases[1]
    assert load.name == "load fixture" and load.status == "fail"
    assert "no_such_type" in load.detail
    assert [p.status for p in report.phases[2:]] == ["skip"] * 6
    assert report.exit_code == ExitCode.FAILURE


def test_legacy_state_with_rows_keeps_what_it_had(on_session_server: str) -> None:
    """Legacy state 3 had the five columns, with values: 0002 created nothing there, so
    its rollback (which would drop them) is not run; the round trip passes."""
    report = run_check(
        MIGRATIONS_DIR,
        SPEC,
        QUERIES,
        backend=on_session_server,
        legacy_state="tests.legacy_states:build_state_3",
    )
    assert report.exit_code == ExitCode.OK, report.summary_line()
    rollback = report.phases[4]
    assert rollback.status == "pass"
    assert "0002_tutoring_sessions_schedule_fields and older stay applied" in rollback.detail

    kept = run_check(
        MIGRATIONS_DIR,
        SPEC,
        QUERIES,
        backend=on_session_server,
        legacy_state="tests.legacy_states:build_state_3",
        round_trip=False,
    )
    assert kept.exit_code == ExitCode.OK
    # The state held rows: the last phase proves migrating lost none.
    assert [p.status for p in kept.phases] == ["pass"] * 4 + ["skip"] * 4 + ["pass"]
    assert kept.phases[4].detail == "skipped: round trip disabled (--no-round-trip)"
    assert kept.phases[-1].name == "rows kept"
    assert kept.phases[-1].detail.endswith("row(s) in 7 table(s): none lost by migrating")


def test_bad_input_fails_before_starting_anything(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="migrations directory not found"):
        run_check(tmp_path / "none", SPEC, QUERIES)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no migrations found"):
        run_check(tmp_path / "empty", SPEC, QUERIES)
    with pytest.raises(ConfigError, match="cannot be combined"):
        run_check(MIGRATIONS_DIR, SPEC, QUERIES, from_dump=SPEC, legacy_state="x:y")
    with pytest.raises(ConfigError, match="dump file not found"):
        run_check(MIGRATIONS_DIR, SPEC, QUERIES, from_dump=tmp_path / "none.sql")


def test_command_prints_json_and_writes_junit(tmp_path: Path, on_session_server: str) -> None:
    migrations = with_extra_migration(tmp_path, "0009_reminders", LEAKY_FORWARD, LEAKY_ROLLBACK)
    junit_path = tmp_path / "reports" / "nested" / "check.xml"  # directories made on demand
    done = run_cli(
        "check",
        "--migrations-dir",
        str(migrations),
        "--backend",
        on_session_server,
        "--format",
        "json",
        "--junit",
        str(junit_path),
    )
    assert done.code == ExitCode.FAILURE
    payload = json.loads(done.stdout)
    assert payload["command"] == "check"
    assert payload["ok"] is False and payload["exit_code"] == 1
    assert payload["phases"][3]["migration"] == "0009_reminders"
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [f"{i:02d} {n}" for i, n in enumerate(PHASES, 1)]
    failing = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failing == ["04 rollback", "05 clean after rollback"]
    assert suite.get("failures") == "2" and suite.get("tests") == "7"


def test_text_report_shows_each_phase_and_the_failure_details() -> None:
    report = CheckReport(
        phases=[
            PhaseResult("migrate", "pass", 12.0, "applied 3 migration(s)"),
            PhaseResult(
                "rollback",
                "fail",
                5.0,
                "rollback of 0009_x does not undo the migration",
                ["0009_x: left behind: table public.t"],
                ExitCode.FAILURE,
                "0009_x",
            ),
            PhaseResult("verify again", "skip", detail="skipped: rollback failed"),
        ],
        backend="local",
    )
    text = StringIO()
    render(report, "text", text)
    lines = text.getvalue().splitlines()
    assert lines[0].startswith("PASS  migrate")
    assert lines[1].startswith("FAIL  rollback") and lines[1].endswith(
        "does not undo the migration"
    )
    assert lines[2].strip() == "0009_x: left behind: table public.t"
    assert lines[3].startswith("SKIP  verify again")
    assert lines[4].startswith("CHECK FAILED at rollback (0009_x): 1 passed, 1 failed, 1 skipped")
    assert report.exit_code == ExitCode.FAILURE


def test_dump_loads_statement_by_statement_without_its_owners(
    tmp_path: Path, empty_db_url: str, pg_server: Server
) -> None:
    from astegni_db.disposable import temporary_database
    from astegni_db.roundtrip import fixtures

    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(PARTIAL_LEGACY_SCHEMA)
    dump = pg_dump_schema(empty_db_url, tmp_path / "legacy.sql")
    assert "OWNER TO" in dump.read_text()  # dropped on load: the role may not exist
    with temporary_database(pg_server, purpose="dump") as url:
        target = pg_server.target(dbname_of(url))
        assert "statement by statement" in fixtures.load_dump(target, dump)
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'tutor_profiles'::regclass "
                "AND attnum > 0 ORDER BY attnum"
            ).fetchall()
    assert [r[0] for r in rows] == ["id", "user_id", "bio"]


# --- dumps with rows --------------------------------------------------------------


def pg_dump_with_rows(url: str, dump: Path) -> Path:
    subprocess.run([pg_dump_for(url), "-f", str(dump), "-d", url], check=True, capture_output=True)
    return dump


@pytest.fixture
def production_dump_with_rows(tmp_path: Path, empty_db_url: str) -> Path:
    """The 57-table production schema with 530 rows in 17 tables (whole pg_dump)."""
    build_production_schema(empty_db_url, with_rows=True)
    return pg_dump_with_rows(empty_db_url, tmp_path / "production-with-rows.sql")


def test_a_dump_with_rows_needs_with_data(production_dump_with_rows: Path) -> None:
    """Production rows are large and personal: loading them is a decision (exit 2,
    before any server starts), and the refusal says how to decide either way."""
    done = run_cli("check", "--from-dump", str(production_dump_with_rows))
    assert done.code == ExitCode.USAGE, done.output
    assert "holds rows for 17 table(s) (public.blog_comments, public.blog_posts," in done.output
    assert "--from-dump expects a schema-only dump" in done.output
    assert "pass --with-data" in done.output and "pg_dump --schema-only" in done.output
    assert "PASS" not in done.output and "start server" not in done.output
    alone = run_cli("check", "--with-data")
    assert alone.code == ExitCode.USAGE and "give --from-dump too" in alone.output


def test_with_data_the_round_trip_keeps_every_row(
    production_dump_with_rows: Path, on_session_server: str
) -> None:
    # COPY blocks go through psycopg's COPY FROM STDIN (never psql: test_dump_loading.py).
    report = run_check(
        MIGRATIONS_DIR,
        SPEC,
        QUERIES,
        backend=on_session_server,
        from_dump=production_dump_with_rows,
        with_data=True,
    )
    assert report.exit_code == ExitCode.OK, "\n".join(
        f"{p.name}: {p.detail} {p.lines}" for p in report.phases
    )
    assert [p.name for p in report.phases] == [
        PHASES[0], "load fixture", *PHASES[1:], "rows kept"
    ]  # fmt: skip
    load, rows = report.phases[1], report.phases[-1]
    assert "statement by statement" in load.detail
    assert rows.detail == (
        "530 row(s) in 17 table(s): none lost by migrating, all identical after the round trip"
    )
    # 0002 added the five columns to the 120 sessions and 0003 indexed them; both were
    # rolled back and applied again.
    assert report.phases[4].detail.startswith(f"rolled back {newer_than(BASELINE)} migration(s)")


# Not idempotent, and its rollback does not undo the data change: applied again
# after the rollback, every session's duration has grown twice.
DRIFTING_FORWARD = """ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS reminder_sent boolean;
UPDATE tutoring_sessions SET duration = duration + 15;
"""
# Removes what it calls duplicates: rows the start held are gone after migrating.
DELETING_FORWARD = """ALTER TABLE refresh_tokens ADD COLUMN IF NOT EXISTS rotated_at timestamp;
DELETE FROM refresh_tokens WHERE is_revoked;
"""


@pytest.mark.parametrize(
    ("forward", "rollback", "expected"),
    [
        (
            DRIFTING_FORWARD,
            LEAKY_ROLLBACK,
            "table public.tutoring_sessions: the values of its 120 row(s) differ after the"
            " round trip",
        ),
        (
            DELETING_FORWARD,
            "ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS rotated_at;\n",
            "table public.refresh_tokens: 20 row(s) before migrating, 17 after",
        ),
    ],
    ids=["values-drift", "rows-deleted"],
)
def test_rows_kept_fails_naming_the_table(
    tmp_path: Path,
    production_dump_with_rows: Path,
    on_session_server: str,
    forward: str,
    rollback: str,
    expected: str,
) -> None:
    migrations = with_extra_migration(tmp_path, "0009_data", forward, rollback)
    report = run_check(
        migrations,
        SPEC,
        QUERIES,
        backend=on_session_server,
        from_dump=production_dump_with_rows,
        with_data=True,
    )
    rows = report.phases[-1]
    assert (rows.name, rows.status) == ("rows kept", "fail"), rows
    assert rows.detail == "rows the start held were lost or changed (530 row(s) in 17 table(s))"
    assert rows.lines == [expected]
    assert report.exit_code == ExitCode.FAILURE


def test_a_pg_dump_archive_is_refused_with_the_way_to_convert_it(tmp_path: Path) -> None:
    archive = tmp_path / "prod.dump"
    archive.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01" + bytes(range(256)))
    done = run_cli("check", "--from-dump", str(archive))
    assert done.code == ExitCode.USAGE, done.output
    assert "is a pg_dump archive (custom or tar format), not SQL text" in done.output
    assert f"pg_restore --schema-only -f schema.sql {archive}" in done.output


def test_unreachable_url_server_is_exit_7_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from astegni_db.disposable.local import free_port

    url = f"postgresql://postgres:s3cret-pw@127.0.0.1:{free_port()}/postgres"
    monkeypatch.setenv("ASTEGNI_DB_TEST_URL", url)
    report = run_check(MIGRATIONS_DIR, SPEC, QUERIES, backend="url")
    start = report.phases[0]
    assert start.status == "fail" and start.exit_code == ExitCode.UNREACHABLE
    assert "cannot create the check database" in start.detail
    assert "s3cret-pw" not in start.detail
    assert [p.status for p in report.phases[1:]] == ["skip"] * 6
    assert report.exit_code == ExitCode.UNREACHABLE


def test_a_nontransactional_rollback_is_tried_in_its_plain_form() -> None:
    """check tries a `-- transactional: false` rollback inside a savepoint: CONCURRENTLY
    dropped where the plain form ends in the same catalog, refused where it cannot."""
    from astegni_db.roundtrip.rollbacks import trial_text

    assert trial_text("DROP INDEX CONCURRENTLY IF EXISTS i;") == "DROP INDEX IF EXISTS i;"
    assert trial_text("-- why\ncreate unique index concurrently i on t (a);\nDROP TABLE x;") == (
        "-- why\ncreate unique index i on t (a);\nDROP TABLE x;"
    )
    assert trial_text("REINDEX (VERBOSE) INDEX CONCURRENTLY i;") == "REINDEX (VERBOSE) INDEX i;"
    assert trial_text("VACUUM t;") is None
    assert trial_text("ALTER TABLE p DETACH PARTITION c CONCURRENTLY;") is None
