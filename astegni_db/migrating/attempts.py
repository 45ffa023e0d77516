"""Trying a step that may wait on a lock: the retry policy, progress events, the
watcher that names who blocked the last attempt, and the notices a step raised.

Shared by both ways a migration runs: atomically with its bookkeeping
(runner.py), or statement by statement (nontransactional.py).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astegni_db import db, settings, sqlfiles
from astegni_db.errors import AstegniError, LockNotAcquired

if TYPE_CHECKING:
    import psycopg

    from astegni_db.settings import DatabaseTarget


@dataclass(frozen=True)
class RetryPolicy:
    """How long one DDL attempt may wait for a lock, and how often we try again."""

    lock_timeout_ms: int = settings.DEFAULT_DDL_LOCK_TIMEOUT_MS
    retries: int = settings.DEFAULT_DDL_RETRIES
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    # After the last attempt of a concurrent index build, how long the DROP
    # INDEX CONCURRENTLY of the INVALID index it left may wait. That wait queues
    # no lock any application query needs, so it may be as long as the run's
    # own patience (--lock-timeout), not the DDL attempt's.
    cleanup_wait_s: float = settings.DEFAULT_LOCK_TIMEOUT_S

    @property
    def attempts(self) -> int:
        return self.retries + 1

    @property
    def lock_timeout(self) -> str:
        """As set_config('lock_timeout', ...) takes it."""
        return f"{self.lock_timeout_ms}ms"

    def delay(self, attempt: int) -> float:
        base = min(self.backoff_max_s, self.backoff_initial_s * 2 ** (attempt - 1))
        # Jitter, so racing deploys do not retry in lockstep.
        return float(base * random.uniform(0.75, 1.25))


@dataclass(frozen=True)
class Event:
    """Progress, for the CLI to show as it happens."""

    kind: str  # "start", "retry", "done"
    migration_id: str
    direction: str  # "apply" or "rollback"
    attempt: int = 1
    duration_ms: float = 0.0
    detail: str = ""


EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class StepResult:
    migration_id: str
    direction: str
    duration_ms: float
    attempts: int
    notices: list[str] = field(default_factory=list)


class BlockerWatcher:
    """Polls, from a second connection, who blocks our backend while we wait.

    Only the last attempt is watched: it is the one whose failure we explain.
    Who blocks is said by pid, application, user, state and for how long,
    never by their SQL text: it may hold personal data.
    """

    def __init__(self, target: DatabaseTarget, pid: int, interval_s: float) -> None:
        self.target, self.pid, self.interval_s = target, pid, interval_s
        self.blockers: list[str] = []
        self.unavailable: str | None = None  # why we could not look
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._conn: psycopg.Connection | None = None

    def __enter__(self) -> BlockerWatcher:
        # Connected before the attempt starts: connecting inside the thread took
        # longer than a short lock_timeout on a busy machine, and the attempt was
        # over before the first look (test_ddl_gives_up_on_a_long_transaction_...).
        try:
            self._conn = db.connect(self.target, purpose="lock watcher", connect_timeout=5)
        except AstegniError as exc:
            # At max_connections, say so, rather than that the blocker had gone.
            self.unavailable = exc.message
            return self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()

    def _run(self) -> None:
        import psycopg

        assert self._conn is not None
        query = sqlfiles.load("blocking_sessions")
        try:
            while True:
                rows = self._conn.execute(query, {"pid": self.pid}).fetchall()
                if rows:
                    self.blockers = [
                        f"pid {pid} ({app}, user {user}, {state}, in a transaction for {secs}s)"
                        for pid, app, user, state, secs in rows
                    ]
                if self._stop.wait(self.interval_s):
                    return
        except psycopg.Error as exc:
            # The watcher only explains; losing it must not print a traceback.
            self.unavailable = f"the lock watcher lost its connection ({type(exc).__name__})"
            return

    def explain(self) -> str:
        """Who blocked, for the exit-4 message."""
        if self.blockers:
            return "blocked by " + "; ".join(self.blockers)
        if self.unavailable:
            return f"who blocked could not be looked up: {self.unavailable}"
        return "the blocking session had ended by the time it was looked up"


def watch_if(last: bool, target: DatabaseTarget, pid: int, policy: RetryPolicy) -> Any:
    """A BlockerWatcher for the last attempt; nothing for the others."""
    if not last:
        return contextlib.nullcontext()
    return BlockerWatcher(target, pid, max(0.01, policy.lock_timeout_ms / 4000))


def lock_not_granted(what: str, policy: RetryPolicy, watcher: Any) -> LockNotAcquired:
    explained = (
        watcher.explain() if isinstance(watcher, BlockerWatcher) else "blocked by another session"
    )
    return LockNotAcquired(
        f"{what} gave up after {policy.attempts} attempts: a lock was not granted "
        f"within {policy.lock_timeout_ms} ms; {explained}",
        hint="end or wait out the blocking transaction, or raise --ddl-retries",
    )


@contextlib.contextmanager
def collect_notices(conn: psycopg.Connection) -> Iterator[list[str]]:
    notices: list[str] = []

    def handler(diag: Any) -> None:
        severity = diag.severity_nonlocalized
        if severity not in {"WARNING", "NOTICE"} or not diag.message_primary:
            return
        # PostgreSQL's own "already exists, skipping" / "does not exist, skipping"
        # (class 42) are what IF [NOT] EXISTS is for: expected on every legacy
        # database, so noise. A migration's RAISE NOTICE (00000) is kept.
        if severity == "NOTICE" and (diag.sqlstate or "").startswith("42"):
            return
        notices.append(f"{severity.lower()}: {diag.message_primary}")

    conn.add_notice_handler(handler)
    try:
        yield notices
    finally:
        conn.remove_notice_handler(handler)
