"""What the replica steps add to a migrate run's report, and the report of the whole run.

:class:`ReplicaOutcome` follows astegni_db/reporting.py's Report protocol on
its own (exit code, ``json_body``, ``write_text``), so it can be attached to
any migrate report; :class:`ReplicatedMigrateReport` is a MigrateReport with
it attached, and its exit code folds both:

- the migration's, when it is not 0;
- else the worst standby's, by errors.fold_exit_codes: 2 (a standby URL that
  is wrong, or a database that is not a standby) > 7 (unreachable) > 4 (verify
  waited too long for a lock) > 8 (did not replay in time) > 6 (verify found
  the standby's schema differs from the spec) > 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from astegni_db.errors import ExitCode, fold_exit_codes
from astegni_db.replicas.conflicts import ConflictCheck
from astegni_db.replicas.monitor import LagPeak
from astegni_db.replicas.standbys import StandbyState, format_bytes
from astegni_db.reporting import JunitCase, JunitFailure, JunitSuite

if TYPE_CHECKING:
    from astegni_db.migrating.reports import MigrateReport
    from astegni_db.output import Ui
    from astegni_db.verify.report import VerifyReport


@dataclass
class StandbyReport:
    """One standby: how it caught up, what lag it showed, and what verify found on it."""

    state: StandbyState
    verify: VerifyReport | None = None  # None: not run (it did not replay in time)
    verify_error: str | None = None  # verify stopped: unreachable, a lock wait...
    verify_error_code: ExitCode | None = None
    lag: LagPeak | None = None  # its walsender's worst figures while migrating and waiting

    @property
    def exit_code(self) -> ExitCode:
        if self.state.exit_code != ExitCode.OK:
            return self.state.exit_code
        if self.verify_error_code is not None:
            return self.verify_error_code
        return self.verify.exit_code if self.verify is not None else ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        s = self.state
        return {
            "name": s.name,
            "source": s.source,
            "exit_code": int(self.exit_code),
            "replayed": s.replayed,
            "waited_s": s.waited_s,
            "lag_bytes": s.lag_bytes,
            "replay_lag_s": s.replay_lag_s,
            "received": s.received,
            "replay_paused": s.replay_paused,
            "walreceiver_name": s.walreceiver_name,
            "error": s.error,
            "replication_lag": self.lag.json_body() if self.lag is not None else None,
            "verify": None if self.verify is None else self.verify.json_body(),
            "verify_error": self.verify_error,
        }

    def lines(
        self, lsn: str, timeout_s: float, held_back_by: str | None
    ) -> list[tuple[str, str | None]]:
        """(line, style) for the text report; ``held_back_by``: the conflict foreseen for it."""
        s = self.state
        lines: list[tuple[str, str | None]] = []
        if s.error is not None or not s.replayed:
            lines.append((f"  {s.describe(lsn, timeout_s)}", "bold red"))
            if held_back_by is not None and s.error is None:
                lines.append((f"    {held_back_by}", "red"))
        else:
            lines.append(
                (f"  standby {s.name}: replayed the migration after {s.waited_s:.2f} s", None)
            )
        if self.lag is not None:
            lines.append((f"    replication lag: {describe_peak(self.lag)}", None))
        if self.verify_error is not None:
            lines.append((f"    verify: {self.verify_error}", "bold red"))
        elif self.verify is not None:
            ok = self.verify.ok
            lines.append(
                (f"    verify: {self.verify.summary_line()}", "green" if ok else "bold red")
            )
            lines += [
                (f"      {f.status.upper():7} {f.kind:11} {f.message}", "red")
                for f in self.verify.failing
            ]
        return lines


def describe_peak(peak: LagPeak) -> str:
    """The worst a walsender showed: WAL the standby had still to flush and replay, and
    PostgreSQL's lag times (each the largest sample, not necessarily the same one)."""
    parts = [
        f"not yet replayed at most {format_bytes(peak.replay_bytes)}",
        f"not yet flushed at most {format_bytes(peak.flush_bytes)}",
    ]
    parts += [
        f"{what} lag at most {value:.3f} s"
        for what, value in (("replay", peak.replay_lag_s), ("flush", peak.flush_lag_s))
        if value is not None
    ]
    return ", ".join(parts) + f" ({peak.samples} samples, {peak.label})"


