"""One report for a run over several databases: folded exit code, grouped by target.

Text: each database's own report under a heading (a fleet's members only when
they fail: a thousand passing reports help nobody), then one table of every
database. JSON: ``targets``, each with its databases, each with its own
report's keys under ``report`` or its ``error``. JUnit: each database's suites,
named ``target/member: suite``. The exit code folds every database's code
(errors.fold_exit_codes: the worst wins).

``write_database_report`` keeps one JSON document per database in a
directory as each finishes, which a later run reads to resume.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astegni_db.errors import ExitCode, fold_exit_codes
from astegni_db.fleet.runner import Job, Outcome
from astegni_db.reporting import JunitCase, JunitFailure, JunitSuite, json_document

if TYPE_CHECKING:
    from astegni_db.output import Ui


@dataclass
class ManyReport:
    """Every database's outcome in one run of ``command``."""

    command: str  # the verb (an instance value: one class serves every verb)
    outcomes: list[Outcome]
    project: str = ""  # where the targets were read from
    fleets: frozenset[str] = field(default_factory=frozenset)  # targets that are fleets

    @property
    def exit_code(self) -> ExitCode:
        return fold_exit_codes(outcome.exit_code for outcome in self.outcomes if outcome.ran)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.ran and not outcome.ok]

    @property
    def problem(self) -> str | None:
        """The one line the CLI ends a failing run with."""
        failed = self.failed
        if not failed:
            return None
        names = ", ".join(outcome.job.key for outcome in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        return (
            f"{len(failed)} of {len(self.outcomes)} database(s) failed: {names}{more} "
            f"(exit {int(self.exit_code)}: the worst code wins)"
        )

    def targets(self) -> list[tuple[str, list[Outcome]]]:
        grouped: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            grouped.setdefault(outcome.job.target, []).append(outcome)
        return list(grouped.items())

    # -- JSON ---------------------------------------------------------------------------

    def json_body(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "summary": summary_counts(self.outcomes),
            "targets": [
                {
                    "name": name,
                    "fleet": name in self.fleets,
                    "ok": all(outcome.ok for outcome in outcomes),
                    "exit_code": int(
                        fold_exit_codes(outcome.exit_code for outcome in outcomes if outcome.ran)
                    ),
                    "databases": [database_document(outcome) for outcome in outcomes],
                }
                for name, outcomes in self.targets()
            ],
        }

    # -- text ---------------------------------------------------------------------------

    def write_text(self, ui: Ui) -> None:
        for outcome in self.outcomes:
            in_fleet = outcome.job.target in self.fleets
            if not outcome.ran or (in_fleet and outcome.ok):
                continue
            ui.out("")
            ui.out(f"── {heading(outcome)} ──", style="bold")
            if outcome.report is not None:
                outcome.report.write_text(ui)
                problem = getattr(outcome.report, "problem", None)
                if problem and not outcome.ok:
                    ui.out(f"error: {problem}", style="red")
            if outcome.error is not None:
                ui.out(f"error: {outcome.error}", style="red")
                if outcome.hint:
                    ui.out(f"hint: {outcome.hint}")
        ui.out("")
        rows = [
            [
                outcome.job.key,
                outcome.job.database.dbname if outcome.job.database is not None else "-",
                outcome.status,
                str(outcome.exit_code) if outcome.ran else "-",
                f"{outcome.seconds:.1f}s" if outcome.ran else "-",
                one_line_result(outcome),
            ]
            for outcome in self.outcomes
        ]
        counts = summary_counts(self.outcomes)
        counted = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        title = f"{self.command}: {counted or 'no databases (an empty shard)'}"
        ui.table(title, ["target", "database", "result", "exit", "time", "detail"], rows)

    # -- JUnit --------------------------------------------------------------------------

    def junit_suites(self) -> list[JunitSuite]:
        suites: list[JunitSuite] = []
        for outcome in self.outcomes:
            inner = getattr(outcome.report, "junit_suites", None)
            if inner is not None:
                for suite in inner():
                    suites.append(suite._replace(name=f"{outcome.job.key}: {suite.name}"))
                continue
            suites.append(JunitSuite(outcome.job.key, [outcome_case(self.command, outcome)]))
        return suites


def heading(outcome: Outcome) -> str:
    database = outcome.job.database
    where = f" ({database.redacted})" if database is not None else ""
    return f"{outcome.job.key}{where}"


def one_line_result(outcome: Outcome) -> str:
    if outcome.skipped is not None:
        return outcome.skipped
    if outcome.error is not None:
        return outcome.error
    summary = getattr(outcome.report, "summary_line", None)
    return str(summary()) if callable(summary) else ""


def summary_counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts = {"ok": 0, "failed": 0, "skipped": 0, "done before": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def database_document(outcome: Outcome) -> dict[str, Any]:
    """One database's part of the run's JSON, and of its own report file."""
    document: dict[str, Any] = {
        "target": outcome.job.target,
        "name": outcome.job.member or outcome.job.target,
        "database": outcome.job.database.redacted if outcome.job.database is not None else None,
        "status": outcome.status,
        "ok": outcome.ok,
        "exit_code": outcome.exit_code,
        "seconds": round(outcome.seconds, 3),
    }
    if outcome.skipped is not None:
        document["skipped"] = outcome.skipped
    if outcome.report is not None:
        document["report"] = json_document(outcome.report)
    if outcome.error is not None:
        document["error"] = {
            "exit_code": outcome.exit_code,
            "message": outcome.error,
            **({"hint": outcome.hint} if outcome.hint else {}),
        }
    return document


def outcome_case(command: str, outcome: Outcome) -> JunitCase:
    failure = None
    if outcome.ran and not outcome.ok:
        message = outcome.error or f"exit {outcome.exit_code}"
        failure = JunitFailure(message, f"exit-{outcome.exit_code}", message)
    return JunitCase(
        classname=f"astegni-db.{command}",
        name=outcome.job.key,
        time_s=outcome.seconds if outcome.ran else None,
        failure=failure,
        skipped=outcome.skipped if outcome.skipped is not None and not outcome.ok else None,
    )


# -- one report file per database, and resuming from them ------------------------------------


def report_path(directory: Path, job: Job) -> Path:
    """``DIR/<target>/<member>.json`` (``DIR/<target>.json`` for a plain target)."""
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in job.key.split("/")]
    return directory.joinpath(*safe).with_suffix(".json")


def write_database_report(directory: Path, command: str, outcome: Outcome) -> None:
    """Write one database's document (atomically: a crash leaves the old one or the new one)."""
    if outcome.skipped is not None:
        return  # a resumed run keeps the earlier report; a skipped one has none to write
    from astegni_db.output import write_rendered
    from astegni_db.reporting import JSON_VERSION

    path = report_path(directory, outcome.job)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": JSON_VERSION, "command": command, **database_document(outcome)}
    partial = path.with_suffix(".json.partial")
    with partial.open("w", encoding="utf-8") as stream:
        write_rendered(stream, lambda s: json.dump(document, s, indent=2, default=str))
    partial.replace(path)


def done_before(directory: Path, command: str, jobs: Iterable[Job]) -> set[str]:
    """Keys of ``jobs`` whose report in ``directory`` says this command passed on them."""
    done = set()
    for job in jobs:
        try:
            document = json.loads(report_path(directory, job).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if document.get("command") == command and document.get("ok") is True:
            done.add(job.key)
    return done
