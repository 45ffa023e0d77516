"""Opening connections, and the one place driver errors become one-line user errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from astegni_db import settings, sqlfiles
from astegni_db.errors import (
    AstegniError,
    ConfigError,
    ConnectionFailed,
    LockNotAcquired,
    MigrationFailed,
    PermissionDenied,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import psycopg

    from astegni_db.settings import DatabaseTarget

APPLICATION_NAME = "astegni-db"
# How often the server checks that our client is still there during a statement.
CLIENT_CHECK_INTERVAL_MS = 1000
# The table locks a plain read (ACCESS SHARE) cannot pass; and those a PREPARE
# of any statement may meet (an UPDATE's ROW EXCLUSIVE, taken by parse
# analysis, is the strongest lock a PREPARE takes).
READ_BLOCKING_MODES = ("AccessExclusiveLock",)
PREPARE_BLOCKING_MODES = (
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)


def connect(
    target: DatabaseTarget, *, purpose: str, connect_timeout: int | None = None
) -> psycopg.Connection[Any]:
    """An autocommit connection named after what it is for (seen in pg_stat_activity)."""
    import psycopg

    try:
        return psycopg.connect(
            target.url,
            autocommit=True,
            connect_timeout=connect_timeout or target.connect_timeout,
            application_name=f"{APPLICATION_NAME} {purpose}",
        )
    except psycopg.ProgrammingError as exc:  # libpq rejected the URL itself
        raise ConfigError(
            f"invalid database URL from {target.source}: {target.scrub(_first_line(exc))}"
        ) from None
    except psycopg.OperationalError as exc:
        reason = target.scrub(_connection_reason(exc)).removeprefix("connection is bad: ")
        # libpq checks option values (sslmode=sometimes, port=x) before any
        # network traffic and says "invalid ...": the URL is wrong, not the server.
        if reason.startswith("invalid "):
            raise ConfigError(f"invalid database URL from {target.source}: {reason}") from None
        raise ConnectionFailed(
            f"cannot connect to {target.redacted} ({target.source}): {reason}"
        ) from None


@contextlib.contextmanager
def read_only_session(
    target: DatabaseTarget,
    *,
    purpose: str,
    doing: str,
) -> Iterator[psycopg.Connection[Any]]:
    """A connection on which every statement runs read-only; driver errors met while
    ``doing`` things on it become AstegniErrors.

    Read-only throughout, so nothing run through it (an application's query
    file, say) can write, even by mistake. Never yoyo's connection, which
    needs CREATE rights: verify, inspect and status work with SELECT alone.
    No lock wait on it outlasts settings.DEFAULT_LOCK_TIMEOUT_S
    (:func:`bounded_read_only_session` takes another bound).
    """
    with bounded_read_only_session(target, purpose=purpose, doing=doing) as conn:
        yield conn


@contextlib.contextmanager
def bounded_read_only_session(
    target: DatabaseTarget,
    *,
    purpose: str,
    doing: str,
    lock_timeout_s: float | None = None,
) -> Iterator[psycopg.Connection[Any]]:
    """:func:`read_only_session` on which no statement waits longer than
    ``lock_timeout_s`` for a lock (None: settings.DEFAULT_LOCK_TIMEOUT_S; 0: do not wait).

    A read queued behind another session's ACCESS EXCLUSIVE lock (a long ALTER
    TABLE, a LOCK TABLE in an open transaction) would otherwise wait for as
    long as that session likes. When the bound is hit, the session ends in
    LockNotAcquired (exit 4) naming who holds the lock.
    """
    import psycopg

    timeout_s = settings.DEFAULT_LOCK_TIMEOUT_S if lock_timeout_s is None else lock_timeout_s
    with connect(target, purpose=purpose) as conn:
        try:
            conn.execute(
                "SELECT set_config('default_transaction_read_only', 'on', false),"
                " set_config('lock_timeout', %s, false)",
                (lock_timeout_setting(timeout_s),),
            )
            yield conn
        except psycopg.errors.LockNotAvailable:
            raise lock_wait_error(conn, doing) from None
        except psycopg.Error as exc:
            raise translate(exc, target, doing, migrating=False) from None
        except LockWaitTimedOut:
            raise  # its holders are named already
        except AstegniError as exc:
            # Code inside may translate its own driver errors (status reads the
            # history that way): name who held the lock that timed out.
            if not _caused_by_lock_timeout(exc):
                raise
            raise lock_wait_error(conn, doing) from None


class LockWaitTimedOut(LockNotAcquired):
    """A statement gave up waiting for a table lock; the message names who holds it."""


def lock_timeout_setting(timeout_s: float) -> str:
    """``lock_timeout`` for a bound in seconds. 0 (do not wait) becomes 1 ms, since
    PostgreSQL's own 0 means "wait forever"."""
    return f"{max(1, int(timeout_s * 1000))}ms"


