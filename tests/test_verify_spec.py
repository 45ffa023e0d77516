"""The spec loader and the TOML writer of `inspect`, without a database."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from astegni_db.errors import ConfigError, ExitCode
from astegni_db.project.queries import load_queries
from astegni_db.project.spec import load_spec, normalise_check, parse_spec
from astegni_db.verify.inspect import spec_to_toml
from astegni_db.verify.queries import prepare_and_deallocate

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "checks" / "schema.toml"

MINIMAL = """
format = 1
[tables.t]
primary_key = ["id"]
[tables.t.columns]
id = { type = "integer", nullable = false, serial = true }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schema.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load_spec(write(tmp_path, text))
    assert raised.value.exit_code == ExitCode.USAGE
    message = raised.value.message
    assert "\n" not in message
    return message


def test_the_project_spec_loads_with_the_documented_design() -> None:
    spec = load_spec(SPEC)
    sessions = spec.tables["tutoring_sessions"]
    assert not sessions.partial
    new = (
        "session_frequency",
        "is_recurring",
        "recurring_pattern",
        "package_duration",
        "grade_level",
    )
    for name in new:
        column = sessions.columns[name]
        assert column.nullable and column.default is None and column.comment
    assert sessions.columns["recurring_pattern"].type == "json"
    assert sessions.columns["session_frequency"].type == "character varying(50)"
    assert sessions.columns["id"].serial
    assert sessions.checks == frozenset()  # no CHECK on session_frequency, by design
    schedules = spec.tables["tutor_teaching_schedules"]
    (fk,) = schedules.foreign_keys
    assert (fk.references, fk.on_delete) == ("users", "cascade")
    assert len(schedules.checks) == 2 and len(schedules.indexes) == 3
    for referenced in ("users", "tutor_profiles", "student_profiles", "tutor_student_enrollments"):
        assert spec.tables[referenced].partial
        assert spec.tables[referenced].primary_key == ("id",)
    assert "Weekly" not in spec.allowed_values["tutoring_sessions"]["session_frequency"]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="spec file not found"):
        load_spec(tmp_path / "nope.toml")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    message = error_of(tmp_path, "format = 1\n[tables.t\n")
    assert "schema.toml" in message and "invalid TOML" in message


def test_typo_in_a_column_key_names_the_key_path(tmp_path: Path) -> None:
    text = MINIMAL + 'name = { type = "text", nulable = true }\n'
    message = error_of(tmp_path, text)
    assert message.endswith("tables.t.columns.name.nulable: unknown key")
    assert str(tmp_path / "schema.toml") in message


def test_unknown_table_level_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL.replace('primary_key = ["id"]', 'primary_keys = ["id"]'))
    assert "tables.t.primary_keys: unknown key" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert "(top level).tabels: unknown key" in error_of(tmp_path, "tabels = 1\n" + MINIMAL)


def test_missing_required_keys(tmp_path: Path) -> None:
    assert "tables.t.columns.id.nullable: missing required key" in error_of(
        tmp_path, MINIMAL.replace(", nullable = false", "")
    )
    assert "(top level).format: missing required key" in error_of(
        tmp_path, MINIMAL.replace("format = 1", "")
    )


def test_wrong_value_types(tmp_path: Path) -> None:
    assert "nullable: expected true or false, found a string" in error_of(
        tmp_path, MINIMAL.replace("nullable = false", 'nullable = "no"')
    )
    assert "primary_key: expected a list of strings, found a string" in error_of(
        tmp_path, MINIMAL.replace('primary_key = ["id"]', 'primary_key = "id"')
    )
    assert "format: expected 1, found 2" in error_of(tmp_path, MINIMAL.replace("= 1", "= 2"))


def test_references_to_unknown_columns_are_caught(tmp_path: Path) -> None:
    assert "tables.t.primary_key[0]: idd is not a column" in error_of(
        tmp_path, MINIMAL.replace('["id"]', '["idd"]')
    )
    fk = (
        'foreign_keys = [{ columns = ["uid"], references = "u", '
        'referenced_columns = ["id"], on_delete = "cascad" }]\n'
    )
    text = MINIMAL.replace("[tables.t.columns]", fk + "[tables.t.columns]")
    assert "tables.t.foreign_keys[0].columns[0]: uid is not a column" in error_of(tmp_path, text)
    text = text.replace('["uid"]', '["id"]')
    assert "tables.t.foreign_keys[0].on_delete: expected one of" in error_of(tmp_path, text)
    values = MINIMAL + '[allowed_values.t]\nstatuss = ["a"]\n'
    assert "allowed_values.t.statuss: unknown key" in error_of(tmp_path, values)


