"""migrate on a primary, then wait for its standbys and verify each: the whole replica run.

The caller hands in the migration and the verification as functions (the CLI
passes api.migrate and api.verify with its flags bound), so this layer never
calls up into the verbs, and whatever options they take stay theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from astegni_db.errors import AstegniError, ExitCode
from astegni_db.replicas.conflicts import (
    DEFAULT_OLDER_THAN_S,
    ConflictCheck,
    check_before_migrating,
)
from astegni_db.replicas.monitor import SAMPLE_INTERVAL_S, LagMonitor, LagPeak
from astegni_db.replicas.report import ReplicaOutcome, ReplicatedMigrateReport, StandbyReport
from astegni_db.replicas.standbys import (
    ReplicaEvent,
    ReplicaEventSink,
    StandbyState,
    no_replica_events,
    primary_lsn,
    wait_for_standbys,
)
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    from astegni_db.migrating.reports import MigrateReport
    from astegni_db.verify.report import VerifyReport

# How long migrate waits for standbys when no limit is given (--standby-timeout).
DEFAULT_TIMEOUT_S = 60.0


def migrate_then_verify_standbys(
    primary: DatabaseTarget,
    standbys: Sequence[DatabaseTarget],
    timeout_s: float,
    migrate: Callable[[], MigrateReport],
    verify: Callable[[DatabaseTarget], VerifyReport],
    on_event: ReplicaEventSink = no_replica_events,
    *,
    migrations_dir: Path | None = None,
    conflict_age_s: float = DEFAULT_OLDER_THAN_S,
    sample_interval_s: float = SAMPLE_INTERVAL_S,
) -> ReplicatedMigrateReport:
    """Run ``migrate`` on ``primary`` while watching replication lag; then wait at most
    ``timeout_s`` for every standby to replay the primary's position, and ``verify``
    each standby that did.

    With ``migrations_dir``, each standby is first asked which sessions (open at
    least ``conflict_age_s``) hold tables the pending migrations lock ACCESS
    EXCLUSIVE; they are warned about (``on_event`` and the report), never refused.

    What migrate raises propagates (its error is the run's); nothing on the
    primary is undone because a standby lags or differs: the report's exit code
    says so (8, 7, 6), and waiting again, or fixing the standby, is the remedy.
    """
    conflicts = ConflictCheck()
    if migrations_dir is not None and standbys:
        conflicts = check_before_migrating(
            primary, standbys, migrations_dir, older_than_s=conflict_age_s
        )
        for warning in conflicts.warnings:
            on_event(ReplicaEvent("conflict", warning.standby, warning.message()))
    outcome = ReplicaOutcome(lsn=None, timeout_s=timeout_s, conflicts=conflicts)
    states: list[StandbyState] = []
    # Watched until the standbys have replayed it, not only while it runs on the
    # primary: the migration's WAL reaches them, and may be held back, after.
    with LagMonitor(primary, sample_interval_s) as monitor:
        migrated = migrate()
        monitor.sample_soon()
        if migrated.exit_code != ExitCode.OK:
            outcome.skipped = f"migrate ended with exit code {int(migrated.exit_code)}"
        elif standbys:
            outcome.lsn = primary_lsn(primary)
            states = wait_for_standbys(standbys, outcome.lsn, timeout_s, on_event)
    outcome.lag, outcome.lag_samples, outcome.lag_note = (
        monitor.results(),
        monitor.samples,
        monitor.note,
    )
    outcome.standbys = [
        _verified(target, state, verify, on_event, _peak_of(state, outcome.lag, states))
        for target, state in zip(standbys, states, strict=False)
    ]
    return ReplicatedMigrateReport(migrated, outcome)


def _verified(
    target: DatabaseTarget,
    state: StandbyState,
    verify: Callable[[DatabaseTarget], VerifyReport],
    on_event: ReplicaEventSink,
    peak: LagPeak | None,
) -> StandbyReport:
    """Verify a standby that caught up; one that did not would show the old schema."""
    if not state.replayed:
        return StandbyReport(state, lag=peak)
    try:
        report = verify(target)
    except AstegniError as exc:
        return StandbyReport(
            state, verify_error=exc.message, verify_error_code=exc.exit_code, lag=peak
        )
    on_event(ReplicaEvent("verified", state.name, f"standby {state.name}: {report.summary_line()}"))
    return StandbyReport(state, verify=report, lag=peak)


def _peak_of(
    state: StandbyState, peaks: list[LagPeak], states: list[StandbyState]
) -> LagPeak | None:
    """The walsender that is this standby: the one named as its walreceiver is, when
    no other standby goes by the same name (the default, "walreceiver", often does)."""
    name = state.walreceiver_name
    if name is None or sum(1 for s in states if s.walreceiver_name == name) > 1:
        return None
    matching = [peak for peak in peaks if peak.application_name == name]
    return matching[0] if len(matching) == 1 else None
