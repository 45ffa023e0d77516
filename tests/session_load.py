"""The benchmarks' pgbench mix on tutoring_sessions, run by threads while a test migrates.

benchmarks/pgbench/*.sql is what the load benchmarks replay with pgbench: a
read by id, a tutor's newest sessions, and an insert. The pgbench binary is not
on every machine the suite runs on (the hosted-runner lanes), so the same
statements run here from Python threads, with keys that exist in the test
data (tests/legacy_states.Population). Updates are left out: the tests prove
that every value the database held before is unchanged afterwards.

Each client waits for locks like the application does (no lock_timeout): a
migration that held a lock too long shows up as a stalled client, and one
that broke a query shows up in ``errors``.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import psycopg

_READ_BY_ID = (
    "SELECT id, tutor_id, student_id, subject, session_date, start_time, status, payment_status"
    " FROM tutoring_sessions WHERE id = %s"
)
_READ_BY_TUTOR = (
    "SELECT id, session_date, start_time, status FROM tutoring_sessions"
    " WHERE tutor_id = %s ORDER BY session_date DESC LIMIT 10"
)
_INSERT = (
    "INSERT INTO tutoring_sessions (tutor_id, student_id, subject, session_date, start_time)"
    " VALUES (%s, %s, 'Mathematics', current_date, '10:00')"
)


class SessionLoad:
    """``with SessionLoad(url) as load: ...``; then ``load.transactions``, ``load.errors``."""

    def __init__(
        self, url: str, *, clients: int = 3, tutors: int = 15, students: int = 35, max_id: int = 300
    ) -> None:
        self.url = url
        self.clients = clients
        self.tutors = tutors
        self.students = students
        self.max_id = max_id
        self.transactions = 0
        self.errors: list[str] = []
        self.slowest_ms = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SessionLoad:
        ready = threading.Barrier(self.clients + 1)
        for number in range(self.clients):
            thread = threading.Thread(target=self._client, args=(number, ready), daemon=True)
            thread.start()
            self._threads.append(thread)
        ready.wait(timeout=30)
        time.sleep(0.2)  # some traffic before the migration starts
        return self

    def __exit__(self, *exc: Any) -> None:
        time.sleep(0.2)  # and some after it ended
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _client(self, number: int, ready: threading.Barrier) -> None:
        rng = random.Random(number)
        with psycopg.connect(self.url, autocommit=True, application_name="session load") as conn:
            ready.wait(timeout=30)
            while not self._stop.is_set():
                choice = rng.random()
                started = time.perf_counter()
                try:
                    if choice < 0.45:
                        conn.execute(_READ_BY_ID, (rng.randint(1, self.max_id),)).fetchall()
                    elif choice < 0.9:
                        conn.execute(_READ_BY_TUTOR, (rng.randint(1, self.tutors),)).fetchall()
                    else:
                        conn.execute(
                            _INSERT,
                            (rng.randint(1, self.tutors), rng.randint(1, self.students)),
                        )
                except psycopg.Error as exc:
                    with self._lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with self._lock:
                    self.transactions += 1
                    self.slowest_ms = max(self.slowest_ms, elapsed)
