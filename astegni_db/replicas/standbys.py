"""The primary's WAL position after a migration, and the wait until standbys have replayed it.

A standby has a migration once it has *replayed* the WAL up to the
primary's position after the migration's last commit: received is not
enough (replay may be paused, or waiting behind a query), and only replayed
changes are visible to a read on the standby, which is what ``verify`` and
the application see.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from astegni_db import db, sqlfiles
from astegni_db.errors import AstegniError, ConfigError, ConnectionFailed, ExitCode
from astegni_db.settings import DatabaseTarget, redact

if TYPE_CHECKING:
    import psycopg

# How often a standby is asked how far it has replayed.
POLL_INTERVAL_S = 0.1
# libpq counts connect_timeout in whole seconds and treats 1 as 2.
_MIN_CONNECT_TIMEOUT_S = 2

EventKind = Literal["conflict", "waiting", "replayed", "lagging", "unreachable", "verified"]


@dataclass(frozen=True)
class ReplicaEvent:
    """Progress of the replica steps, for the CLI to show as it happens."""

    kind: EventKind
    standby: str  # the standby's name (standby_name), "" for the primary
    message: str  # one line, for a person; redacted


ReplicaEventSink = Callable[[ReplicaEvent], None]


def no_replica_events(event: ReplicaEvent) -> None:
    return None


def standby_name(target: DatabaseTarget) -> str:
    """``host:port/dbname``: what a report calls a standby (never its credentials)."""
    parts = urlsplit(target.url)
    host = parts.hostname or "localhost"
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    return redact(f"{host}:{port}/{target.dbname}", target.secrets)


@dataclass(frozen=True)
class StandbyState:
    """How far one standby got with the WAL position it was waited on for."""

    name: str  # standby_name(target)
    source: str  # where its URL came from (--standby, an environment variable)
    replayed: bool  # replayed the position within the time limit
    waited_s: float  # from the start of the wait until it replayed, or gave up
    lag_bytes: float | None = None  # WAL left to replay at the end (0 once replayed)
    # How old its last replayed transaction was, while it was behind: how stale
    # its data were when the wait ended. None once caught up, or never measured.
    replay_lag_s: float | None = None
    received: bool | None = None  # its walreceiver had received the position
    replay_paused: bool | None = None  # pg_wal_replay_pause() was in force
    walreceiver_name: str | None = None  # its name in the primary's pg_stat_replication
    error: str | None = None  # why it could not be waited on (one line)
    error_code: ExitCode | None = None  # 7 unreachable, 2 not a standby or a bad URL

    @property
    def exit_code(self) -> ExitCode:
        if self.error_code is not None:
            return self.error_code
        return ExitCode.OK if self.replayed else ExitCode.STANDBY_LAG

    def describe(self, lsn: str, timeout_s: float) -> str:
        """One line: where the standby stands, for the report and the error line."""
        if self.error is not None:
            return f"standby {self.name}: {self.error}"
        if self.replayed:
            return f"standby {self.name} replayed {lsn} after {self.waited_s:.2f} s"
        behind = f"{_bytes(self.lag_bytes)} behind" if self.lag_bytes is not None else "behind"
        why = []
        if self.received is False:
            why.append("has not yet received it")
        elif self.received:
            why.append("received it but has not replayed it")
        if self.replay_paused:
            why.append("replay is paused (pg_wal_replay_resume() resumes it)")
        if self.replay_lag_s is not None:
            why.append(f"its newest replayed transaction is {self.replay_lag_s:.1f} s old")
        return f"standby {self.name} did not replay {lsn} within {timeout_s:g} s: " + "; ".join(
            [behind, *why]
        )


def _bytes(count: float | None) -> str:
    if count is None:
        return "?"
    if abs(count) < 1024:
        return f"{count:.0f} bytes"
    if abs(count) < 1024 * 1024:
        return f"{count / 1024:.1f} kB"
    return f"{count / (1024 * 1024):.1f} MB"


def format_bytes(count: float | None) -> str:
    """WAL sizes as a person reads them: 512 bytes, 12.3 kB, 4.0 MB."""
    return _bytes(count)


def primary_lsn(primary: DatabaseTarget | psycopg.Connection[Any]) -> str:
    """The primary's WAL position once everything committed so far is flushed.

    A walsender sends only flushed WAL, and under ``synchronous_commit = off``
    the migration's last commit may not be flushed yet. So one empty logical
    message (``pg_logical_emit_message``, prefix ``astegni-db``) is committed
    with ``synchronous_commit = local``, which flushes the WAL up to it, and
    every commit before it; the flushed position is then the answer. ``local``,
    not ``on``: a synchronous standby that lags must not hold this up. For a
    role not allowed that function, see :func:`_flushed_past_insert_position`.
    """
    if isinstance(primary, DatabaseTarget):
        with db.connect(primary, purpose="primary WAL position") as conn:
            try:
                return _flushed_lsn(conn)
            except AstegniError:
                raise
            except Exception as exc:
                raise db.translate(
                    exc, primary, "reading the primary's WAL position", migrating=False
                ) from None
    return _flushed_lsn(primary)


def _flushed_lsn(conn: psycopg.Connection[Any]) -> str:
    import psycopg

    if conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone() == (True,):
        raise ConfigError(
            "the database given as the primary is itself a standby (it is in recovery): "
            "migrate the primary and name this one as a standby"
        )
    conn.execute("SELECT set_config('synchronous_commit', 'local', false)")
    try:
        with conn.transaction():
            conn.execute("SELECT pg_catalog.pg_logical_emit_message(true, 'astegni-db', '')")
        row = conn.execute("SELECT pg_catalog.pg_current_wal_flush_lsn()::text").fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return _flushed_past_insert_position(conn)
    assert row is not None
    return str(row[0])


def _flushed_past_insert_position(conn: psycopg.Connection[Any]) -> str:
    """Without a flush of our own: the insert position once it is flushed, or, if other
    sessions' WAL keeps it from being flushed, the flushed position once PostgreSQL's
    bound on an asynchronous commit's flush (3 x wal_writer_delay) has passed."""
    row = conn.execute(sqlfiles.load("replica_primary_lsn")).fetchone()
    assert row is not None
    inserted, writer_delay_ms = str(row[0]), int(row[1])
    deadline = time.monotonic() + 3 * writer_delay_ms / 1000 + POLL_INTERVAL_S
    while True:
        flushed = conn.execute(sqlfiles.load("replica_flushed_to"), {"lsn": inserted}).fetchone()
        assert flushed is not None
        if flushed[1]:
            return inserted
        if time.monotonic() >= deadline:
            return str(flushed[0])
        time.sleep(POLL_INTERVAL_S / 5)