@dataclass
class ReplicaOutcome:
    """The standbys after a migration: the Report protocol's part for the replica steps."""

    command: ClassVar[str] = "migrate"

    lsn: str | None  # the primary's WAL position that was waited for (None: no wait)
    timeout_s: float
    standbys: list[StandbyReport] = field(default_factory=list)
    # Every walsender the lag monitor saw, tied to a named standby or not.
    lag: list[LagPeak] = field(default_factory=list)
    lag_samples: int = 0
    lag_note: str | None = None  # why the monitor stopped early
    conflicts: ConflictCheck = field(default_factory=ConflictCheck)
    skipped: str | None = None  # why the standbys were not waited for

    @property
    def exit_code(self) -> ExitCode:
        return fold_exit_codes(s.exit_code for s in self.standbys)

    @property
    def problem(self) -> str | None:
        """The one error line: every standby that did not pass, worst first."""
        failing = [s for s in self.standbys if s.exit_code != ExitCode.OK]
        if not failing:
            return None
        worst = self.exit_code
        failing.sort(key=lambda s: s.exit_code != worst)
        return "; ".join(self._problem_of(s) for s in failing)

    def held_back_by(self, standby: StandbyReport) -> str | None:
        """For a standby that did not catch up: the conflicts foreseen on it before migrating."""
        if standby.state.replayed or standby.state.replay_paused:
            return None
        seen = [w for w in self.conflicts.warnings if w.standby == standby.state.name]
        if not seen:
            return None
        return "replay was foreseen to wait behind " + ", ".join(
            f"pid {w.pid} ({w.application_name}) holding {', '.join(w.relations)}" for w in seen
        )

    def _problem_of(self, standby: StandbyReport) -> str:
        if standby.state.exit_code != ExitCode.OK:
            line = standby.state.describe(self.lsn or "?", self.timeout_s)
            held_back_by = self.held_back_by(standby)
            return f"{line}; {held_back_by}" if held_back_by else line
        if standby.verify_error is not None:
            return f"standby {standby.state.name}: verify: {standby.verify_error}"
        assert standby.verify is not None
        return f"standby {standby.state.name}: {standby.verify.summary_line()}"

    def summary_line(self) -> str:
        """One line for a run over many databases (a final table)."""
        if self.skipped is not None:
            return f"standbys not waited for: {self.skipped}"
        passed = sum(1 for s in self.standbys if s.exit_code == ExitCode.OK)
        return f"standbys: {passed}/{len(self.standbys)} replayed and verified"

    def json_body(self) -> dict[str, Any]:
        return {
            "primary_lsn": self.lsn,
            "timeout_s": self.timeout_s,
            "skipped": self.skipped,
            "standbys": [s.json_body() for s in self.standbys],
            "replication_lag": {
                "samples": self.lag_samples,
                "note": self.lag_note,
                "walsenders": [peak.json_body() for peak in self.lag],
            },
            "conflicts": {
                "access_exclusive_locks": [
                    {"migration": lock.migration_id, "relation": lock.relation, "line": lock.line}
                    for lock in self.conflicts.locks
                ],
                "warnings": [w.json_body() for w in self.conflicts.warnings],
                "notes": self.conflicts.notes,
            },
        }

    def write_text(self, ui: Ui) -> None:
        for warning in self.conflicts.warnings:
            ui.say(f"  standby conflict: {warning.message()}", "yellow")
        for note in self.conflicts.notes:
            ui.say(f"  standby conflicts: {note}", "yellow")
        if self.lag_note is not None:
            ui.say(f"  {self.lag_note}", "yellow")
        if self.skipped is not None:
            ui.out(f"Standbys not waited for: {self.skipped}.", "yellow")
            return
        if not self.standbys:
            return
        ui.out(f"Standbys (waited for the primary's WAL position {self.lsn}, at most "
               f"{self.timeout_s:g} s):")  # fmt: skip
        for standby in self.standbys:
            lines = standby.lines(self.lsn or "?", self.timeout_s, self.held_back_by(standby))
            for line, style in lines:
                ui.out(line, style)
        tied = {id(s.lag) for s in self.standbys if s.lag is not None}
        others = [peak for peak in self.lag if id(peak) not in tied]
        if others:
            ui.out(f"Replication lag while migrating and waiting ({self.lag_samples} samples "
                   "of pg_stat_replication on the primary):")  # fmt: skip
            for peak in others:
                ui.out(f"  {peak.label}: {describe_peak(peak)}")
        caught_up = sum(1 for s in self.standbys if s.exit_code == ExitCode.OK)
        ui.out(
            f"{caught_up} of {len(self.standbys)} standby(s) replayed the migration and "
            "passed verify.",
            style="bold green" if caught_up == len(self.standbys) else "bold red",
        )

    def junit_suites(self) -> list[JunitSuite]:
        """One testcase per standby (did it catch up), then each standby's verify suites."""
        cases = []
        for s in self.standbys:
            failure = None
            if s.state.exit_code != ExitCode.OK:
                text = s.state.describe(self.lsn or "?", self.timeout_s)
                failure = JunitFailure(text, "standby", text)
            cases.append(
                JunitCase("standbys", s.state.name, time_s=s.state.waited_s, failure=failure)
            )
        suites = [JunitSuite("standbys", cases)]
        for s in self.standbys:
            if s.verify is not None:
                suites += [
                    suite._replace(name=f"{s.state.name} {suite.name}")
                    for suite in s.verify.junit_suites()
                ]
        return suites


@dataclass
class ReplicatedMigrateReport:
    """A migrate run with standbys: the migration's report and the standbys' outcome."""

    command: ClassVar[str] = "migrate"

    migrate: MigrateReport
    replicas: ReplicaOutcome

    @property
    def exit_code(self) -> ExitCode:
        if self.migrate.exit_code != ExitCode.OK:
            return self.migrate.exit_code
        return self.replicas.exit_code

    @property
    def problem(self) -> str | None:
        if self.migrate.exit_code != ExitCode.OK:
            return getattr(self.migrate, "problem", None)
        return self.replicas.problem

    def summary_line(self) -> str:
        return f"{self.migrate.summary_line()}; {self.replicas.summary_line()}"

    def json_body(self) -> dict[str, Any]:
        return {**self.migrate.json_body(), "replicas": self.replicas.json_body()}

    def write_text(self, ui: Ui) -> None:
        self.migrate.write_text(ui)
        self.replicas.write_text(ui)

    def junit_suites(self) -> list[JunitSuite]:
        return self.replicas.junit_suites()
