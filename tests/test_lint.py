"""astegni-db lint: every rule fires on its bad example and stays quiet on the safe rewrite."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from astegni_db.errors import ConfigError, ExitCode
from astegni_db.lint import RULES, Finding, LintReport, lint_paths
from astegni_db.lint.readset import load_read_set
from astegni_db.lint.statements import parse_migration_file
from astegni_db.reporting import render
from tests.helpers import MIGRATIONS_DIR, PROJECT_MIGRATIONS, QUERIES, REPO, SPEC, run_cli

CASES = REPO / "tests" / "lint_cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())
# 0004 builds its ALTER at run time in a DO block: the one thing lint says it cannot see.
DYNAMIC_SQL_NOTE = (
    "migrations/0004_tutoring_sessions_server_defaults.sql:82: EXECUTE in a DO block runs "
    "SQL built at run time, which lint cannot see"
)


def lint_case(case: Path, sql: Path) -> LintReport:
    """``sql`` after the case's setup.sql, with the project's checks/ as the read set."""
    setup = sql.parent / "setup.sql"
    files = ([setup] if setup.exists() else []) + [sql]
    rule = case.name.split("-")[0]
    return lint_paths(
        files,
        spec_path=SPEC,
        queries_dir=QUERIES,
        runner="psql" if case.name.endswith("-psql") else "astegni-db",
        # Only the AD110 case is about rollback files; the others have none on purpose.
        disabled=() if rule == "AD110" else ("AD110",),
    )


def findings_in(report: LintReport, sql: Path) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in report.findings if f.file == str(sql)]


def test_every_rule_has_a_case() -> None:
    assert {c.name.split("-")[0] for c in CASE_DIRS} == {rule.id for rule in RULES}


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_rule_fires_on_bad_example(case: Path) -> None:
    bad = case / "bad.sql"
    found = findings_in(lint_case(case, bad), bad)
    assert [rule for rule, _ in found] == [case.name.split("-")[0]]


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_rule_quiet_on_safe_rewrite(case: Path) -> None:
    good = case / "good.sql"
    report = lint_case(case, good)
    assert findings_in(report, good) == []


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_comment_on_the_line_above_silences_one_finding(case: Path, tmp_path: Path) -> None:
    bad = case / "bad.sql"
    ((rule, line),) = findings_in(lint_case(case, bad), bad)
    lines = bad.read_text().splitlines()
    lines.insert(line - 1, f"-- astegni-db: ignore {rule}")
    silenced = _copy_case(case, tmp_path, "\n".join(lines) + "\n")
    report = lint_case(case, silenced)
    assert findings_in(report, silenced) == []
    assert report.silenced == 1


def test_comment_on_the_same_line_silences(tmp_path: Path) -> None:
    sql = tmp_path / "0003_index.sql"
    sql.write_text(
        "CREATE INDEX s_date_idx ON tutoring_sessions (session_date); -- astegni-db: ignore AD104\n"
    )
    report = lint_paths([sql], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert report.ok and report.silenced == 1


def test_comment_above_a_multi_line_statement_silences_its_inner_line(tmp_path: Path) -> None:
    sql = tmp_path / "0003_default.sql"
    sql.write_text(
        "-- astegni-db: ignore AD101 (the table has 40 rows)\n"
        "-- reviewed by the DBA\n"
        "ALTER TABLE tutoring_sessions\n"
        "    ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
    )
    report = lint_paths([sql], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert report.ok and report.silenced == 1


def test_ignoring_another_rule_does_not_silence(tmp_path: Path) -> None:
    sql = tmp_path / "0003_index.sql"
    sql.write_text(
        "-- astegni-db: ignore AD101, AD102\n"
        "CREATE INDEX s_date_idx ON tutoring_sessions (session_date);\n"
    )
    report = lint_paths([sql], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert [(f.rule, f.line) for f in report.findings] == [("AD104", 2)]
    assert report.silenced == 0


def test_project_migrations_lint_clean() -> None:
    report = lint_paths([MIGRATIONS_DIR], spec_path=SPEC, queries_dir=QUERIES)
    assert report.findings == []
    assert [Path(f).stem for f in report.files] == list(PROJECT_MIGRATIONS)
    assert report.exit_code == ExitCode.OK


def test_ddl_inside_do_blocks_is_scanned(tmp_path: Path) -> None:
    sql = tmp_path / "0003_do.sql"
    sql.write_text(
        "DO $$\nBEGIN\n"
        "    IF to_regclass('payments') IS NULL THEN\n"
        "        CREATE TABLE payments (id serial PRIMARY KEY, session_id integer);\n"
        "        CREATE INDEX payments_session_idx ON payments (session_id);\n"
        "    END IF;\n"
        "    CREATE INDEX sessions_amount_idx ON tutoring_sessions (amount);\n"
        "END\n$$;\n"
    )
    report = lint_paths([sql], spec_path=None, queries_dir=None, disabled=["AD110"])
    # payments was created by this migration: its index is fine; tutoring_sessions is not.
    assert [(f.rule, f.line) for f in report.findings] == [("AD104", 7)]


def test_statements_split_exactly_like_yoyo() -> None:
    from yoyo.migrations import read_sql_migration

    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        ours = [s for s in parse_migration_file(path).statements if not s.in_do_block]
        _, _, theirs = read_sql_migration(str(path))
        assert len(ours) == len(theirs), path.name
        assert [s.line for s in ours] == sorted(s.line for s in ours)


def test_transactional_directive_is_read_like_yoyo(tmp_path: Path) -> None:
    sql = tmp_path / "0003_x.sql"
    sql.write_text("-- Build an index.\n--   transactional  :  false\n\nSELECT 1;\n")
    assert parse_migration_file(sql).transactional is False
    sql.write_text("SELECT 1;\n-- transactional: false\n")  # not in the leading block
    assert parse_migration_file(sql).transactional is True


def test_type_change_safety_follows_the_declared_old_type(tmp_path: Path) -> None:
    first = tmp_path / "0001_t.sql"
    first.write_text("CREATE TABLE t (code varchar(20), price numeric(8,2), n integer);\n")
    second = tmp_path / "0002_alter.sql"
    second.write_text(
        "ALTER TABLE t ALTER COLUMN code TYPE varchar(40);\n"  # widen: safe
        "ALTER TABLE t ALTER COLUMN code TYPE varchar(10);\n"  # narrow: rewrites
        "ALTER TABLE t ALTER COLUMN price TYPE numeric(12,2);\n"  # more precision: safe
        "ALTER TABLE t ALTER COLUMN price TYPE numeric(12,3);\n"  # scale: rewrites
        "ALTER TABLE t ALTER COLUMN n TYPE integer USING n + 1;\n"  # USING: rewrites
        "ALTER TABLE unknown ALTER COLUMN x TYPE text;\n"  # old type unknown
    )
    report = lint_paths([first, second], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert [(f.rule, f.line) for f in report.findings] == [
        ("AD107", 2),
        ("AD107", 4),
        ("AD107", 5),
        ("AD107", 6),
    ]


def test_read_set_from_queries_and_spec(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "a.sql").write_text(
        "SELECT s.topic, count(*) FROM tutoring_sessions s JOIN users u ON u.id = s.tutor_id"
    )
    (queries / "b.sql").write_text("SELECT * FROM payments, refunds r WHERE r.id = 1")
    read = load_read_set(SPEC, queries)
    assert read.column_reader("tutoring_sessions", "topic") == str(queries / "a.sql")
    assert read.column_reader("users", "id") is not None
    assert read.column_reader("users", "email") is None  # users is only partially read
    assert read.table_reader("refunds") == str(queries / "b.sql")
    assert read.column_reader("payments", "anything") == str(queries / "b.sql")  # SELECT *


def test_report_renderers() -> None:
    case = CASES / "AD104-index-not-concurrently"
    report = lint_case(case, case / "bad.sql")
    assert report.exit_code == ExitCode.FAILURE
    text = StringIO()
    render(report, "text", text)
    assert "AD104 index-not-concurrently" in text.getvalue()
    assert "instead: CREATE INDEX CONCURRENTLY" in text.getvalue()
    assert text.getvalue().rstrip().endswith("lint: 1 finding(s) in 1 file(s)")
    as_json = StringIO()
    render(report, "json", as_json)
    payload = json.loads(as_json.getvalue())
    assert payload["ok"] is False
    assert payload["findings"][0]["rule"] == "AD104"
    assert set(payload["findings"][0]) == {
        "rule",
        "name",
        "file",
        "line",
        "message",
        "suggestion",
        "locks",
    }
    assert payload["findings"][0]["locks"] == [["tutoring_sessions", "SHARE"]]
    gitlab = StringIO()
    render(report, "gitlab", gitlab)
    (issue,) = json.loads(gitlab.getvalue())
    assert issue["location"] == {"path": str(case / "bad.sql"), "lines": {"begin": 1}}
    assert issue["check_name"].startswith("AD104") and len(issue["fingerprint"]) == 64


def test_bad_input_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        lint_paths([tmp_path / "missing"])
    with pytest.raises(ConfigError, match="unknown lint rule"):
        lint_paths([MIGRATIONS_DIR], disabled=["AD999"])
    with pytest.raises(ConfigError, match="spec file not found"):
        lint_paths([MIGRATIONS_DIR], spec_path=tmp_path / "nope.toml")
    (tmp_path / "0001_latin1.sql").write_bytes(b"SELECT '\xe9';\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        lint_paths([tmp_path])


def test_lint_refuses_what_migrate_refuses(tmp_path: Path) -> None:
    """One reader of the migrations directory: lint does not pass what migrate rejects."""
    (tmp_path / "0001_ok.sql").write_text("SELECT 1;\n")
    (tmp_path / "post-apply.sql").write_text("SELECT 1;\n")
    with pytest.raises(ConfigError, match="post-apply hooks are not supported"):
        lint_paths([tmp_path], spec_path=None, queries_dir=None)
    (tmp_path / "post-apply.sql").unlink()
    (tmp_path / "0002 bad name.sql").write_text("SELECT 1;\n")
    with pytest.raises(ConfigError, match="migration names may use"):
        lint_paths([tmp_path], spec_path=None, queries_dir=None)


def test_lint_reads_the_spec_strictly(tmp_path: Path) -> None:
    spec = tmp_path / "schema.toml"
    spec.write_text(SPEC.read_text().replace("nullable = false", "nulable = false", 1))
    with pytest.raises(ConfigError, match="nulable: unknown key"):
        lint_paths([MIGRATIONS_DIR], spec_path=spec, queries_dir=None)


def test_lint_imports_no_database_driver() -> None:
    code = (
        "import sys; from pathlib import Path; from astegni_db.lint import lint_paths; "
        f"lint_paths([Path({str(MIGRATIONS_DIR)!r})]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'yoyo')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _copy_case(case: Path, dest: Path, bad_text: str) -> Path:
    for extra in ("setup.sql",):
        if (case / extra).exists():
            (dest / extra).write_text((case / extra).read_text())
    target = dest / "bad.sql"
    target.write_text(bad_text)
    return target


def test_cli_writes_the_report_and_exits_with_its_code(tmp_path: Path) -> None:
    done = run_cli("lint", "--target", "user")
    assert (done.code, done.stdout.strip()) == (
        0,
        f"note: {DYNAMIC_SQL_NOTE}\n"
        f"lint: no unsafe migrations in {len(PROJECT_MIGRATIONS)} file(s)",
    )
    case = CASES / "AD102-constraint-not-valid"
    target = tmp_path / "report.json"
    done = run_cli(
        "lint", str(case / "bad.sql"), "--disable", "AD110", "--format", "json", "-o", str(target)
    )
    assert (done.code, done.stdout) == (1, "")
    report = json.loads(target.read_text())
    assert (report["command"], report["ok"], report["exit_code"]) == ("lint", False, 1)
    assert report["findings"][0]["rule"] == "AD102"
    done = run_cli("lint", "--format", "xml")
    assert done.code == 2 and "Invalid value for '--format'" in done.stderr


def _rules(tmp_path: Path, sql: str, **options: object) -> list[tuple[str, int]]:
    path = tmp_path / "0009_case.sql"
    path.write_text(sql)
    report = lint_paths(
        [path],
        spec_path=SPEC,
        queries_dir=QUERIES,
        disabled=["AD110"],
        **options,  # type: ignore[arg-type]
    )
    return [(f.rule, f.line) for f in report.findings]


def test_names_are_read_through_quotes_schemas_and_modifiers(tmp_path: Path) -> None:
    sql = (
        'ALTER TABLE IF EXISTS ONLY public."tutoring_sessions"\n'
        '    RENAME COLUMN "grade_level" TO student_grade;\n'
        "ALTER TABLE public.tutoring_sessions DROP COLUMN IF EXISTS topic CASCADE;\n"
        "DROP TABLE IF EXISTS scratch, public.tutor_teaching_schedules;\n"
        'ALTER TABLE "Tutoring_Sessions" DROP COLUMN topic;\n'  # another (quoted) table
    )
    assert _rules(tmp_path, sql) == [("AD108", 2), ("AD109", 3), ("AD109", 4)]


def test_strings_comments_and_function_bodies_hide_nothing_and_invent_nothing(
    tmp_path: Path,
) -> None:
    # (A nested /* /* */ */ comment is PostgreSQL's, not sqlparse's: yoyo cuts inside it
    # and the server refuses the pieces, so the lint reports AD100 there; see
    # tests/test_migration_split.py.)
    sql = (
        "/* a comment: CREATE INDEX x ON tutoring_sessions (id); */\n"
        "COMMENT ON TABLE tutoring_sessions IS E'it''s; CREATE INDEX y ON t (id)';\n"
        "CREATE FUNCTION later() RETURNS void LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n"
        "    CREATE INDEX z ON tutoring_sessions (amount);  -- runs when called, not now\n"
        "END\n"
        "$fn$;\n"
        "CREATE INDEX real_one ON tutoring_sessions (amount);\n"
    )
    assert _rules(tmp_path, sql) == [("AD104", 8)]


def test_validated_not_null_check_from_an_earlier_migration_makes_set_not_null_safe(
    tmp_path: Path,
) -> None:
    first = tmp_path / "0003_check.sql"
    first.write_text(
        "ALTER TABLE tutoring_sessions ADD CONSTRAINT ts_tutor_nn "
        "CHECK (tutor_id IS NOT NULL) NOT VALID;\n"
    )
    second = tmp_path / "0004_validate.sql"
    second.write_text("ALTER TABLE tutoring_sessions VALIDATE CONSTRAINT ts_tutor_nn;\n")
    third = tmp_path / "0005_not_null.sql"
    third.write_text(
        "ALTER TABLE tutoring_sessions ALTER COLUMN tutor_id SET NOT NULL;\n"
        "ALTER TABLE tutoring_sessions ALTER COLUMN student_id SET NOT NULL;\n"
    )
    report = lint_paths([tmp_path], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert [(Path(f.file).name, f.rule, f.line) for f in report.findings] == [
        ("0005_not_null.sql", "AD106", 2)
    ]


def test_lock_timeout_switched_off_in_any_spelling(tmp_path: Path) -> None:
    for statement in (
        "SET lock_timeout TO DEFAULT;",
        "RESET lock_timeout;",
        "RESET ALL;",
        "SET SESSION lock_timeout = '0s';",
        "SELECT set_config('lock_timeout', '0', true);",
    ):
        assert _rules(tmp_path, statement + "\n") == [("AD111", 1)], statement
    assert _rules(tmp_path, "SET LOCAL lock_timeout = '2s';\n") == []


def test_psql_runner_accepts_a_timeout_set_first(tmp_path: Path) -> None:
    sql = "ALTER TABLE tutoring_sessions ADD COLUMN a integer;\nDROP INDEX old_idx;\n"
    assert _rules(tmp_path, sql, runner="psql") == [("AD111", 1), ("AD111", 2), ("AD113", 2)]
    # The timeout bounds the waits (AD111); the DROP INDEX still blocks once granted (AD113).
    assert _rules(tmp_path, "SET lock_timeout = '1s';\n" + sql, runner="yoyo") == [("AD113", 3)]
    # Tables the file creates are empty: nothing to wait for.
    created = "CREATE TABLE n (id integer);\nALTER TABLE n ADD COLUMN a integer;\n"
    assert _rules(tmp_path, created, runner="psql") == []


def test_every_rule_is_documented() -> None:
    docs = (REPO / "docs" / "lint.md").read_text()
    for rule in RULES:
        assert f"| {rule.id} | {rule.name} |" in docs, rule.id


def test_github_format_annotates_the_diff(tmp_path: Path) -> None:
    """Workflow commands GitHub turns into annotations on the pull request's diff;
    property values escape ',' and ':', messages '%' and newlines, as @actions/core does."""
    odd = tmp_path / "one,two:50%" / "0003_index.sql"
    odd.parent.mkdir()
    odd.write_text("-- idx\nCREATE INDEX s_date_idx ON tutoring_sessions (session_date);\n")
    done = run_cli("lint", str(odd), "--disable", "AD110", "--format", "github")
    assert done.code == 1, done.output
    annotation, summary = done.stdout.splitlines()
    properties, message = annotation.removeprefix("::error ").split("::", 1)
    assert properties == (
        f"file={str(odd).replace('%', '%25').replace(':', '%3A').replace(',', '%2C')},"
        "line=2,title=AD104 index-not-concurrently"
    )
    assert message.startswith("CREATE INDEX on the existing table tutoring_sessions")
    assert "\n" not in message and ". Instead: CREATE INDEX CONCURRENTLY" in message
    assert summary == "lint: 1 finding(s) in 1 file(s)"
    clean = run_cli("lint", "--format", "github", "--target", "user")
    assert (clean.code, clean.stdout) == (
        0,
        f"::notice::{DYNAMIC_SQL_NOTE}\n"
        f"lint: no unsafe migrations in {len(PROJECT_MIGRATIONS)} file(s)\n",
    )


@pytest.mark.parametrize(
    ("statement", "fires"),
    [
        ("CREATE TABLE notes (id int)", True),
        ("CREATE TABLE IF NOT EXISTS notes (id int)", False),
        ("CREATE UNIQUE INDEX CONCURRENTLY n_idx ON tutoring_sessions (id)", True),
        ("DROP INDEX CONCURRENTLY n_idx", True),
        ("DROP INDEX CONCURRENTLY IF EXISTS n_idx", False),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", True),
        ("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", False),
        ("ALTER TABLE tutoring_sessions ADD COLUMN note text", True),
        ("ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS note text", False),
        ("ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS note", False),
        ("ALTER TABLE tutoring_sessions ALTER COLUMN topic DROP DEFAULT", False),
        ("ALTER TABLE tutoring_sessions ADD CONSTRAINT c CHECK (amount >= 0) NOT VALID", True),
        ("ALTER TABLE notes RENAME TO session_notes", True),
        ("INSERT INTO notes VALUES (1)", True),
        ("INSERT INTO notes VALUES (1) ON CONFLICT DO NOTHING", False),
        ("REINDEX INDEX CONCURRENTLY n_idx", False),
        ("VACUUM ANALYZE tutoring_sessions", False),
        ("ALTER TABLE sessions DETACH PARTITION sessions_2024 CONCURRENTLY", True),
        ("ALTER TABLE sessions DETACH PARTITION sessions_2024 FINALIZE", False),
    ],
)
def test_ad112_knows_what_runs_twice(statement: str, fires: bool, tmp_path: Path) -> None:
    """AD112 fires only in `-- transactional: false` files, on what fails or duplicates
    when migrate runs the file again after a failure."""
    nontransactional = tmp_path / "0009_x.sql"
    nontransactional.write_text(f"-- transactional: false\n{statement};\n")
    transactional = tmp_path / "0010_y.sql"
    transactional.write_text(f"{statement};\n")
    for path, expected in ((nontransactional, fires), (transactional, False)):
        report = lint_paths([path], spec_path=None, queries_dir=None)
        found = [f.rule for f in report.findings if f.rule == "AD112"]
        assert found == (["AD112"] if expected else []), path


def test_ad112_accepts_a_constraint_dropped_if_exists_first(tmp_path: Path) -> None:
    path = tmp_path / "0009_x.sql"
    add = "ALTER TABLE tutoring_sessions ADD CONSTRAINT c CHECK (amount >= 0) NOT VALID;\n"
    path.write_text(
        "-- transactional: false\n"
        "ALTER TABLE tutoring_sessions DROP CONSTRAINT IF EXISTS c;\n" + add
    )
    report = lint_paths([path], spec_path=None, queries_dir=None)
    assert [f.rule for f in report.findings if f.rule == "AD112"] == []
    path.write_text(
        "-- transactional: false\n" + add + "ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\n"
    )
    report = lint_paths([path], spec_path=None, queries_dir=None)
    assert [(f.rule, f.line) for f in report.findings if f.rule == "AD112"] == [("AD112", 2)]


# --- PostgreSQL's grammar: syntax errors, odd files, DO blocks -------------------------


def _lint(tmp_path: Path, sql: str, *, earlier: str = "", **options: object) -> list[Finding]:
    """Findings in ``sql`` (a migration), after ``earlier`` (the migration before it)."""
    files = []
    if earlier:
        files.append(tmp_path / "0008_earlier.sql")
        files[-1].write_text(earlier)
    files.append(tmp_path / "0009_case.sql")
    files[-1].write_text(sql)
    options.setdefault("disabled", ["AD110"])
    report = lint_paths(files, spec_path=None, queries_dir=None, **options)  # type: ignore[arg-type]
    return [f for f in report.findings if f.file == str(files[-1])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("-- only a comment\n/* and another */\n", []),
        (";;\n;\n", []),
        ("SELECT 1;\nSELECT 'it''s\n;\n", [("AD100", 2)]),  # unterminated quote
        ("SELECT 1;\n\nSELECT $$ never closed;\n", [("AD100", 3)]),
        ("/* never closed\nSELECT 1;\n", [("AD100", 1)]),
        ("\x01\x02 \x7f junk \u2028 ü\n", [("AD100", 1)]),  # valid UTF-8, not SQL
        ("SELECT (1,\n2,\n", [("AD100", 2)]),  # cut short: where the text ends
        ("ALTER TABLE t ADD COLUMN a int,\n", [("AD100", 1)]),
    ],
)
def test_odd_files_never_crash_the_lint(
    text: str, expected: list[tuple[str, int]], tmp_path: Path
) -> None:
    assert [(f.rule, f.line) for f in _lint(tmp_path, text)] == expected


def test_a_refused_statement_is_ad100_on_its_line_and_the_rest_is_linted(tmp_path: Path) -> None:
    sql = (
        "CREATE INDEX a_idx ON tutoring_sessions (amount);\n"
        "ALTER TABLE tutoring_sessions\n"
        "    ADD COLUMN x integer\n"
        "    ADD COLUMN y integer;\n"
        "CREATE INDEX b_idx ON tutoring_sessions (topic);\n"
    )
    found = _lint(tmp_path, sql)
    assert [(f.rule, f.line) for f in found] == [("AD104", 1), ("AD100", 4), ("AD104", 5)]
    assert found[1].message.startswith("PostgreSQL's grammar refuses this: syntax error at or")
    assert found[1].locks == ()
    lines = sql.splitlines()
    lines.insert(1, "-- astegni-db: ignore AD100 (testing the parser)")
    assert [f.rule for f in _lint(tmp_path, "\n".join(lines) + "\n")] == ["AD104", "AD104"]


def test_do_blocks_are_read_with_the_plpgsql_grammar(tmp_path: Path) -> None:
    sql = (
        "DO $$\n"
        "BEGIN\n"
        "    -- astegni-db: ignore AD104 (silenced inside the body)\n"
        "    CREATE INDEX a_idx ON tutoring_sessions (amount);\n"
        "    CREATE INDEX b_idx ON tutoring_sessions (topic);\n"
        "    EXECUTE format('DROP TABLE %I', 'tutoring_sessions');\n"
        "    COMMIT;\n"
        "END\n"
        "$$;\n"
        "DO $$\nBEGIN\n    PERFORM 1\nEND\n$$;\n"  # no semicolon after PERFORM 1
    )
    path = tmp_path / "0009_do.sql"
    path.write_text(sql)
    report = lint_paths([path], spec_path=None, queries_dir=None, disabled=["AD110"])
    assert [(f.rule, f.line) for f in report.findings] == [
        ("AD104", 5),
        ("AD105", 7),  # COMMIT in a DO inside the migration's transaction
        ("AD100", 10),  # the PL/pgSQL body does not parse
    ]
    assert report.silenced == 1
    assert report.notes == [
        f"{path}:6: EXECUTE in a DO block runs SQL built at run time, which lint cannot see"
    ]


# --- lock claims -------------------------------------------------------------------

EXISTING = (
    "CREATE TABLE t (id integer PRIMARY KEY, a integer, user_id integer, d posint);\n"
    "CREATE INDEX t_a_idx ON t (a);\n"
    "CREATE TABLE parent (id integer, k integer) PARTITION BY LIST (k);\n"
)
DOMAIN = "CREATE DOMAIN posint AS integer;\n"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX t_b_idx ON t (a);", [("AD104", (("t", "SHARE"),))]),
        (
            "ALTER TABLE t ADD CONSTRAINT t_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
            [("AD102", (("t", "SHARE ROW EXCLUSIVE"), ("users", "SHARE ROW EXCLUSIVE")))],
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
            [("AD102", (("t", "ACCESS EXCLUSIVE"),))],
        ),
        (
            "ALTER TABLE t ADD COLUMN u integer REFERENCES users (id);",
            [("AD102", (("t", "ACCESS EXCLUSIVE"), ("users", "SHARE ROW EXCLUSIVE")))],
        ),
        ("ALTER TABLE t ADD COLUMN c integer UNIQUE;", [("AD104", (("t", "ACCESS EXCLUSIVE"),))]),
        (
            "ALTER TABLE t ADD COLUMN c integer CONSTRAINT t_c_key UNIQUE;",
            [("AD104", (("t", "ACCESS EXCLUSIVE"),))],
        ),
        (
            "ALTER TABLE t ADD COLUMN c integer PRIMARY KEY;",
            [("AD104", (("t", "ACCESS EXCLUSIVE"),))],
        ),
        (
            "DROP INDEX t_a_idx;",
            [("AD113", (("t", "ACCESS EXCLUSIVE"), ("t_a_idx", "ACCESS EXCLUSIVE")))],
        ),
        (
            "DROP INDEX made_elsewhere_idx;",
            [("AD113", (("made_elsewhere_idx", "ACCESS EXCLUSIVE"),))],
        ),
        (
            "REINDEX INDEX t_a_idx;",
            [("AD114", (("t", "SHARE"), ("t_a_idx", "ACCESS EXCLUSIVE")))],
        ),
        ("REINDEX TABLE t;", [("AD114", (("t", "SHARE"),))]),
        (
            "ALTER TABLE parent DETACH PARTITION part_1;",
            [("AD115", (("parent", "ACCESS EXCLUSIVE"), ("part_1", "ACCESS EXCLUSIVE")))],
        ),
        (
            "ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);",
            [("AD102", (("t", "SHARE"),))],
        ),
        ("ALTER TABLE t ALTER COLUMN a SET NOT NULL;", [("AD106", (("t", "ACCESS EXCLUSIVE"),))]),
        ("ALTER TABLE t ALTER COLUMN a TYPE bigint;", [("AD107", (("t", "ACCESS EXCLUSIVE"),))]),
        (
            "ALTER TABLE t ADD COLUMN r double precision DEFAULT random();",
            [("AD101", (("t", "ACCESS EXCLUSIVE"),))],
        ),
        ("ALTER TABLE t ADD COLUMN n integer NOT NULL;", [("AD106", ())]),
        ("REINDEX SCHEMA public;", [("AD105", ())]),
        ("CLUSTER t USING t_a_idx;", [("AD117", (("t", "ACCESS EXCLUSIVE"),))]),
        ("LOCK TABLE t IN SHARE MODE;", [("AD117", (("t", "SHARE"),))]),
        (
            "ALTER INDEX t_a_idx SET TABLESPACE fast;",
            [("AD117", (("t_a_idx", "ACCESS EXCLUSIVE"),))],
        ),
        (
            "ALTER TABLE parent ATTACH PARTITION t FOR VALUES IN (1);",
            [("AD117", (("parent", "SHARE UPDATE EXCLUSIVE"), ("t", "ACCESS EXCLUSIVE")))],
        ),
        ("ALTER DOMAIN posint SET NOT NULL;", [("AD117", (("t", "SHARE"),))]),
        ("TRUNCATE t;", [("AD118", (("t", "ACCESS EXCLUSIVE"),))]),
        ("COMMIT;", [("AD116", ())]),
        ("SELECT 1 FROM;", [("AD100", ())]),
    ],
)
def test_each_finding_names_the_locks_it_takes(
    sql: str, expected: list[tuple[str, tuple[tuple[str, str], ...]]], tmp_path: Path
) -> None:
    found = _lint(tmp_path, sql + "\n", earlier=DOMAIN + EXISTING)
    assert [(f.rule, f.locks) for f in found] == expected


def test_validate_in_the_same_migration_names_the_locks_still_held(tmp_path: Path) -> None:
    sql = (
        "ALTER TABLE t ADD CONSTRAINT t_user_fk FOREIGN KEY (user_id) REFERENCES users (id)"
        " NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT t_user_fk;\n"
        "ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT t_a_positive;\n"
    )
    found = _lint(tmp_path, sql, earlier=DOMAIN + EXISTING)
    assert [(f.rule, f.line, f.locks) for f in found] == [
        ("AD103", 2, (("t", "SHARE ROW EXCLUSIVE"), ("users", "SHARE ROW EXCLUSIVE"))),
        ("AD103", 4, (("t", "ACCESS EXCLUSIVE"),)),  # the CHECK's ADD took it
    ]
    assert "writes to both" not in found[0].message
    # A table the migration creates is empty: validating there costs nothing.
    created = (
        "CREATE TABLE fresh (a integer);\n"
        "ALTER TABLE fresh ADD CONSTRAINT fresh_a CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE fresh VALIDATE CONSTRAINT fresh_a;\n"
    )
    assert _lint(tmp_path, created) == []


def test_json_carries_the_locks(tmp_path: Path) -> None:
    path = tmp_path / "0009_fk.sql"
    path.write_text(
        "ALTER TABLE tutoring_sessions ADD CONSTRAINT ts_tutor_fk\n"
        "    FOREIGN KEY (tutor_id) REFERENCES tutor_profiles (id);\n"
    )
    done = run_cli("lint", str(path), "--disable", "AD110", "--format", "json")
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["rule"], finding["line"]) == ("AD102", 1)
    assert finding["locks"] == [
        ["tutoring_sessions", "SHARE ROW EXCLUSIVE"],
        ["tutor_profiles", "SHARE ROW EXCLUSIVE"],
    ]
    assert "writes to both wait, reads go on" in finding["message"]


# --- the new rules, form by form ------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "transactional", "fires"),
    [
        ("REINDEX INDEX t_a_idx", ["AD114"], ["AD114"]),
        ("REINDEX (CONCURRENTLY false) INDEX t_a_idx", ["AD114"], ["AD114"]),
        ("REINDEX (CONCURRENTLY off) TABLE t", ["AD114"], ["AD114"]),
        ("REINDEX (CONCURRENTLY 0) TABLE t", ["AD114"], ["AD114"]),
        ("REINDEX (VERBOSE) TABLE t", ["AD114"], ["AD114"]),
        ("REINDEX (CONCURRENTLY) INDEX t_a_idx", ["AD105"], []),
        ("REINDEX (CONCURRENTLY true) INDEX t_a_idx", ["AD105"], []),
        ("REINDEX (CONCURRENTLY on) INDEX t_a_idx", ["AD105"], []),
        ("REINDEX (CONCURRENTLY 1) INDEX t_a_idx", ["AD105"], []),
        ("REINDEX TABLE CONCURRENTLY t", ["AD105"], []),
        ("REINDEX SCHEMA public", ["AD105"], ["AD114"]),
        ("REINDEX SCHEMA CONCURRENTLY public", ["AD105"], []),
        ("REINDEX (CONCURRENTLY false) DATABASE postgres", ["AD105"], ["AD114"]),
        ("REINDEX SYSTEM postgres", ["AD105"], ["AD114"]),
        ("DROP INDEX t_a_idx", ["AD113"], ["AD113"]),
        ("DROP INDEX IF EXISTS t_a_idx, other_idx", ["AD113", "AD113"], ["AD113", "AD113"]),
        ("DROP INDEX CONCURRENTLY IF EXISTS t_a_idx", ["AD105"], []),
        ("ALTER TABLE parent DETACH PARTITION part_1", ["AD115"], ["AD115"]),
        ("ALTER TABLE parent DETACH PARTITION part_1 CONCURRENTLY", ["AD105"], []),
        ("ALTER TABLE parent DETACH PARTITION part_1 FINALIZE", [], []),
    ],
)
def test_concurrently_is_read_from_the_parse_tree(
    statement: str, transactional: list[str], fires: list[str], tmp_path: Path
) -> None:
    """In a transactional migration, and alone in a `-- transactional: false` one."""
    earlier = DOMAIN + EXISTING
    assert [f.rule for f in _lint(tmp_path, f"{statement};\n", earlier=earlier)] == transactional
    alone = f"-- transactional: false\n{statement};\n"
    found = _lint(tmp_path, alone, earlier=earlier, disabled=["AD110", "AD112"])
    assert [f.rule for f in found] == fires


def test_objects_the_file_creates_are_exempt(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE fresh (id integer, k integer) PARTITION BY LIST (k);\n"
        "CREATE INDEX fresh_idx ON fresh (id);\n"
        "REINDEX INDEX fresh_idx;\n"
        "REINDEX TABLE fresh;\n"
        "DROP INDEX fresh_idx;\n"
        "ALTER TABLE fresh DETACH PARTITION fresh_1;\n"
    )
    assert _lint(tmp_path, sql) == []


@pytest.mark.parametrize(
    "statement",
    [
        "BEGIN",
        "START TRANSACTION",
        "COMMIT",
        "END",
        "ROLLBACK",
        "ABORT",
        "SAVEPOINT s",
        "RELEASE SAVEPOINT s",
        "ROLLBACK TO SAVEPOINT s",
        "PREPARE TRANSACTION 'x'",
        "COMMIT PREPARED 'x'",
        "ROLLBACK PREPARED 'x'",
    ],
)
def test_transaction_control_in_a_migration_file(statement: str, tmp_path: Path) -> None:
    sql = f"ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS n integer;\n{statement};\n"
    (finding,) = _lint(tmp_path, sql)
    assert (finding.rule, finding.line, finding.locks) == ("AD116", 2, ())
    assert "with the record that it was applied" in finding.message
    (finding,) = _lint(tmp_path, f"-- transactional: false\n{statement};\n")
    assert (finding.rule, finding.line) == ("AD116", 2)
    assert "journals it" in finding.message


def test_transaction_control_inside_a_do_block_is_not_ad116(tmp_path: Path) -> None:
    do = "DO $$\nBEGIN\n    PERFORM 1;\n    COMMIT;\nEND\n$$;\n"
    assert [(f.rule, f.line) for f in _lint(tmp_path, do)] == [("AD105", 4)]
    # In a `-- transactional: false` migration the DO runs on its own: COMMIT is allowed.
    assert _lint(tmp_path, "-- transactional: false\n" + do) == []


@pytest.mark.parametrize(
    ("column", "flagged"),
    [
        ("c integer DEFAULT declared_stable()", False),
        ("c integer DEFAULT declared_immutable()", False),
        ("c integer DEFAULT declared_volatile()", True),
        ("c integer DEFAULT says_nothing()", True),  # VOLATILE, PostgreSQL's default
        ("c integer DEFAULT made_stable_later()", False),  # ALTER FUNCTION ... STABLE
        ("c integer DEFAULT public.declared_stable()", False),
        ("c integer DEFAULT other_schema.declared_stable()", True),  # another function
        ("c integer DEFAULT never_created()", True),
        ("c text DEFAULT lower('X')", False),
        ("c text DEFAULT pg_catalog.lower('X')", False),
        ("c timestamptz DEFAULT now()", False),
        ("c timestamptz DEFAULT CURRENT_TIMESTAMP", False),
        ("c text DEFAULT CURRENT_USER", False),
        ("c date DEFAULT 'today'::date", False),
        ("c tsvector DEFAULT to_tsvector('x')", False),  # overloads: immutable and stable
        ("c tsquery DEFAULT ts_rewrite('a'::tsquery, 'b', 'c')", True),  # one is volatile
        ("c text DEFAULT md5(random()::text)", True),  # the inner call decides
        ("c text DEFAULT timeofday()", True),
        ("c integer DEFAULT (1 + 2) * 3", False),
    ],
)
def test_default_volatility_is_known_or_counted_volatile(
    column: str, flagged: bool, tmp_path: Path
) -> None:
    earlier = (
        "CREATE FUNCTION declared_stable() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 1';\n"
        "CREATE FUNCTION declared_immutable() RETURNS integer LANGUAGE sql IMMUTABLE\n"
        "    AS 'SELECT 1';\n"
        "CREATE FUNCTION declared_volatile() RETURNS integer LANGUAGE plpgsql VOLATILE\n"
        "    AS $$ BEGIN RETURN 1; END $$;\n"
        "CREATE FUNCTION says_nothing() RETURNS integer LANGUAGE sql AS 'SELECT 1';\n"
        "CREATE FUNCTION made_stable_later(a integer DEFAULT 1) RETURNS integer LANGUAGE sql\n"
        "    AS 'SELECT 1';\n"
        "ALTER FUNCTION made_stable_later(integer) STABLE;\n"
    )
    found = _lint(
        tmp_path, f"ALTER TABLE tutoring_sessions ADD COLUMN {column};\n", earlier=earlier
    )
    assert [f.rule for f in found] == (["AD101"] if flagged else [])


def test_set_schema_of_a_table_the_application_reads(tmp_path: Path) -> None:
    sql = "ALTER TABLE tutoring_sessions SET SCHEMA archive;\n"
    assert _rules(tmp_path, sql) == [("AD108", 1)]
    assert _rules(tmp_path, "ALTER TABLE scratch SET SCHEMA archive;\n") == []


def test_each_command_of_an_alter_table_is_reported_on_its_line(tmp_path: Path) -> None:
    sql = (
        "ALTER TABLE tutoring_sessions\n"
        "    ALTER COLUMN amount SET DEFAULT round(1.5, 0),\n"
        "    ADD COLUMN token uuid\n"
        "        DEFAULT gen_random_uuid(),\n"
        "    ALTER COLUMN tutor_id SET NOT NULL,\n"
        "    ADD CONSTRAINT ts_amount CHECK (amount >= 0);\n"
    )
    found = _lint(tmp_path, sql)
    assert [(f.rule, f.line) for f in found] == [("AD101", 3), ("AD106", 5), ("AD102", 6)]


# --- AD117 long-blocking-lock, AD118 truncate-existing-table ----------------------------


@pytest.mark.parametrize(
    ("statement", "transactional", "alone"),
    [
        ("CLUSTER t", ["AD117"], ["AD117"]),
        ("CLUSTER t USING t_a_idx", ["AD117"], ["AD117"]),
        ("CLUSTER", ["AD105"], ["AD117"]),  # every table clustered before
        ("VACUUM FULL t", ["AD105"], ["AD117"]),
        ("VACUUM (FULL, ANALYZE) t", ["AD105"], ["AD117"]),
        ("VACUUM FULL", ["AD105"], ["AD117"]),
        ("VACUUM (FULL false) t", ["AD105"], []),
        ("VACUUM t", ["AD105"], []),
        ("REFRESH MATERIALIZED VIEW mv", ["AD117"], ["AD117"]),
        ("REFRESH MATERIALIZED VIEW mv WITH NO DATA", ["AD117"], ["AD117"]),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", [], []),
        ("ALTER TABLE t SET TABLESPACE fast", ["AD117"], ["AD117"]),
        ("ALTER TABLE t SET LOGGED, SET UNLOGGED", ["AD117", "AD117"], ["AD117", "AD117"]),
        ("ALTER TABLE t SET ACCESS METHOD heap", ["AD117"], ["AD117"]),
        ("ALTER MATERIALIZED VIEW mv SET TABLESPACE fast", ["AD117"], ["AD117"]),
        ("ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast", ["AD117"], ["AD117"]),
        ("ALTER TABLE t SET WITHOUT CLUSTER", [], []),
        ("ALTER TABLE t SET (fillfactor = 70)", [], []),
        # Outside a transaction block PostgreSQL refuses LOCK TABLE, in any mode (AD105).
        ("LOCK TABLE t", ["AD117"], ["AD105"]),
        ("LOCK t IN ACCESS EXCLUSIVE MODE NOWAIT", ["AD117"], ["AD105"]),
        ("LOCK TABLE t IN EXCLUSIVE MODE", ["AD117"], ["AD105"]),
        ("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE", ["AD117"], ["AD105"]),
        ("LOCK TABLE t IN SHARE MODE", ["AD117"], ["AD105"]),
        ("LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE", [], ["AD105"]),
        ("LOCK TABLE t IN ROW EXCLUSIVE MODE", [], ["AD105"]),
        ("LOCK TABLE t IN ROW SHARE MODE", [], ["AD105"]),
        ("LOCK TABLE t IN ACCESS SHARE MODE", [], ["AD105"]),
        ("ALTER TABLE parent ATTACH PARTITION t FOR VALUES IN (1)", ["AD117"], ["AD117"]),
        ("ALTER TABLE parent ATTACH PARTITION t DEFAULT", ["AD117"], ["AD117"]),
        ("ALTER DOMAIN posint VALIDATE CONSTRAINT posint_positive", ["AD117"], ["AD117"]),
        ("ALTER DOMAIN posint SET NOT NULL", ["AD117"], ["AD117"]),
        ("ALTER DOMAIN posint DROP NOT NULL", [], []),
        ("TRUNCATE t", ["AD118"], ["AD118"]),
        ("TRUNCATE TABLE ONLY t, parent RESTART IDENTITY CASCADE", ["AD118"], ["AD118"]),
    ],
)
def test_long_blocking_locks_and_truncate_form_by_form(
    statement: str, transactional: list[str], alone: list[str], tmp_path: Path
) -> None:
    """In a transactional migration, and alone in a `-- transactional: false` one."""
    earlier = DOMAIN + EXISTING
    assert [f.rule for f in _lint(tmp_path, f"{statement};\n", earlier=earlier)] == transactional
    nontransactional = f"-- transactional: false\n{statement};\n"
    found = _lint(tmp_path, nontransactional, earlier=earlier, disabled=["AD110", "AD112"])
    assert [f.rule for f in found] == alone


def test_long_blocking_locks_and_truncate_spare_what_the_file_creates(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE fresh (id integer, k integer);\n"
        "CREATE INDEX fresh_idx ON fresh (id);\n"
        "CREATE MATERIALIZED VIEW fresh_mv AS SELECT id FROM fresh;\n"
        "CREATE DOMAIN fresh_domain AS integer;\n"
        "CLUSTER fresh USING fresh_idx;\n"
        "REFRESH MATERIALIZED VIEW fresh_mv;\n"
        "ALTER TABLE fresh SET TABLESPACE fast, SET LOGGED;\n"
        "ALTER INDEX fresh_idx SET TABLESPACE fast;\n"
        "LOCK TABLE fresh;\n"
        "TRUNCATE fresh;\n"
        "ALTER DOMAIN fresh_domain SET NOT NULL;\n"
        "ALTER TABLE parent ATTACH PARTITION fresh FOR VALUES IN (1);\n"
    )
    assert _lint(tmp_path, sql, earlier=EXISTING) == []


ATTACH = "ALTER TABLE parent ATTACH PARTITION part FOR VALUES {bound};\n"


@pytest.mark.parametrize(
    ("earlier", "bound", "scans"),
    [
        ("", "FROM (1) TO (10)", True),
        ("ADD CONSTRAINT b CHECK (k >= 1 AND k < 10)", "FROM (1) TO (10)", False),
        ("ADD CONSTRAINT b CHECK (k IS NOT NULL AND 1 <= k AND 10 > k)", "FROM (1) TO (10)", False),
        ("ADD CONSTRAINT b CHECK (k >= 1 AND k < 10) NOT VALID", "FROM (1) TO (10)", True),
        ("ADD CHECK (k >= 1), ADD CHECK (k < 10)", "FROM (1) TO (10)", False),
        ("ADD CONSTRAINT b CHECK (k >= 1)", "FROM (1) TO (10)", True),
        ("ADD CONSTRAINT b CHECK (k >= 1)", "FROM (1) TO (MAXVALUE)", False),
        ("ADD CONSTRAINT b CHECK (k > 0 AND k < 10)", "FROM (1) TO (10)", True),  # not proved
        # Narrower than the bound: PostgreSQL proves it, lint errs towards reporting.
        ("ADD CONSTRAINT b CHECK (k >= 2 AND k < 10)", "FROM (1) TO (10)", True),
        ("ADD CONSTRAINT b CHECK (k >= 1 AND j < 10)", "FROM (1) TO (10)", True),
        (
            "ADD CONSTRAINT b CHECK (d >= DATE '2026-01-01' AND d < '2027-01-01'::date)",
            "FROM ('2026-01-01') TO ('2027-01-01')",
            False,
        ),
        ("ADD CONSTRAINT b CHECK (k IN (1, 2))", "IN (1, 2, 3)", False),
        ("ADD CONSTRAINT b CHECK (k = 2)", "IN (2)", False),
        ("ADD CONSTRAINT b CHECK (k IN (1, 4))", "IN (1, 2, 3)", True),
        ("ADD CONSTRAINT b CHECK (k IN (1, 2))", "IN (1, 2, NULL)", True),
        ("ADD CONSTRAINT b CHECK (k >= 1 AND k < 10)", "FROM (1, 1) TO (10, 10)", True),
        ("ADD CONSTRAINT b CHECK (k >= 1 AND k < 10)", "WITH (MODULUS 2, REMAINDER 0)", True),
    ],
)
def test_attach_partition_is_spared_by_a_validated_check_proving_the_bound(
    earlier: str, bound: str, scans: bool, tmp_path: Path
) -> None:
    table = "CREATE TABLE part (k integer NOT NULL, j integer, d date);\n"
    alter = f"ALTER TABLE part {earlier};\n" if earlier else ""
    found = _lint(tmp_path, ATTACH.format(bound=bound), earlier=EXISTING + table + alter)
    assert [f.rule for f in found] == (["AD117"] if scans else [])


def test_attach_partition_follows_validate_and_drop_of_the_check(tmp_path: Path) -> None:
    earlier = (
        EXISTING + "CREATE TABLE part (k integer NOT NULL);\n"
        "ALTER TABLE part ADD CONSTRAINT b CHECK (k >= 1 AND k < 10) NOT VALID;\n"
    )
    attach = ATTACH.format(bound="FROM (1) TO (10)")
    assert [f.rule for f in _lint(tmp_path, attach, earlier=earlier)] == ["AD117"]
    validated = earlier + "ALTER TABLE part VALIDATE CONSTRAINT b;\n"
    assert _lint(tmp_path, attach, earlier=validated) == []
    dropped = validated + "ALTER TABLE part DROP CONSTRAINT b;\n"
    (finding,) = _lint(tmp_path, attach, earlier=dropped)
    assert "CHECK (<key> IS NOT NULL AND <key> >= 1 AND <key> < 10) NOT VALID" in finding.suggestion


@pytest.mark.parametrize(
    ("sql", "flagged"),
    [
        ("LOCK TABLE t;\nALTER TABLE t DROP COLUMN a;\n", False),
        ("LOCK TABLE t IN SHARE MODE;\nSELECT 1;\nDROP TABLE t;\n", False),
        ("LOCK TABLE t;\nUPDATE t SET a = 1;\n", True),  # ROW EXCLUSIVE: less than it holds
        ("LOCK TABLE t;\nALTER TABLE t SET (fillfactor = 70);\n", True),
        ("ALTER TABLE t DROP COLUMN a;\nLOCK TABLE t;\n", True),  # before, not after
        (
            "DO $$\nBEGIN\n    LOCK TABLE t IN ACCESS EXCLUSIVE MODE;\n"
            "    IF EXISTS (SELECT FROM t) THEN\n        RAISE EXCEPTION 'rows';\n    END IF;\n"
            "    DROP TABLE t;\nEND\n$$;\n",
            False,
        ),
        (
            "-- transactional: false\n"
            "DO $$\nBEGIN\n    LOCK TABLE t;\nEND\n$$;\nDROP TABLE IF EXISTS t;\n",
            True,  # the DO block's transaction ends before the DROP
        ),
    ],
)
def test_lock_table_before_a_statement_taking_that_lock_anyway(
    sql: str, flagged: bool, tmp_path: Path
) -> None:
    """Lock, check, act: the LOCK only takes early what a later statement of the same
    transaction takes anyway (astegni-db plan writes guarded drops this way)."""
    found = [f.rule for f in _lint(tmp_path, sql, earlier=EXISTING) if f.rule == "AD117"]
    assert found == (["AD117"] if flagged else [])


def test_truncate_says_what_else_goes(tmp_path: Path) -> None:
    (finding,) = _lint(tmp_path, "TRUNCATE ONLY t RESTART IDENTITY CASCADE;\n", earlier=EXISTING)
    assert finding.message.startswith("TRUNCATE deletes every row of t, with no WHERE")
    for note in (
        "CASCADE also empties every table with a foreign key to t",
        "RESTART IDENTITY",
        "ONLY",
    ):
        assert note in finding.message
    read = tmp_path / "0009_truncate.sql"
    read.write_text("TRUNCATE tutoring_sessions;\n")
    report = lint_paths([read], spec_path=SPEC, queries_dir=QUERIES, disabled=["AD110"])
    (finding,) = report.findings
    assert "the application reads tutoring_sessions (" in finding.message
    assert "until the migration commits" in finding.message
