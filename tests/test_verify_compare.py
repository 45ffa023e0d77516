"""Compare functions and report renderers on hand-built catalogs, without a database."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from astegni_db.errors import ExitCode
from astegni_db.project.spec import Spec, parse_spec
from astegni_db.reporting import json_document, render
from astegni_db.verify.catalog import (
    Catalog,
    LiveCheck,
    LiveColumn,
    LiveForeignKey,
    LiveIndex,
    LiveTable,
)
from astegni_db.verify.compare import compare_spec
from astegni_db.verify.findings import Finding
from astegni_db.verify.report import VerifyReport, auto_format

SPEC_TEXT = {
    "format": 1,
    "unexpected_tables": ["old_sessions"],
    "tables": {
        "sessions": {
            "primary_key": ["id"],
            "foreign_keys": [
                {
                    "columns": ["user_id"],
                    "references": "users",
                    "referenced_columns": ["id"],
                    "on_delete": "cascade",
                }
            ],
            "checks": ["status::text = 'a'::text"],
            "indexes": [{"columns": ["created_at DESC"]}],
            "columns": {
                "id": {"type": "integer", "nullable": False, "serial": True},
                "user_id": {"type": "integer", "nullable": False},
                "status": {
                    "type": "character varying(20)",
                    "nullable": True,
                    "default": "'a'::character varying",
                },
                "pattern": {"type": "json", "nullable": True, "comment": "the pattern"},
                "created_at": {"type": "timestamp without time zone", "nullable": True},
            },
        },
        "users": {"partial": True, "primary_key": ["id"]},
    },
}


def spec() -> Spec:
    return parse_spec(SPEC_TEXT, source="test")


def column(
    name: str,
    type_: str,
    nullable: bool = True,
    default: str | None = None,
    comment: str | None = None,
    owned: str | None = None,
) -> LiveColumn:
    return LiveColumn(
        name=name,
        type=type_,
        nullable=nullable,
        default=default,
        identity="",
        generated="",
        comment=comment,
        owned_sequence=owned,
    )


def matching_sessions() -> LiveTable:
    table = LiveTable(name="sessions", oid=1, kind="r", primary_key=("id",))
    for live in (
        column(
            "id", "integer", False, "nextval('sessions_id_seq'::regclass)", owned="sessions_id_seq"
        ),
        column("user_id", "integer", False),
        column("status", "character varying(20)", default="'a'::character varying"),
        column("pattern", "json", comment="the pattern"),
        column("created_at", "timestamp without time zone"),
    ):
        table.columns[live.name] = live
    table.foreign_keys.append(
        LiveForeignKey(
            "sessions_user_id_fkey", ("user_id",), "users", ("id",), "cascade", "no action", True
        )
    )
    table.checks.append(
        LiveCheck("sessions_status_check", "CHECK (status::text = 'a'::text)", True)
    )
    table.indexes.append(
        LiveIndex("idx_created", "btree", ("created_at DESC",), (), None, False, True)
    )
    return table


def catalog(sessions: LiveTable | None) -> Catalog:
    users = LiveTable(name="users", oid=2, kind="r", primary_key=("id",))
    users.columns["id"] = column("id", "integer", False)
    users.columns["email"] = column("email", "text")  # partial table: ignored
    return Catalog(relations={"sessions": sessions, "users": users, "old_sessions": None})


def problems(findings: list[Finding]) -> list[tuple[str, str, str, str, str]]:
    return [
        (f.status, f.kind, f.object, f.expected, f.actual) for f in findings if f.status != "ok"
    ]


def test_a_matching_catalog_passes_every_check() -> None:
    findings = compare_spec(spec(), catalog(matching_sessions()))
    assert problems(findings) == []
    kinds = {f.kind for f in findings}
    assert kinds >= {
        "table",
        "column",
        "type",
        "nullable",
        "default",
        "comment",
        "primary_key",
        "foreign_key",
        "check",
        "index",
    }
    assert VerifyReport(findings).exit_code == ExitCode.OK


def test_missing_table_is_one_error_and_nothing_else_about_it() -> None:
    findings = compare_spec(spec(), catalog(None))
    assert problems(findings) == [("error", "table", "sessions", "table", "missing")]


def test_a_view_in_place_of_a_table() -> None:
    findings = compare_spec(spec(), catalog(replace(matching_sessions(), kind="v")))
    assert problems(findings) == [("error", "table", "sessions", "table", "view")]


def test_a_partitioned_table_is_a_table() -> None:
    findings = compare_spec(spec(), catalog(replace(matching_sessions(), kind="p")))
    assert problems(findings) == []


def test_unexpected_table_present() -> None:
    cat = catalog(matching_sessions())
    relations = dict(cat.relations) | {"old_sessions": LiveTable("old_sessions", 9, "r")}
    assert problems(compare_spec(spec(), Catalog(relations))) == [
        ("error", "table", "old_sessions", "absent", "present (table)")
    ]


def test_column_differences_are_all_reported_in_words() -> None:
    table = matching_sessions()
    table.columns["pattern"] = column("pattern", "jsonb")  # retyped, comment lost
    table.columns["status"] = column("status", "character varying(20)", nullable=False)
    del table.columns["created_at"]
    table.columns["id"] = column("id", "integer", False)  # serial default dropped
    table.columns["extra"] = column("extra", "text", comment="hi")
    findings = compare_spec(spec(), catalog(table))
    assert problems(findings) == [
        ("error", "default", "sessions.id", "serial", "no default"),
        ("error", "nullable", "sessions.status", "nullable", "NOT NULL"),
        ("error", "default", "sessions.status", "'a'::character varying", "no default"),
        ("error", "type", "sessions.pattern", "json", "jsonb"),
        ("warning", "comment", "sessions.pattern", "'the pattern'", "no comment"),
        ("error", "column", "sessions.created_at", "present", "missing"),
        ("note", "column", "sessions.extra", "not in spec", "present (text)"),
    ]
    type_finding = next(f for f in findings if f.kind == "type" and f.status == "error")
    assert type_finding.message == "sessions.pattern: expected json, found jsonb"


def test_a_serial_needs_its_own_sequence() -> None:
    table = matching_sessions()
    table.columns["id"] = column("id", "integer", False, "nextval('other_seq'::regclass)")
    assert problems(compare_spec(spec(), catalog(table))) == [
        ("error", "default", "sessions.id", "serial", "nextval('other_seq'::regclass)")
    ]


def test_constraint_differences() -> None:
    table = matching_sessions()
    table.primary_key = None
    table.foreign_keys[0] = table.foreign_keys[0]._replace(on_delete="no action")
    table.foreign_keys.append(
        LiveForeignKey("x_fkey", ("status",), "codes", ("code",), "no action", "no action", True)
    )
    table.checks[0] = LiveCheck(
        "renamed_but_same", "CHECK (status::text = 'a'::text) NOT VALID", False
    )
    table.checks.append(LiveCheck("extra_check", "CHECK (user_id > 0)", True))
    table.indexes[0] = table.indexes[0]._replace(columns=("created_at",))
    findings = compare_spec(spec(), catalog(table))
    check_object = "sessions CHECK (status::text = 'a'::text)"
    assert problems(findings) == [
        ("error", "primary_key", "sessions primary key", "PRIMARY KEY (id)", "none"),
        (
            "error",
            "foreign_key",
            "sessions(user_id) foreign key",
            "-> users(id) ON DELETE CASCADE",
            "-> users(id) ON DELETE NO ACTION",
        ),
        (
            "error",
            "foreign_key",
            "sessions(status) foreign key",
            "none",
            "-> codes(code) ON DELETE NO ACTION",
        ),
        ("warning", "check", check_object, "validated", "NOT VALID"),
        ("error", "check", "sessions CHECK (user_id > 0)", "absent", "present (as extra_check)"),
        ("error", "index", "sessions index btree (created_at DESC)", "present", "missing"),
        (
            "note",
            "index",
            "sessions index btree (created_at)",
            "absent",
            "present (as idx_created)",
        ),
    ]


def test_an_invalid_index_is_an_error_even_with_a_valid_twin_missing() -> None:
    table = matching_sessions()
    table.indexes[0] = table.indexes[0]._replace(valid=False)
    assert problems(compare_spec(spec(), catalog(table))) == [
        (
            "error",
            "index",
            "sessions index btree (created_at DESC)",
            "present",
            "invalid (idx_created)",
        ),
    ]


def test_partial_tables_ignore_what_they_do_not_list() -> None:
    cat = catalog(matching_sessions())
    users = cat.relations["users"]
    assert users is not None
    users.indexes.append(LiveIndex("users_email", "btree", ("email",), (), None, True, True))
    assert problems(compare_spec(spec(), cat)) == []
    users.primary_key = None
    assert problems(compare_spec(spec(), cat)) == [
        ("error", "primary_key", "users primary key", "PRIMARY KEY (id)", "none")
    ]


COMMENT_REWORDED = Finding.check(
    "sessions", "sessions.e", "comment", "'the pattern'", "'pattern'", failing="warning"
)


def sample_report(strict: bool = False) -> VerifyReport:
    return VerifyReport(
        [
            Finding.check("sessions", "sessions.a", "type", "json", "json"),
            Finding.check("sessions", "sessions.b", "type", "json", "jsonb"),
            Finding.check(
                "sessions", "sessions.c", "column", "not in spec", "present", failing="note"
            ),
            Finding("sessions", "sessions.d", "data", "one of 'x'", "'X' x2", "warning", "2 rows"),
            COMMENT_REWORDED,
            Finding.check("queries", "query q.sql", "query", "prepares", "prepares"),
        ],
        strict=strict,
    )


def statuses_that_fail(strict: bool) -> list[tuple[str, str]]:
    report = sample_report(strict)
    return [(f.status, f.kind) for f in report.findings if report.fails(f)]


def test_the_severity_rule_errors_fail_strict_adds_notes_and_schema_warnings() -> None:
    assert statuses_that_fail(strict=False) == [("error", "type")]
    # Strict: the note and the comment warning fail; the data warning never does.
    assert statuses_that_fail(strict=True) == [
        ("error", "type"),
        ("note", "column"),
        ("warning", "comment"),
    ]


def test_exit_codes_warnings_fail_only_when_strict_and_never_about_values() -> None:
    assert sample_report().exit_code == ExitCode.SCHEMA_MISMATCH
    no_errors = VerifyReport([f for f in sample_report().findings if f.status != "error"])
    assert no_errors.exit_code == ExitCode.OK
    assert replace(no_errors, strict=True).exit_code == ExitCode.SCHEMA_MISMATCH
    schema_warning = VerifyReport([COMMENT_REWORDED])
    assert schema_warning.exit_code == ExitCode.OK
    assert replace(schema_warning, strict=True).exit_code == ExitCode.SCHEMA_MISMATCH
    values_only = VerifyReport([f for f in sample_report().findings if f.kind == "data"])
    assert values_only.count("warning") == 1
    assert replace(values_only, strict=True).exit_code == ExitCode.OK
    assert VerifyReport().exit_code == ExitCode.OK


def test_the_not_valid_warning_of_compare_fails_only_when_strict() -> None:
    table = matching_sessions()
    table.checks[0] = table.checks[0]._replace(validated=False)
    report = VerifyReport(compare_spec(spec(), catalog(table)))
    assert problems(report.findings) == [
        ("warning", "check", "sessions CHECK (status::text = 'a'::text)", "validated", "NOT VALID")
    ]
    assert report.exit_code == ExitCode.OK
    assert replace(report, strict=True).exit_code == ExitCode.SCHEMA_MISMATCH


def test_json_has_the_documented_shape() -> None:
    out = io.StringIO()
    render(sample_report(), "json", out)
    data = json.loads(out.getvalue())
    assert data == json_document(sample_report())
    assert set(data) == {"version", "command", "ok", "exit_code", "strict", "summary", "checks"}
    assert data["version"] == 1 and data["ok"] is False
    assert (data["command"], data["exit_code"]) == ("verify", 6)
    assert data["summary"] == {"checks": 6, "ok": 2, "error": 1, "warning": 2, "note": 1}
    assert len(data["checks"]) == 6  # passing checks included
    for check in data["checks"]:
        assert set(check) == {
            "table",
            "object",
            "kind",
            "expected",
            "actual",
            "status",
            "fails",
            "message",
        }
    assert data["checks"][1]["message"] == "sessions.b: expected json, found jsonb"
    assert [c["fails"] for c in data["checks"]] == [False, True, False, False, False, False]


def test_json_fails_follows_strict() -> None:
    out = io.StringIO()
    render(sample_report(strict=True), "json", out)
    data = json.loads(out.getvalue())
    assert data["strict"] is True and data["exit_code"] == 6
    fails = {c["object"]: c["fails"] for c in data["checks"]}
    assert fails == {
        "sessions.a": False,
        "sessions.b": True,
        "sessions.c": True,  # note
        "sessions.d": False,  # a warning about values: never
        "sessions.e": True,  # comment wording
        "query q.sql": False,
    }


@pytest.mark.parametrize(("strict", "failures"), [(False, 1), (True, 3)])
def test_junit_parses_with_one_suite_per_table(strict: bool, failures: int) -> None:
    out = io.StringIO()
    render(sample_report(strict), "junit", out)
    root = ET.fromstring(out.getvalue())
    assert root.tag == "testsuites" and root.get("failures") == str(failures)
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"sessions", "queries"}
    assert len(suites["sessions"].findall("testcase")) == 5
    assert len(root.findall(".//failure")) == failures
    failure = root.find(".//failure")
    assert failure is not None
    assert failure.get("message") == "sessions.b: expected json, found jsonb"
    # Every non-ok case names its severity machine-readably; ok cases carry none.
    severity = {
        case.get("name"): [p.get("value") for p in case.findall("properties/property")]
        for case in root.iter("testcase")
    }
    assert severity == {
        "sessions.a": [],
        "sessions.b": ["error"],
        "sessions.c": ["note"],
        "sessions.d": ["warning"],
        "sessions.e": ["warning"],
        "query q.sql": [],
    }
    names = {p.get("name") for p in root.iter("property")}
    assert names == {"severity"}
    failed = {
        case.get("name") for case in root.iter("testcase") if case.find("failure") is not None
    }
    assert failed == ({"sessions.b", "sessions.c", "sessions.e"} if strict else {"sessions.b"})


def test_text_lists_problems_per_table_and_ends_with_the_summary() -> None:
    out = io.StringIO()
    render(sample_report(), "text", out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "sessions: 1/5 checks ok"
    assert any(
        "ERROR" in line and "sessions.b: expected json, found jsonb" in line for line in lines
    )
    assert lines[-1] == ("SCHEMA MISMATCH: 6 checks, 2 ok, 1 error(s), 2 warning(s), 1 note(s)")


def test_the_strict_summary_says_how_many_fail_and_why() -> None:
    no_errors = [f for f in sample_report().findings if f.status != "error"]
    assert VerifyReport(no_errors, strict=True).summary_line() == (
        "SCHEMA MISMATCH: 5 checks, 2 ok, 0 error(s), 2 warning(s), 1 note(s);"
        " strict: 2 failing (notes and schema warnings fail)"
    )
    assert VerifyReport(no_errors).summary_line() == (
        "schema matches the spec: 5 checks, 2 ok, 0 error(s), 2 warning(s), 1 note(s)"
    )


def test_table_renders_without_a_terminal_and_auto_format_picks_text_for_pipes() -> None:
    out = io.StringIO()
    render(replace(sample_report(), as_table=True), "text", out)
    assert "sessions.b" in out.getvalue() and "SCHEMA MISMATCH" in out.getvalue()
    assert auto_format(io.StringIO()) == "text"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert auto_format(Terminal()) == "table"
