"""One exception base for everything a user can cause, each kind with its exit code.

The CLI catches :class:`AstegniError` at its edge, prints ``message`` on one
line and exits with ``exit_code``. Library code raises these and never prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes every command shares (documented in README.md)."""

    OK = 0
    FAILURE = 1  # a migration or query failed; its transaction was rolled back
    USAGE = 2  # bad flag, bad or missing URL, bad spec file (Click uses 2 too)
    PENDING = 3  # `status --check`: migrations are waiting to be applied
    LOCK_TIMEOUT = 4  # another run holds the migration lock, or DDL locks never came
    INTEGRITY = 5  # an applied migration was edited, renamed or deleted
    SCHEMA_MISMATCH = 6  # `verify`: the live schema differs from the spec
    UNREACHABLE = 7  # cannot connect: host down, wrong password, no such database
    STANDBY_LAG = 8  # a standby did not replay the migration within --standby-timeout


# When one run covers several databases (targets, a fleet), their codes fold into
# one: the worst wins, in this order. Why this order: a broken configuration or
# an unreachable database says nothing about the schema, so it must not hide
# behind a milder code; a failure that needs a person (integrity, a failed
# migration) outranks a retry-later one (lock, standby lag); a mismatch or
# pending work is the mildest news a CI gate acts on.
FOLD_ORDER = (
    ExitCode.USAGE,
    ExitCode.UNREACHABLE,
    ExitCode.INTEGRITY,
    ExitCode.FAILURE,
    ExitCode.LOCK_TIMEOUT,
    ExitCode.STANDBY_LAG,
    ExitCode.SCHEMA_MISMATCH,
    ExitCode.PENDING,
)


def fold_exit_codes(codes: Iterable[int]) -> ExitCode:
    """One exit code for many databases' codes: the worst, by :data:`FOLD_ORDER`."""
    # An unknown code (130?) is a failure, ranked as one: it must not hide behind a 3.
    seen = {int(code) if int(code) in FOLD_ORDER else ExitCode.FAILURE for code in codes if code}
    for code in FOLD_ORDER:
        if code in seen:
            return code
    return ExitCode.OK


class AstegniError(Exception):
    """Base of every error meant for the user: one line, one exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(AstegniError):
    exit_code = ExitCode.USAGE


class ConnectionFailed(AstegniError):
    exit_code = ExitCode.UNREACHABLE


class MigrationFailed(AstegniError):
    exit_code = ExitCode.FAILURE

    def __init__(
        self, message: str, *, hint: str | None = None, sqlstate: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.sqlstate = sqlstate  # the server's error code, when the server said why


class PermissionDenied(AstegniError):
    exit_code = ExitCode.FAILURE


class MigrationsPending(AstegniError):
    """A command that compares the database with the spec, run while migrations wait."""

    exit_code = ExitCode.PENDING


class LockNotAcquired(AstegniError):
    exit_code = ExitCode.LOCK_TIMEOUT


class IntegrityFailure(AstegniError):
    exit_code = ExitCode.INTEGRITY


class Aborted(AstegniError):
    """The user declined a confirmation: nothing was changed."""

    exit_code = ExitCode.FAILURE