def test_serial_and_default_are_exclusive(tmp_path: Path) -> None:
    text = MINIMAL.replace("serial = true", 'serial = true, default = "1"')
    assert "a serial column's default is implied" in error_of(tmp_path, text)


def test_full_table_needs_columns(tmp_path: Path) -> None:
    assert "tables.u.columns: missing required key" in error_of(
        tmp_path, MINIMAL + '[tables.u]\nprimary_key = ["id"]\n'
    )


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("CHECK ((status)::text = 'a'::text)", "(status)::text = 'a'::text"),
        ("CHECK (status::text = 'a'::text) NOT VALID", "status::text = 'a'::text"),
        ("((a > 0))", "a > 0"),
        ("(a > 0) AND (b > 0)", "(a > 0) AND (b > 0)"),
        ("(a = ')(')", "a = ')('"),
        ("  a   >\n 0 ", "a > 0"),
    ],
)
def test_checks_are_compared_without_their_wrapping(written: str, normalised: str) -> None:
    assert normalise_check(written) == normalised


def test_toml_writer_round_trips_the_project_spec() -> None:
    spec = load_spec(SPEC)
    text = spec_to_toml(spec, header=["a header line"])
    assert text.startswith("# a header line\n")
    assert parse_spec(tomllib.loads(text), source="written") == spec


def test_toml_writer_escapes_awkward_strings() -> None:
    awkward = 'quote " backslash \\ newline \n tab \t del \x7f ethiopic ሰላም'
    raw = tomllib.loads(MINIMAL)
    raw["tables"]["t"]["columns"]["note"] = {"type": "text", "nullable": True, "comment": awkward}
    raw["tables"]["t"]["columns"]["odd name"] = {"type": "text", "nullable": True}
    spec = parse_spec(raw, source="test")
    assert parse_spec(tomllib.loads(spec_to_toml(spec)), source="again") == spec


def test_query_files_become_one_prepare_with_numbered_parameters(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text(
        "SELECT * FROM t WHERE a = %(tutor_id)s AND (%(s)s::text IS NULL OR b = %(s)s::text)"
        " AND c LIKE 'x%%' -- trailing comment;\n"
    )
    (query,) = load_queries(tmp_path)
    assert prepare_and_deallocate(query) == (
        "PREPARE astegni_verify_query AS SELECT * FROM t WHERE a = $1"
        " AND ($2::text IS NULL OR b = $2::text) AND c LIKE 'x%' -- trailing comment"
        "\n;\nDEALLOCATE astegni_verify_query"
    )


@pytest.mark.parametrize(
    ("text", "found"), [("SELECT 1; DELETE FROM t", 2), ("-- nothing but a comment\n", 0)]
)
def test_query_files_hold_exactly_one_statement(tmp_path: Path, text: str, found: int) -> None:
    (tmp_path / "bad.sql").write_text(text)
    with pytest.raises(
        ConfigError, match=f"bad.sql: expected exactly one SQL statement, found {found}"
    ):
        load_queries(tmp_path)


def test_queries_directory_must_exist_and_hold_sql(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="queries directory not found"):
        load_queries(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no .sql files"):
        load_queries(tmp_path)


def test_check_meaning_ignores_how_postgres_printed_string_casts() -> None:
    from astegni_db.verify.meaning import same_expression

    original = (
        "(status)::text = ANY ((ARRAY['active'::character varying, "
        "'draft'::character varying])::text[])"
    )
    after_pg_dump_restore = (
        "(status)::text = ANY (ARRAY[('active'::character varying)::text, "
        "('draft'::character varying)::text])"
    )
    assert same_expression(original, after_pg_dump_restore)
    assert not same_expression(original, original.replace("'draft'", "'drafts'"))
    # Grouping still counts: (a AND b) OR c is not a AND (b OR c).
    assert not same_expression("(a AND b) OR c", "a AND (b OR c)")
