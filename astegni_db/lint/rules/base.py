"""What every rule is: an id, a name, and a check over statements or a whole file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from astegni_db.lint.context import FileContext
from astegni_db.lint.statements import Statement


@dataclass(frozen=True)
class Hit:
    line: int
    message: str  # why it is dangerous
    suggestion: str  # what to write instead


StatementCheck = Callable[[Statement, FileContext], Iterable[Hit]]
FileCheck = Callable[[FileContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    statement_check: StatementCheck | None = None
    file_check: FileCheck | None = None
