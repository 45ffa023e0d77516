"""`astegni-db plan`: for every kind of difference verify reports, a plan that closes it.

The database under test is a legacy Astegni database (state 3: rows with
legacy spellings, another script's constraint and index names) that migrate
adopted; each case then drifts it the way a hand-run script would. For each:

- verify (strict) sees the drift;
- plan writes migrations that lint clean and print every step;
- migrate applies them while the benchmarks' read/insert mix runs on
  tutoring_sessions (tests/session_load.py): no client errors;
- verify --strict is clean afterwards, and every row and value that existed
  before is unchanged (the rows the load inserted are extra, and only extra);
- rolling the plan's migrations back returns exactly the drifted schema.

Differences a plan must not automate end in a named procedure and exit 6.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
import pytest

from astegni_db import api
from astegni_db.converging.planner import PlanOptions
from astegni_db.disposable.databases import temporary_database
from astegni_db.errors import MigrationFailed
from astegni_db.project.spec import normalise_check
from astegni_db.settings import dbname_of
from astegni_db.verify.meaning import expression_key
from tests.helpers import assert_clean_failure, copy_migrations, run_cli
from tests.legacy_states import DRIFT_STATES, build_state_3
from tests.session_load import SessionLoad
from tests.test_migrations_converge import describe, snapshot

SPEC = Path(__file__).resolve().parent.parent / "checks" / "schema.toml"
PROJECT_MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class Drift(NamedTuple):
    sql: str
    options: PlanOptions = PlanOptions()
    load: bool = True  # tutoring_sessions is there for the load to use


_DROP_SCHEDULE_CHECK = """
DO $$
DECLARE c text;
BEGIN
    SELECT conname INTO c FROM pg_constraint
     WHERE conrelid = 'tutor_teaching_schedules'::regclass AND contype = 'c'
       AND pg_get_constraintdef(oid) LIKE '%{column}%';
    EXECUTE format('ALTER TABLE tutor_teaching_schedules DROP CONSTRAINT %I', c);