def _caused_by_lock_timeout(exc: BaseException) -> bool:
    import psycopg

    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, psycopg.errors.LockNotAvailable):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def lock_wait_error(
    conn: psycopg.Connection[Any],
    doing: str,
    *,
    relations: Sequence[str] = (),
    modes: Sequence[str] = READ_BLOCKING_MODES,
) -> LockWaitTimedOut:
    """The error for a statement on ``conn`` that just gave up waiting for a lock.

    It names the sessions that hold, or queue for, a table lock in one of
    ``modes`` on ``relations`` (or their indexes; on any relation when none of
    those is locked): pid, application, user, state and how long their
    transaction has been open. Never their SQL text, which may hold personal
    data. Looked up after the wait, on the same connection (autocommit, so
    usable again): a blocker that finished in between is not named.
    """
    import psycopg

    timeout = "?"
    holders: list[tuple[Any, ...]] = []
    # The lookup only explains; if it fails, the error is still the lock timeout.
    with contextlib.suppress(psycopg.Error):
        row = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
        timeout = str(row[0]) if row else "?"
        query = sqlfiles.load("lock_conflicts")
        for names in ([*relations], None) if relations else (None,):
            holders = conn.execute(query, {"modes": [*modes], "names": names}).fetchall()
            if holders:
                break
    return LockWaitTimedOut(
        f"{doing}: gave up after lock_timeout {timeout} waiting for a table lock; "
        + (
            "; ".join(_describe_holder(*row) for row in holders)
            or "the session holding it had ended by the time it was looked up"
        ),
        hint="wait for that transaction to finish, or end it; then run again",
    )


def _describe_holder(
    relation: str,
    mode: str,
    granted: bool,
    pid: int | None,
    application: str,
    user: str,
    state: str,
    transaction_seconds: Any,
    queued_behind: list[int] | None,
) -> str:
    lock = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", mode.removesuffix("Lock")).upper()
    who = (
        "a prepared transaction (pg_prepared_xacts)"
        if pid is None
        else f"pid {pid} ({application}, user {user}, {state}, "
        f"transaction open {transaction_seconds}s)"
    )
    if granted:
        return f"{who} holds {lock} on {relation}"
    # Queued ahead of us, itself waiting: for a long transaction, as a rule.
    behind = f" behind pid {', '.join(map(str, queued_behind))}" if queued_behind else ""
    return f"{who} is queued for {lock} on {relation}{behind}"


def end_with_client(conn: psycopg.Connection[Any]) -> None:
    """Have the server end this session soon after our process dies or the link drops.

    Without it a session whose client was SIGKILLed lives on until its current
    statement ends, or its lock wait times out, and keeps the migration lock and
    any table locks meanwhile: the next run then waits on a dead one.
    PostgreSQL 14+ on Linux, macOS and the BSDs; elsewhere a no-op.
    """
    import psycopg

    # Too old a server, or a platform without the kernel support: carry on without.
    with contextlib.suppress(psycopg.errors.UndefinedObject, psycopg.errors.InvalidParameterValue):
        conn.execute(
            "SELECT set_config('client_connection_check_interval', %s, false)",
            (str(CLIENT_CHECK_INTERVAL_MS),),
        )


def _connection_reason(exc: Exception) -> str:
    text = str(exc).strip()
    # libpq says 'connection to server at "h", port p failed: REASON' for every
    # address it tried, then hints; the server's FATAL line is best, else the
    # last attempt's reason.
    reasons = []
    for line in text.splitlines():
        if "FATAL:" in line:
            return line.split("FATAL:", 1)[1].strip()
        if "failed:" in line:
            reasons.append(line.rsplit("failed:", 1)[1].strip())
    if reasons:
        return reasons[-1]
    return text.splitlines()[0] if text else "unknown error"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def describe_db_error(exc: BaseException) -> str:
    """``[SQLSTATE] message`` on one line, with the server's detail when it helps."""
    diag = getattr(exc, "diag", None)
    sqlstate = getattr(exc, "sqlstate", None)
    primary = getattr(diag, "message_primary", None) or _first_line(exc)
    detail = getattr(diag, "message_detail", None)
    text = f"{primary}" + (f" ({detail})" if detail else "")
    return f"[{sqlstate}] {text}" if sqlstate else text


def translate(
    exc: BaseException, target: DatabaseTarget, doing: str, *, migrating: bool = True
) -> AstegniError:
    """Map a driver error raised while ``doing`` something to a user error.

    ``migrating``: the error hit a migration or its bookkeeping, so the hints
    speak of what a migration needs and of how an interrupted one recovers.
    """
    import psycopg

    if isinstance(exc, AstegniError):
        return exc
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return PermissionDenied(
            f"permission denied while {doing}: {target.scrub(describe_db_error(exc))}",
            hint="the role needs CREATE on the schema and ownership of the tables it alters"
            if migrating
            else None,
        )
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return LockNotAcquired(
            f"{doing}: a lock was not granted in time (lock_timeout): another session "
            "holds what this needed",
            hint="see pg_stat_activity for long transactions; retry when they end",
        )
    sqlstate = getattr(exc, "sqlstate", None)
    # No SQLSTATE: the link broke. 57P0x: the server ended the session (shutdown,
    # crash, pg_terminate_backend). Either way the server is gone, not the SQL wrong.
    if isinstance(exc, psycopg.OperationalError) and (
        sqlstate is None or str(sqlstate).startswith("57P")
    ):
        # A cleanup step (a rollback) on the dead connection raises "the connection
        # is closed" over the error that said why; report that one.
        cause: BaseException = exc
        while isinstance(cause.__context__, psycopg.OperationalError):
            cause = cause.__context__
        return ConnectionFailed(
            f"lost the connection to {target.redacted} while {doing}: "
            f"{target.scrub(_first_line(cause))}",
            hint="an interrupted migration is rolled back with its bookkeeping; "
            "`astegni-db status` shows what was applied, and migrate again finishes the rest"
            if migrating
            else None,
        )
    return MigrationFailed(
        f"{doing} failed: {target.scrub(describe_db_error(exc))}",
        sqlstate=getattr(exc, "sqlstate", None),
    )
