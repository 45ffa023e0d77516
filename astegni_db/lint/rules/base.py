"""What every rule is: an id, a name, and a check over statements or a whole file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from astegni_db.lint.context import FileContext
from astegni_db.lint.locks import Locks
from astegni_db.lint.statements import Statement

LockClaims = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Hit:
    line: int
    message: str  # why it is dangerous
    suggestion: str  # what to write instead
    # (relation, PostgreSQL lock mode) the flagged statement takes on the relations
    # the message names; empty when the finding is not about a lock.
    locks: LockClaims = ()
    # Where the statement starts, for silencing comments above it (file checks only).
    statement_line: int | None = None


def claims(locks: Locks, *relations: str | None) -> LockClaims:
    """``locks`` on ``relations``, in that order (relations it does not lock are left out)."""
    found: list[tuple[str, str]] = []
    for name in relations:
        if name and name in locks and all(name != n for n, _ in found):
            found.append((name, locks[name]))
    return tuple(found)


class DomainScan(NamedTuple):
    """The tables an ALTER DOMAIN scans, as far as the migrations read so far show."""

    domain: str
    locks: Locks
    tables: list[str]

    @property
    def used_by(self) -> str:
        """The tables for a message, e.g. " (t1, t2, as far as the migrations show)"."""
        if not self.tables:
            return ""
        return f" ({', '.join(self.tables)}, as far as the migrations show)"


def domain_scan(statement: Statement, ctx: FileContext, domain: str) -> DomainScan | None:
    """What ``statement`` (an ALTER DOMAIN that checks existing values) locks, unless the
    domain is new in this file (no column can use it yet)."""
    if not ctx.is_existing(domain):
        return None
    locks = ctx.locks(statement)
    return DomainScan(domain, locks, sorted(name for name in locks if ctx.is_existing(name)))


StatementCheck = Callable[[Statement, FileContext], Iterable[Hit]]
FileCheck = Callable[[FileContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    statement_check: StatementCheck | None = None
    file_check: FileCheck | None = None
