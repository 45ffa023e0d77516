"""Replication lag while a migration runs and its standbys replay it, as the primary
sees it (pg_stat_replication).

A background thread, on its own connection to the primary, samples every
walsender about twice a second and keeps the worst figures per standby: how
many bytes of WAL it had not yet written, flushed and replayed, and
PostgreSQL's write, flush and replay lag times. A rewrite of a large table
shows here as a peak of megabytes behind; a replay blocked by a query on the
standby as a replay figure that keeps growing while write and flush stay low.

The monitor only watches: if it cannot connect or a sample fails, it stops
and says why in :attr:`LagMonitor.note`; the migration goes on regardless.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from astegni_db import sqlfiles
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    from types import TracebackType

    import psycopg

SAMPLE_INTERVAL_S = 0.5
# A stop waits this long for the thread's last sample; then it is left to end on its own.
_JOIN_TIMEOUT_S = 5.0


@dataclass
class LagPeak:
    """The worst lag one walsender showed while the monitor ran."""

    application_name: str  # the standby's walreceiver name (its cluster_name, as a rule)
    client: str  # the standby's address as the primary sees it
    samples: int = 0
    state: str = "?"  # the walsender's state at the last sample (streaming, catchup...)
    write_bytes: float | None = None
    flush_bytes: float | None = None
    replay_bytes: float | None = None
    write_lag_s: float | None = None
    flush_lag_s: float | None = None
    replay_lag_s: float | None = None

    @property
    def label(self) -> str:
        return f"{self.application_name} ({self.client})"

    def take(self, row: dict[str, Any]) -> None:
        self.samples += 1
        self.state = str(row["state"])
        for key in (
            "write_bytes",
            "flush_bytes",
            "replay_bytes",
            "write_lag_s",
            "flush_lag_s",
            "replay_lag_s",
        ):
            value = row[key]
            if value is not None:
                current = getattr(self, key)
                setattr(self, key, max(float(value), current if current is not None else 0.0))

    def json_body(self) -> dict[str, Any]:
        return {
            "application_name": self.application_name,
            "client": self.client,
            "samples": self.samples,
            "state": self.state,
            "max_write_bytes": self.write_bytes,
            "max_flush_bytes": self.flush_bytes,
            "max_replay_bytes": self.replay_bytes,
            "max_write_lag_s": self.write_lag_s,
            "max_flush_lag_s": self.flush_lag_s,
            "max_replay_lag_s": self.replay_lag_s,
        }


class LagMonitor:
    """Samples the primary's pg_stat_replication in a thread while the block runs.

        with LagMonitor(primary) as monitor:
            report = migrate()
        monitor.peaks  # the worst lag per standby; monitor.note: why it stopped early

    One sample is taken as it starts, one when :meth:`sample_soon` asks (after
    the migration's last commit) and one as it stops, so even a migration
    shorter than the interval is seen before, just after, and at the end.
    """

    def __init__(self, primary: DatabaseTarget, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.primary = primary
        self.interval_s = interval_s
        self.peaks: dict[tuple[str, str], LagPeak] = {}
        self.samples = 0
        self.note: str | None = None  # why it stopped before it was asked to
        self._stop = threading.Event()
        self._wake = threading.Event()  # sample now, not at the next tick
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="lag-monitor", daemon=True)

    def __enter__(self) -> LagMonitor:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def sample_soon(self) -> None:
        """Have the thread take a sample now: right after the migration's last commit,
        the moment its WAL is most likely to be in flight."""
        self._wake.set()

    def stop(self) -> list[LagPeak]:
        """Take the last sample, end the thread, and return the peaks (never raises)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(_JOIN_TIMEOUT_S)
            if self._thread.is_alive() and self.note is None:
                self.note = "lag monitor: the last sample did not finish; figures may be partial"
        return self.results()

    def results(self) -> list[LagPeak]:
        with self._lock:
            return [self.peaks[key] for key in sorted(self.peaks)]

    def _run(self) -> None:
        from astegni_db import db

        try:
            with db.connect(self.primary, purpose="replication lag") as conn:
                while True:
                    self._sample(conn)
                    self._wake.wait(self.interval_s)
                    self._wake.clear()
                    if self._stop.is_set():
                        self._sample(conn)  # where the standbys stand at the end
                        return
        except Exception as exc:  # it only watches: whatever happens, migrate goes on
            self.note = f"lag monitor stopped: {self.primary.scrub(_one_line(exc))}"

    def _sample(self, conn: psycopg.Connection[Any]) -> None:
        from psycopg.rows import dict_row

        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sqlfiles.load("replica_replication_lag")).fetchall()
        with self._lock:
            self.samples += 1
            for row in rows:
                key = (str(row["application_name"]), str(row["client"]))
                self.peaks.setdefault(key, LagPeak(*key)).take(row)


def _one_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc).strip() or type(exc).__name__
    return str(message).splitlines()[0]
