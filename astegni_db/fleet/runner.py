"""Run one command on many databases: bounded concurrency, one failure never stops the rest.

Each database is a :class:`Job`; ``work(job)`` runs the command on it and
returns its report. What it raises (an AstegniError: unreachable, a failed
migration, a lock timeout) becomes that job's :class:`Outcome`, one redacted
line and an exit code, and the other jobs go on. With ``fail_fast`` the jobs
not yet started are skipped after the first failure; running ones finish, so
no migration is ever cut off half way by another database's failure.

Threads, not processes: every job spends its time waiting on its server, and
each opens its own connections (psycopg connections are never shared).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from astegni_db import settings
from astegni_db.errors import AstegniError, ExitCode

if TYPE_CHECKING:
    from astegni_db.reporting import Report
    from astegni_db.settings import DatabaseTarget


@dataclass(frozen=True)
class Job:
    """One database a command runs on: a target, or one member of a target's fleet."""

    target: str  # the configured target's name
    member: str | None = None  # a fleet member's name (its database); None: the target itself
    database: DatabaseTarget | None = None  # None: the command needs no database (lint, check)

    @property
    def key(self) -> str:
        """Unique in a run, and safe as a path: ``user`` or ``tenants/tenant_0042``."""
        return self.target if self.member is None else f"{self.target}/{self.member}"


@dataclass
class Outcome:
    """How one job ended: its report, or the one line it failed with; or why it never ran."""

    job: Job
    exit_code: int
    report: Report | None = None
    error: str | None = None  # redacted, one line
    hint: str | None = None
    seconds: float = 0.0
    skipped: str | None = None  # why it did not run (--fail-fast, done in an earlier run)

    @property
    def ran(self) -> bool:
        return self.skipped is None

    @property
    def ok(self) -> bool:
        """Ran and passed, or passed in the run this one resumes."""
        return self.exit_code == ExitCode.OK and self.skipped != FAIL_FAST_SKIP

    @property
    def status(self) -> str:
        if self.skipped == FAIL_FAST_SKIP:
            return "skipped"
        if self.skipped is not None:
            return "done before"
        return "ok" if self.ok else "failed"


Work = Callable[[Job], "Report"]
OnDone = Callable[[Outcome], None]
FAIL_FAST_SKIP = "not run: an earlier database failed (--fail-fast)"
RESUMED = "done in an earlier run (--resume)"


def run_one(job: Job, work: Work) -> Outcome:
    """``work(job)`` with what it raises caught: the isolation every run relies on."""
    started = time.monotonic()
    scrub = job.database.scrub if job.database is not None else settings.redact
    try:
        report = work(job)
    except AstegniError as exc:
        return Outcome(
            job,
            int(exc.exit_code),
            error=" ".join(scrub(exc.message).split()),
            hint=None if exc.hint is None else " ".join(scrub(exc.hint).split()),
            seconds=time.monotonic() - started,
        )
    except Exception as exc:  # a bug on one database must not take the others down
        if os.environ.get("ASTEGNI_DB_DEBUG"):
            raise
        return Outcome(
            job,
            int(ExitCode.FAILURE),
            error=scrub(f"internal error: {type(exc).__name__}: {exc}"),
            seconds=time.monotonic() - started,
        )
    return Outcome(job, int(report.exit_code), report=report, seconds=time.monotonic() - started)


def run_jobs(
    jobs: Sequence[Job],
    work: Work,
    *,
    concurrency: int = 1,
    fail_fast: bool = False,
    done_before: Collection[str] = (),
    on_done: OnDone | None = None,
    stop: threading.Event | None = None,
) -> list[Outcome]:
    """Every job's outcome, in ``jobs``' order, whatever order they finished in.

    At most ``concurrency`` run at once. ``done_before``: keys a resumed run
    skips (their earlier report said ok). ``on_done`` is called from this
    thread as each job ends (a progress bar, a per-database report file).
    ``stop``: shared by the calls of one run (one per target), so that with
    ``fail_fast`` a failure in one target's jobs also skips the next target's.
    """
    outcomes: dict[str, Outcome] = {}
    stop = stop or threading.Event()

    def record(outcome: Outcome) -> None:
        outcomes[outcome.job.key] = outcome
        if not outcome.ok and outcome.ran and fail_fast:
            stop.set()
        if on_done is not None:
            on_done(outcome)

    pending = []
    for job in jobs:
        if job.key in done_before:
            record(Outcome(job, int(ExitCode.OK), skipped=RESUMED))
        else:
            pending.append(job)
    if concurrency <= 1 or len(pending) <= 1:
        for job in pending:
            record(_skipped(job) if stop.is_set() else run_one(job, work))
        return [outcomes[job.key] for job in jobs]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="astegni-db") as pool:
        queue = list(reversed(pending))
        running: dict[Future[Outcome], Job] = {}
        while queue or running:
            while queue and len(running) < concurrency and not stop.is_set():
                job = queue.pop()
                running[pool.submit(run_one, job, work)] = job
            if stop.is_set():
                while queue:
                    record(_skipped(queue.pop()))
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                record(future.result())
    return [outcomes[job.key] for job in jobs]


def _skipped(job: Job) -> Outcome:
    # Exit code 0: a job that never ran has no code of its own to fold; the
    # failure that stopped the run already carries the run's code.
    return Outcome(job, int(ExitCode.OK), skipped=FAIL_FAST_SKIP)