def wait_for_standbys(
    standbys: Sequence[DatabaseTarget],
    lsn: str,
    timeout_s: float,
    on_event: ReplicaEventSink = no_replica_events,
) -> list[StandbyState]:
    """Wait, at most ``timeout_s`` seconds in all, until every standby has replayed ``lsn``.

    Each standby is waited on in its own thread, on its own read-only
    connection, so one that cannot be reached does not delay the others. A
    standby that cannot be reached is tried again until the time is up (it may
    be restarting); a URL that is wrong, or a database that is not in
    recovery, is reported at once. Never raises for a standby's sake: each
    one's outcome is in its :class:`StandbyState`, in the order given.
    """
    if not standbys:
        return []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(standbys), thread_name_prefix="standby") as pool:
        futures = [
            pool.submit(_wait_one, target, lsn, started, timeout_s, on_event) for target in standbys
        ]
        return [future.result() for future in futures]


def _wait_one(
    target: DatabaseTarget,
    lsn: str,
    started: float,
    timeout_s: float,
    on_event: ReplicaEventSink,
) -> StandbyState:
    name = standby_name(target)
    deadline = started + max(0.0, timeout_s)
    last: dict[str, Any] = {}
    last_error: ConnectionFailed | None = None

    def state(**fields: Any) -> StandbyState:
        measured: dict[str, Any] = {
            "lag_bytes": last.get("bytes_to_replay"),
            "replay_lag_s": last.get("since_last_replay_s"),
            "received": _at_or_past(last.get("bytes_to_receive")),
            "replay_paused": last.get("replay_paused"),
            "walreceiver_name": last.get("walreceiver_name"),
        }
        return StandbyState(
            name=name,
            source=target.source,
            waited_s=round(time.monotonic() - started, 3),
            **(measured | fields),
        )

    on_event(ReplicaEvent("waiting", name, f"waiting for standby {name} to replay {lsn} ..."))
    while True:
        remaining = deadline - time.monotonic()
        try:
            with _standby_session(target, remaining) as conn:
                while True:
                    last = _position(conn, lsn)
                    if not last["in_recovery"]:
                        raise _NotAStandby(name)
                    if last["bytes_to_replay"] is not None and last["bytes_to_replay"] <= 0:
                        done = state(replayed=True, lag_bytes=0.0, replay_lag_s=None)
                        on_event(ReplicaEvent("replayed", name, done.describe(lsn, 0)))
                        return done
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(min(POLL_INTERVAL_S, max(0.0, deadline - time.monotonic())))
            lagging = state(replayed=False)
            on_event(ReplicaEvent("lagging", name, lagging.describe(lsn, timeout_s)))
            return lagging
        except _NotAStandby:
            return state(
                replayed=False,
                error="is not a standby: pg_is_in_recovery() is false there "
                "(is this the primary's URL?)",
                error_code=ExitCode.USAGE,
            )
        except ConnectionFailed as exc:
            # Down, restarting, or the link dropped: try again while there is time.
            last_error = exc
        except AstegniError as exc:  # a bad URL, a refused permission: no use retrying
            return state(replayed=False, error=exc.message, error_code=exc.exit_code)
        if time.monotonic() >= deadline:
            message = last_error.message if last_error is not None else "not reached in time"
            unreachable = state(replayed=False, error=message, error_code=ExitCode.UNREACHABLE)
            on_event(ReplicaEvent("unreachable", name, unreachable.describe(lsn, 0)))
            return unreachable
        time.sleep(min(POLL_INTERVAL_S * 5, max(0.0, deadline - time.monotonic())))


class _NotAStandby(Exception):
    pass


def _at_or_past(bytes_short: float | None) -> bool | None:
    return None if bytes_short is None else bytes_short <= 0


@contextlib.contextmanager
def _standby_session(target: DatabaseTarget, remaining_s: float) -> Any:
    """A read-only session on the standby, whose connect never outlasts the wait."""
    timeout = max(_MIN_CONNECT_TIMEOUT_S, min(target.connect_timeout, math.ceil(remaining_s)))
    bounded = DatabaseTarget(
        url=target.url, source=target.source, secrets=target.secrets, connect_timeout=timeout
    )
    with db.read_only_session(bounded, purpose="standby wait", doing="waiting for a standby") as c:
        yield c


def _position(conn: psycopg.Connection[Any], lsn: str) -> dict[str, Any]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(sqlfiles.load("replica_standby_position"), {"lsn": lsn}).fetchone()
    assert row is not None
    for key in ("bytes_to_receive", "bytes_to_replay"):
        if row[key] is not None:
            row[key] = float(row[key])
    return row
