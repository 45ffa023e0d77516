"""Opening connections, and the one place driver errors become one-line user errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from astegni_db.errors import (
    AstegniError,
    ConfigError,
    ConnectionFailed,
    MigrationFailed,
    PermissionDenied,
)

if TYPE_CHECKING:
    import psycopg

    from astegni_db.settings import DatabaseTarget

APPLICATION_NAME = "astegni-db"
# How often the server checks that our client is still there during a statement.
CLIENT_CHECK_INTERVAL_MS = 1000


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
    """
    import psycopg

    with connect(target, purpose=purpose) as conn:
        try:
            conn.execute("SET default_transaction_read_only = on")
            yield conn
        except psycopg.Error as exc:
            raise translate(exc, target, doing, migrating=False) from None


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
    return MigrationFailed(f"{doing} failed: {target.scrub(describe_db_error(exc))}")