END $$;
"""

# One case per kind of finding (compare.py): what a script did, and what the plan must undo.
CONVERGING: dict[str, Drift] = {
    "column_missing": Drift("ALTER TABLE tutoring_sessions DROP COLUMN grade_level"),
    "column_extra_empty": Drift(
        "ALTER TABLE tutoring_sessions ADD COLUMN legacy_note text",
        PlanOptions(drop_extra=True),
    ),
    "type_narrower_varchar": Drift(
        "ALTER TABLE tutoring_sessions ALTER COLUMN grade_level TYPE varchar(30)"
    ),
    "type_value_less_rewrite": Drift(
        "ALTER TABLE tutoring_sessions DROP COLUMN package_duration;"
        " ALTER TABLE tutoring_sessions ADD COLUMN package_duration text",
        PlanOptions(allow_rewrite=True),
    ),
    "nullable_should_be_not_null": Drift(
        "ALTER TABLE tutoring_sessions ALTER COLUMN subject DROP NOT NULL"
    ),
    "not_null_should_be_nullable": Drift(
        "ALTER TABLE tutoring_sessions ALTER COLUMN created_at SET NOT NULL"
    ),
    "default_dropped": Drift("ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT"),
    "default_changed": Drift(
        "ALTER TABLE tutoring_sessions ALTER COLUMN mode SET DEFAULT 'offline'"
    ),
    "default_added": Drift(
        "ALTER TABLE tutoring_sessions ALTER COLUMN session_frequency SET DEFAULT 'one-time'"
    ),
    "serial_default_dropped": Drift(
        "ALTER TABLE tutor_teaching_schedules ALTER COLUMN id DROP DEFAULT"
    ),
    "comment_rewritten": Drift(
        "COMMENT ON COLUMN tutoring_sessions.is_recurring IS 'recurring session flag'"
    ),
    "comment_removed": Drift("COMMENT ON COLUMN tutoring_sessions.grade_level IS NULL"),
    "primary_key_missing": Drift(
        "ALTER TABLE tutor_teaching_schedules DROP CONSTRAINT tutor_teaching_schedules_pkey"
    ),
    "foreign_key_missing": Drift(
        "ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey"
    ),
    "foreign_key_different": Drift(
        "ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey;"
        " ALTER TABLE tutoring_sessions ADD CONSTRAINT sessions_tutor FOREIGN KEY (tutor_id)"
        " REFERENCES tutor_profiles (id) ON DELETE CASCADE"
    ),
    "foreign_key_extra": Drift(
        "ALTER TABLE tutor_teaching_schedules ADD CONSTRAINT schedules_tutor_again"
        " FOREIGN KEY (tutor_id) REFERENCES users (id)"
    ),
    "foreign_key_not_valid": Drift(
        "ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_student_id_fkey;"
        " ALTER TABLE tutoring_sessions ADD CONSTRAINT tutoring_sessions_student_id_fkey"
        " FOREIGN KEY (student_id) REFERENCES student_profiles (id) NOT VALID"
    ),
    "check_missing": Drift(_DROP_SCHEDULE_CHECK.format(column="status")),
    "check_extra": Drift(
        "ALTER TABLE tutoring_sessions ADD CONSTRAINT positive_duration CHECK (duration > 0)"
    ),
    "check_not_valid": Drift(
        _DROP_SCHEDULE_CHECK.format(column="schedule_type")
        + "ALTER TABLE tutor_teaching_schedules ADD CONSTRAINT schedule_type_check"
        " CHECK (schedule_type IN ('recurring', 'specific')) NOT VALID"
    ),
    "index_missing": Drift("DROP INDEX tutoring_sessions_tutor_date_idx"),
    "index_invalid": Drift(
        "UPDATE pg_index SET indisvalid = false"
        " WHERE indexrelid = 'tutoring_sessions_tutor_date_idx'::regclass"
    ),
    "index_extra": Drift(
        "CREATE INDEX sessions_by_subject ON tutoring_sessions (subject)",
        PlanOptions(drop_extra=True),
    ),
    "table_missing": Drift("DROP TABLE tutor_teaching_schedules"),
    # The load needs tutoring_sessions, which is away until the plan renames it back.
    "table_renamed_away": Drift(
        "ALTER TABLE tutoring_sessions RENAME TO tutor_sessions", load=False
    ),
}


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adopted_template(disposable_databases: Any) -> Iterator[str]:
    """State 3, migrated: the database every case drifts from (built once)."""
    with temporary_database(disposable_databases.server, purpose="plan") as url:
        build_state_3(url)
        api.migrate(url, PROJECT_MIGRATIONS_DIR)
        yield dbname_of(url)


@pytest.fixture
def adopted(disposable_databases: Any, adopted_template: str) -> Iterator[str]:
    with temporary_database(
        disposable_databases.server, template=adopted_template, purpose="plan-case"
    ) as url:
        yield url


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    return copy_migrations(tmp_path / "migrations")


def drift(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def rows_kept(before: dict[str, Any], after: dict[str, Any], renamed: dict[str, str]) -> None:
    """Every row and value of ``before`` is in ``after``, unchanged (rows may be added)."""
    for table, old in before["tables"].items():
        new = after["tables"].get(renamed.get(table, table))
        assert new is not None, f"table {table} is gone"
        for row_id, old_row in old["rows"].items():
            assert row_id in new["rows"], f"{table} id={row_id} is gone"
            new_row = new["rows"][row_id]
            changed = {c: (v, new_row.get(c)) for c, v in old_row.items() if new_row.get(c) != v}
            assert not changed, f"{table} id={row_id}: values changed {changed}"


def plan_and_migrate(
    url: str, migrations: Path, options: PlanOptions, *, load: bool
) -> tuple[api.PlanReport, list[str], SessionLoad | None]:
    report = api.plan(url, SPEC, migrations, options)
    assert report.migrations, report.plan_text()
    api.write_plan(report)
    written = [m.migration_id for m in report.migrations]
    assert api.lint([migrations], spec_path=SPEC).findings == []
    running: SessionLoad | None = None
    with contextlib.ExitStack() as stack:
        if load:
            running = stack.enter_context(SessionLoad(url))
        applied = api.migrate(url, migrations).applied
    assert [s.migration_id for s in applied] == written
    return report, written, running


# --- every kind of finding --------------------------------------------------------------


def test_the_adopted_database_is_strictly_clean(adopted: str) -> None:
    report = api.verify(adopted, SPEC, strict=True)
    assert report.ok, [f.message for f in report.failing]
    plan = api.plan(adopted, SPEC, PROJECT_MIGRATIONS_DIR)
    assert (plan.steps, plan.manual, plan.migrations) == ([], [], [])
    assert plan.exit_code == 0
    assert "nothing to write" in plan.summary_line()


@pytest.mark.parametrize("case", sorted(CONVERGING))
def test_plan_closes_the_difference_under_load(case: str, adopted: str, migrations: Path) -> None:
    url = adopted
    given = CONVERGING[case]
    drift(url, given.sql)
    drifted_shape, before = describe_any(url), snapshot(url)
    assert not api.verify(url, SPEC, strict=True).ok, "the drift is not visible to verify"

    report, written, load = plan_and_migrate(url, migrations, given.options, load=given.load)

    assert report.exit_code == 0 and report.manual == [], report.plan_text()
    phases = [step.phase for step in report.steps]
    assert phases == sorted(phases, key=("schema", "indexes", "validate").index)  # as they run
    if load is not None:
        assert load.errors == [], load.errors[:3]
        assert load.transactions > 0
    after = api.verify(url, SPEC, strict=True)
    assert after.ok, [f.message for f in after.failing]
    rows_kept(before, snapshot(url), {"tutor_sessions": "tutoring_sessions"})

    rolled = api.rollback(url, migrations, api.RollbackSelection(steps=len(written)))
    assert [s.migration_id for s in rolled.rolled_back] == list(reversed(written))
    if case == "index_invalid":
        # An INVALID index served no query and is not rebuilt broken: all else is back.
        drifted_shape["tutoring_sessions"]["indexes"] = [
            i for i in drifted_shape["tutoring_sessions"]["indexes"] if i[3]
        ]
    assert comparable(describe_any(url)) == comparable(drifted_shape)


def comparable(shape: dict[str, Any]) -> dict[str, Any]:
    """``shape`` with CHECKs by meaning: re-adding a CHECK from its printed text can
    print its casts differently (ARRAY[...]::text[] against ARRAY[...::text, ...])."""
    for table in shape.values():
        if isinstance(table, dict) and "constraints" in table:
            table["constraints"] = sorted(
                (kind, repr(expression_key(normalise_check(text))) if kind == "c" else text, *rest)
                for kind, text, *rest in table["constraints"]
            )
    return shape


def describe_any(url: str) -> dict[str, Any]:
    """describe() of the two shaped tables, or of what stands in for a missing one."""
    with psycopg.connect(url) as conn:
        present = {
            name
            for (name,) in conn.execute(
                "SELECT relname::text FROM pg_class WHERE relname = ANY (%s) AND relkind = 'r'",
                (["tutoring_sessions", "tutor_teaching_schedules", "tutor_sessions"],),
            )
        }
    if present >= {"tutoring_sessions", "tutor_teaching_schedules"}:
        return describe(url)
    return {"present": sorted(present), "data": snapshot(url)["tables"].keys()}


def test_an_extra_column_with_values_is_kept_unless_asked(adopted: str, migrations: Path) -> None:
    drift(
        adopted,
        "ALTER TABLE tutoring_sessions ADD COLUMN legacy_note text;"
        " UPDATE tutoring_sessions SET legacy_note = 'kept' WHERE id <= 9",
    )
    kept = api.plan(adopted, SPEC, migrations)
    assert kept.migrations == [] and kept.exit_code == 0
    assert [k.object for k in kept.kept] == ["tutoring_sessions.legacy_note"]
    assert "values in 9 rows" in kept.kept[0].difference
    assert "--drop-extra" in kept.kept[0].why

    dropping = api.plan(adopted, SPEC, migrations, PlanOptions(drop_extra=True))
    [step] = dropping.steps
    assert "values in 9 rows lost" in step.action
    assert "deleted" in step.consequence


# --- what a plan must not automate --------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "procedure", "still_written"),
    [
        (
            "ALTER TABLE tutoring_sessions ALTER COLUMN recurring_pattern TYPE jsonb",
            "expand and contract",
            0,
        ),
        (
            "ALTER TABLE tutoring_sessions DROP COLUMN package_duration;"
            " ALTER TABLE tutoring_sessions ADD COLUMN package_duration text",
            "pass --allow-rewrite",
            1,  # the column's comment is still written
        ),
        (
            "ALTER TABLE tutoring_sessions ALTER COLUMN subject DROP NOT NULL;"
            " UPDATE tutoring_sessions SET subject = NULL WHERE id = 1",
            "fill the NULLs, then plan again",
            1,  # the check is added NOT VALID: new NULLs are refused from now on
        ),
        (
            "ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey;"
            " UPDATE tutoring_sessions SET tutor_id = 999 WHERE id = 2",
            "clean the rows, then validate",
            1,
        ),
    ],
    ids=["type_with_values", "type_rewrite_not_allowed", "nulls_in_rows", "orphan_rows"],
)
def test_differences_that_need_a_person_get_a_named_procedure(
    sql: str, procedure: str, still_written: int, adopted: str, migrations: Path
) -> None:
    drift(adopted, sql)
    before = snapshot(adopted)
    report = api.plan(adopted, SPEC, migrations)
    assert report.exit_code == 6
    assert [m.procedure for m in report.manual] == [procedure], report.plan_text()
    assert "NEEDS A PERSON" in report.plan_text()
    assert len(report.migrations) == still_written
    if still_written:
        api.write_plan(report)
        api.migrate(adopted, migrations)
    assert snapshot(adopted) == before


# --- the drift states of astegni-legacy-states.md -----------------------------------------


@pytest.fixture(scope="module")
def drift_template(disposable_databases: Any) -> Iterator[Callable[[str], str]]:
    built: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def template(name: str) -> str:
            if name not in built:
                url = stack.enter_context(
                    temporary_database(disposable_databases.server, purpose="drift")
                )
                DRIFT_STATES[name](url)
                built[name] = dbname_of(url)
            return built[name]

        yield template


@pytest.mark.parametrize("name", sorted(DRIFT_STATES))
def test_every_drift_state_converges_through_plan_then_migrate(
    name: str,
    disposable_databases: Any,
    drift_template: Callable[[str], str],
    migrations: Path,
) -> None:
    with temporary_database(
        disposable_databases.server, template=drift_template(name), purpose="drift-case"
    ) as url:
        before = snapshot(url)
        # Adopted databases are migrated; the other-shape one is new to astegni-db.
        api.migrate(url, migrations)
        other_shape = name == "other_shape_under_spec_name"
        options = PlanOptions(move_aside=frozenset({"tutor_teaching_schedules"}))
        report = api.plan(url, SPEC, migrations, options if other_shape else None)
        api.write_plan(report)
        api.migrate(url, migrations)
        # The cleanup script dropped the enrollments the sessions point at: that
        # key stays NOT VALID (a warning) until a person cleans the rows.
        verified = api.verify(url, SPEC, strict=name != "post_adoption_cleanup")
        assert verified.ok, [f.message for f in verified.failing]
        assert report.exit_code == (6 if name == "post_adoption_cleanup" else 0)
        renamed = (
            {"tutor_teaching_schedules": "tutor_teaching_schedules_moved_aside"}
            if other_shape
            else {"tutor_sessions": "tutoring_sessions"}
        )
        rows_kept(before, snapshot(url), renamed)


def test_the_other_shape_needs_a_person_without_the_flag(
    disposable_databases: Any, drift_template: Callable[[str], str], migrations: Path
) -> None:
    with temporary_database(
        disposable_databases.server,
        template=drift_template("other_shape_under_spec_name"),
        purpose="drift-case",
    ) as url:
        api.migrate(url, migrations)
        report = api.plan(url, SPEC, migrations)
        assert report.exit_code == 6
        [manual] = [m for m in report.manual if m.table == "tutor_teaching_schedules"]
        assert manual.procedure == "move the table aside, then migrate"
        assert "another table's shape" in manual.difference
        assert "60 rows" in manual.difference


# --- the command ------------------------------------------------------------------------------


def test_cli_shows_the_plan_and_writes_only_when_confirmed(adopted: str, migrations: Path) -> None:
    drift(adopted, "ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT")
    before = sorted(p.name for p in migrations.iterdir())
    args = ["plan", "--database-url", adopted, "--migrations-dir", str(migrations)]

    refused = run_cli(*args)  # no terminal to ask on, no --yes
    assert_clean_failure(refused, [2])
    assert "tutoring_sessions.duration: default: expected 60, found no default" in refused.stdout
    assert "rows inserted without duration get 60 instead of NULL" in refused.stdout
    assert sorted(p.name for p in migrations.iterdir()) == before

    dry = run_cli(*args, "--dry-run")
    assert dry.code == 0, dry.output
    assert "ALTER TABLE tutoring_sessions ALTER COLUMN duration SET DEFAULT 60;" in dry.stdout
    assert sorted(p.name for p in migrations.iterdir()) == before

    assert run_cli(*args, "--format", "json").code == 2  # JSON without --yes: refused too
    wrote = run_cli(*args, "--yes", "--name", "restore_duration_default")
    assert wrote.code == 0, wrote.output
    new = sorted(set(p.name for p in migrations.iterdir()) - set(before))
    assert new == [
        "0005_restore_duration_default.rollback.sql",
        "0005_restore_duration_default.sql",
    ]
    assert "Next: astegni-db migrate" in wrote.stdout
    assert not list(migrations.glob(".*"))  # no scratch file left behind
    assert run_cli(*args, "--format", "json").code == 3  # 0005 written, not yet applied
    assert api.verify(adopted, SPEC).exit_code == 6
    api.migrate(adopted, migrations)
    assert api.verify(adopted, SPEC).ok


def test_cli_json_and_bad_input(adopted: str, migrations: Path) -> None:
    drift(adopted, "DROP INDEX tutoring_sessions_tutor_date_idx")
    args = ["plan", "--database-url", adopted, "--migrations-dir", str(migrations)]
    done = run_cli(*args, "--format", "json", "--dry-run")
    assert done.code == 0, done.output
    import json

    body = json.loads(done.stdout)
    assert body["command"] == "plan" and body["ok"] is True
    [step] = body["steps"]
    assert step["phase"] == "indexes"
    assert step["sql"][0].startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ")
    assert body["migrations"][0]["sql"].startswith("-- transactional: false\n")
    assert body["written"] == []

    unknown = run_cli(*args, "--move-aside", "bookings")
    assert_clean_failure(unknown, [2])
    assert "--move-aside bookings: not a table of the spec" in unknown.stderr
    bad_name = run_cli(*args, "--yes", "--name", "drop; table")
    assert_clean_failure(bad_name, [2])
    assert sorted(p.name for p in migrations.iterdir())[-1].startswith("0004_")


def test_a_second_plan_after_migrate_has_nothing_to_do(adopted: str, migrations: Path) -> None:
    drift(adopted, CONVERGING["check_missing"].sql)
    api.write_plan(api.plan(adopted, SPEC, migrations))
    api.migrate(adopted, migrations)
    again = api.plan(adopted, SPEC, migrations)
    assert again.steps == [] and again.exit_code == 0


def test_plan_reads_only(adopted: str, migrations: Path) -> None:
    """plan connects read-only: a role with SELECT alone can run it."""
    drift(adopted, "ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT")
    shape = describe(adopted)
    report = api.plan(adopted, SPEC, migrations)
    assert report.steps
    assert describe(adopted) == shape
    assert sorted(p.name for p in migrations.iterdir())[-1].startswith("0004_")


# --- the promises in docs/plan.md ---------------------------------------------------------


def test_rollbacks_refuse_to_drop_what_now_holds_data(adopted: str, migrations: Path) -> None:
    drift(
        adopted,
        "ALTER TABLE tutoring_sessions DROP COLUMN grade_level;"
        " DROP TABLE tutor_teaching_schedules",
    )
    report = api.plan(adopted, SPEC, migrations)
    api.write_plan(report)
    api.migrate(adopted, migrations)
    with psycopg.connect(adopted, autocommit=True) as conn:
        conn.execute("UPDATE tutoring_sessions SET grade_level = 'Grade 9' WHERE id = 1")
    shape, data = describe(adopted), snapshot(adopted)
    with pytest.raises(MigrationFailed, match="refusing to drop tutoring_sessions.grade_level"):
        api.rollback(adopted, migrations, api.RollbackSelection(steps=1))
    assert (describe(adopted), snapshot(adopted)) == (shape, data)
    with psycopg.connect(adopted, autocommit=True) as conn:
        conn.execute("UPDATE tutoring_sessions SET grade_level = NULL WHERE id = 1")
        conn.execute(
            "INSERT INTO tutor_teaching_schedules (tutor_id, title, subject, subject_type,"
            " grade_level, year, start_time, end_time)"
            " VALUES (1, 'Algebra', 'Mathematics', 'Academic', 'Grade 9', 2025, '10:00', '11:00')"
        )
    with pytest.raises(MigrationFailed, match="refusing to drop tutor_teaching_schedules"):
        api.rollback(adopted, migrations, api.RollbackSelection(steps=1))
    assert snapshot(adopted)["tables"]["tutor_teaching_schedules"]["rows"]


def test_a_question_not_answered_in_time_takes_the_careful_branch(
    adopted: str, migrations: Path
) -> None:
    from astegni_db.converging.run import plan as run_plan
    from astegni_db.settings import parse_database_url
    from tests.legacy_states import add_bulk_sessions

    add_bulk_sessions(adopted, 200_000)
    drift(adopted, "ALTER TABLE tutoring_sessions ALTER COLUMN subject DROP NOT NULL")
    target = parse_database_url(adopted, "test")
    quick = run_plan(target, SPEC, migrations, probe_timeout_s=0.001)
    [manual] = quick.manual
    assert manual.procedure == "fill the NULLs, then plan again"
    assert "could not be read in time" in manual.why
    patient = run_plan(target, SPEC, migrations)
    assert patient.manual == [] and any(s.phase == "validate" for s in patient.steps)


def test_a_plan_that_does_not_lint_clean_is_never_written(tmp_path: Path) -> None:
    from astegni_db.converging.report import PlanReport
    from astegni_db.converging.run import _check_files
    from astegni_db.converging.steps import MigrationText
    from astegni_db.errors import AstegniError

    unsafe = MigrationText(
        "schema",
        "0005_unsafe",
        "CREATE INDEX sessions_subject ON tutoring_sessions (subject);\n",
        "DROP INDEX IF EXISTS sessions_subject;\n",
    )
    report = PlanReport([], [], [], [unsafe], tmp_path)
    with pytest.raises(AstegniError, match=r"does not lint clean \(AD104"):
        _check_files(report, SPEC, None)
    assert list(tmp_path.iterdir()) == [] and report.written == []


def test_objects_outside_the_spec_are_kept_with_their_rows(
    adopted: str, migrations: Path, tmp_path: Path
) -> None:
    """A possible legacy copy, a view under a spec name, and a table the spec says
    must not exist: reported with their rows; dropped only while empty, on request."""
    spec = tmp_path / "schema.toml"
    spec.write_text(
        SPEC.read_text().replace("format = 1", 'format = 1\nunexpected_tables = ["old_bookings"]')
    )
    drift(
        adopted,
        "CREATE TABLE tutor_sessions (LIKE tutoring_sessions);"
        " INSERT INTO tutor_sessions SELECT * FROM tutoring_sessions WHERE id <= 7;"
        " CREATE TABLE old_bookings (id int); INSERT INTO old_bookings VALUES (1), (2)",
    )
    report = api.plan(adopted, spec, migrations, PlanOptions(drop_extra=True))
    kept = {k.object: k for k in report.kept}
    assert "has the columns of tutoring_sessions and 7 rows" in kept["tutor_sessions"].difference
    assert "holds rows" in kept["old_bookings"].why and "2 rows" in kept["old_bookings"].difference
    assert report.migrations == [] and report.exit_code == 0

    drift(adopted, "DELETE FROM old_bookings")
    emptied = api.plan(adopted, spec, migrations, PlanOptions(drop_extra=True))
    [step] = emptied.steps
    assert step.object == "old_bookings" and step.action.startswith("drop table:")
    api.write_plan(emptied)
    api.migrate(adopted, migrations)
    assert api.verify(adopted, spec).ok
    assert snapshot(adopted)["tables"]["tutor_sessions"]["rows"]  # the copy is untouched


def test_a_view_under_a_spec_name_needs_a_person(adopted: str, migrations: Path) -> None:
    drift(
        adopted,
        "ALTER TABLE tutor_teaching_schedules RENAME TO schedules_2024;"
        " CREATE VIEW tutor_teaching_schedules AS SELECT * FROM schedules_2024",
    )
    report = api.plan(adopted, SPEC, migrations)
    [manual] = report.manual
    assert manual.procedure == "move the object aside, then plan again"
    assert manual.instructions[0] == (
        "ALTER VIEW tutor_teaching_schedules RENAME TO tutor_teaching_schedules_moved_aside;"
    )
    assert report.exit_code == 6


def test_plan_refuses_while_migrations_are_pending(adopted: str, migrations: Path) -> None:
    """A plan made before a pending migration ran would write again what it does."""
    drift(adopted, "ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT")
    (migrations / "0005_restore_duration.sql").write_text(
        "-- depends: 0004_tutoring_sessions_server_defaults\n"
        "ALTER TABLE tutoring_sessions ALTER COLUMN duration SET DEFAULT 60;\n"
    )
    (migrations / "0005_restore_duration.rollback.sql").write_text(
        "ALTER TABLE tutoring_sessions ALTER COLUMN duration DROP DEFAULT;\n"
    )
    args = ["plan", "--yes", "--database-url", adopted, "--migrations-dir", str(migrations)]
    refused = run_cli(*args)
    assert_clean_failure(refused, [3])
    assert "1 migration(s) pending (0005_restore_duration)" in refused.stderr
    assert "run astegni-db migrate first" in refused.stderr
    assert not (migrations / "0006_converge_to_spec.sql").exists()
    api.migrate(adopted, migrations)
    assert run_cli(*args).code == 0  # nothing left to plan
    assert not (migrations / "0006_converge_to_spec.sql").exists()


def test_the_validate_migration_scans_before_it_takes_access_exclusive(
    adopted: str, migrations: Path, tmp_path: Path
) -> None:
    """In one transaction a lock is held until the commit: once SET NOT NULL has taken
    ACCESS EXCLUSIVE, a VALIDATE after it would scan with every query waiting (the
    plan-load benchmark saw 670 ms stalls). Every scan must come before."""
    from yoyo.migrations import read_sql_migration

    from tests.test_migrations_converge import _HOLDS_ACCESS_EXCLUSIVE, _SCANS

    drift(
        adopted,
        "ALTER TABLE tutoring_sessions ALTER COLUMN subject DROP NOT NULL;"
        " ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_tutor_id_fkey;"
        " ALTER TABLE tutoring_sessions DROP CONSTRAINT tutoring_sessions_student_id_fkey",
    )
    report = api.plan(adopted, SPEC, migrations)
    api.write_plan(report)
    [validate] = [m for m in report.migrations if m.phase == "validate"]
    aside = tmp_path / "aside"
    aside.mkdir()
    for path in migrations.glob(f"{validate.migration_id}*"):
        path.rename(aside / path.name)
    api.migrate(adopted, migrations)  # everything before the validate migration
    _, _, statements = read_sql_migration(str(aside / f"{validate.migration_id}.sql"))
    rel = {"rel": "tutoring_sessions"}
    took_exclusive = []
    with psycopg.connect(adopted) as conn, conn.transaction(force_rollback=True):
        for statement in statements:
            scans_before = conn.execute(_SCANS, rel).fetchone()
            held_before = conn.execute(_HOLDS_ACCESS_EXCLUSIVE, rel).fetchone() == (True,)
            conn.execute(str(statement))
            if held_before:
                assert conn.execute(_SCANS, rel).fetchone() == scans_before, str(statement)
            elif conn.execute(_HOLDS_ACCESS_EXCLUSIVE, rel).fetchone() == (True,):
                took_exclusive.append(str(statement).strip())
        assert took_exclusive and "SET NOT NULL" in took_exclusive[0]
        # The detector detects: a scan under the lock moves the counters.
        scans_before = conn.execute(_SCANS, rel).fetchone()
        conn.execute("ALTER TABLE tutoring_sessions ADD CONSTRAINT probe CHECK (duration > -1)")
        assert conn.execute(_SCANS, rel).fetchone() != scans_before
