"""One migrate at a time per database, with a session-level advisory lock.

yoyo locks with a row in ``yoyo_lock``: a killed run leaves the row behind
and every later run waits, then fails. An advisory lock belongs to the
server session, so the server drops it the moment the process or its
connection dies; nothing is ever left to clean up by hand, and it is never
released any other way: closing the session is the release.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from astegni_db import sqlfiles
from astegni_db.errors import LockNotAcquired

if TYPE_CHECKING:
    import psycopg

# Two int4 keys ("ASTE", "GNI1") so we never collide with single-bigint
# advisory locks an application may take.
LOCK_KEY = (0x41535445, 0x474E4931)
# Between polls of a held lock: quick at first (a peer finishing a no-op run),
# then at most this often.
_FIRST_PAUSE_S = 0.02
_LONGEST_PAUSE_S = 0.25


def acquire(conn: psycopg.Connection[Any], timeout_s: float) -> None:
    """Take the migration lock, waiting at most ``timeout_s`` (0: do not wait).

    Polled with pg_try_advisory_lock, not waited for with pg_advisory_lock: a
    session blocked in pg_advisory_lock holds a snapshot the whole time, and
    CREATE INDEX CONCURRENTLY (run by the session holding the lock) waits for
    every older snapshot to go. The two runs would wait on each other until
    one timed out; a poll holds a snapshot for a moment only.
    """
    deadline = time.monotonic() + max(0.0, timeout_s)
    pause = _FIRST_PAUSE_S
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", LOCK_KEY).fetchone()
        if row and row[0]:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise _held_elsewhere(conn, timeout_s)
        time.sleep(min(pause, left))
        pause = min(pause * 2, _LONGEST_PAUSE_S)


def _held_elsewhere(conn: psycopg.Connection[Any], timeout_s: float) -> LockNotAcquired:
    rows = conn.execute(
        sqlfiles.load("lock_holders"), {"k1": LOCK_KEY[0], "k2": LOCK_KEY[1]}
    ).fetchall()
    holders = ", ".join(
        f"pid {pid} ({app}, user {user}, from {client}, connected {secs}s)"
        for pid, app, user, client, secs in rows
    )
    return LockNotAcquired(
        f"another astegni-db run holds the migration lock"
        f"{': ' + holders if holders else ''}; gave up after {timeout_s:g}s",
        hint="wait for it to finish, or raise --lock-timeout",
    )
