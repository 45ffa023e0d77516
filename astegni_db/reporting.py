"""What every command returns: a report that owns its exit code and renders itself.

A report renders as text for people (``write_text``), as one JSON document
for scripts (the envelope below, the same for every command), and, where it
holds pass/fail cases, as JUnit XML for CI test reports (one writer for all).
The CLI only picks the format and the stream.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TextIO

from astegni_db.errors import ExitCode

if TYPE_CHECKING:
    from astegni_db.output import Ui

# Bumped only when a key is removed or changes meaning; new keys may appear.
JSON_VERSION = 1


class Report(Protocol):
    @property
    def command(self) -> str:
        """The verb (most reports: a class variable; a run over many databases: its verb)."""
        ...

    @property
    def exit_code(self) -> ExitCode: ...

    def json_body(self) -> dict[str, Any]:
        """The command's own keys in the JSON document."""
        ...

    def write_text(self, ui: Ui) -> None: ...


def render(
    report: Report, fmt: str, stream: TextIO, *, no_color: bool = False, reveal: bool = False
) -> None:
    """Write ``report`` to ``stream`` as text, json, junit (or lint's gitlab, github).

    ``reveal``: the report's result is a credential on purpose (`dev url`); the
    CLI writes what this renders through the redactor otherwise (output.write_rendered).
    """
    if fmt == "json":
        write_json(json_document(report), stream)
    elif fmt == "junit":
        suites = report.junit_suites()  # type: ignore[attr-defined]
        write_junit(f"astegni-db {report.command}", suites, stream)
    elif fmt == "gitlab":
        report.write_gitlab(stream)  # type: ignore[attr-defined]
    elif fmt == "github":
        report.write_github(stream)  # type: ignore[attr-defined]
    else:
        from astegni_db.output import Ui

        report.write_text(Ui(no_color, stdout=stream, reveal=reveal))


def json_document(report: Report) -> dict[str, Any]:
    """The envelope every command's JSON shares: version, command, ok, exit_code, then its keys."""
    code = report.exit_code
    return {
        "version": JSON_VERSION,
        "command": report.command,
        "ok": code == ExitCode.OK,
        "exit_code": int(code),
        **report.json_body(),
    }


def error_document(command: str, code: int, message: str) -> dict[str, Any]:
    """The envelope of a run that failed before it had a report (bad input, no database)."""
    return {
        "version": JSON_VERSION,
        "command": command,
        "ok": False,
        "exit_code": code,
        "error": {"exit_code": code, "message": message},
    }


def write_json(document: dict[str, Any], stream: TextIO) -> None:
    json.dump(document, stream, indent=2, default=str)
    stream.write("\n")
    stream.flush()


# NamedTuples rather than dataclasses: defined at every CLI start, used by few runs.
class JunitFailure(NamedTuple):
    message: str
    type: str
    text: str


class JunitCase(NamedTuple):
    classname: str
    name: str
    time_s: float | None = None
    failure: JunitFailure | None = None
    skipped: str | None = None  # why it was skipped
    output: str | None = None  # shown in CI, does not fail: warnings, notes, details
    # <properties> of the testcase, e.g. (("severity", "warning"),): machine-readable
    # facts CI tools show or filter on (pytest writes its record_property the same way).
    properties: Sequence[tuple[str, str]] = ()


class JunitSuite(NamedTuple):
    name: str
    cases: Sequence[JunitCase] = ()
    time_s: float | None = None


def write_junit(title: str, suites: Sequence[JunitSuite], stream: TextIO) -> None:
    import xml.etree.ElementTree as ET

    def count(cases: Sequence[JunitCase], what: str) -> str:
        return str(sum(1 for case in cases if getattr(case, what) is not None))

    every_case = [case for suite in suites for case in suite.cases]
    root = ET.Element(
        "testsuites",
        name=title,
        tests=str(len(every_case)),
        failures=count(every_case, "failure"),
    )
    for suite in suites:
        node = ET.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=count(suite.cases, "failure"),
            errors="0",
            skipped=count(suite.cases, "skipped"),
        )
        if suite.time_s is not None:
            node.set("time", f"{suite.time_s:.3f}")
        for case in suite.cases:
            element = ET.SubElement(node, "testcase", classname=case.classname, name=case.name)
            if case.time_s is not None:
                element.set("time", f"{case.time_s:.3f}")
            if case.properties:
                listed = ET.SubElement(element, "properties")
                for name, value in case.properties:
                    ET.SubElement(listed, "property", name=name, value=value)
            if case.failure is not None:
                failure = ET.SubElement(
                    element, "failure", message=case.failure.message, type=case.failure.type
                )
                failure.text = case.failure.text
            elif case.skipped is not None:
                ET.SubElement(element, "skipped", message=case.skipped)
            if case.output and case.failure is None and case.skipped is None:
                ET.SubElement(element, "system-out").text = case.output
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
