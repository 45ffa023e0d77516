"""One checked fact about the live database: what was expected, what was found."""

from __future__ import annotations

from typing import Literal, NamedTuple

Status = Literal["ok", "error", "warning", "note"]
STATUSES: tuple[Status, ...] = ("ok", "error", "warning", "note")
# Kinds whose warnings are about rows, not the schema: values outside the
# documented sets (which the migrations deliberately keep) and rows the role
# may not read. Nothing a deploy changes fixes them, so they never fail, even
# under --strict; every other warning (comment wording, NOT VALID) does there.
VALUE_KINDS = frozenset({"data"})


class Finding(NamedTuple):  # not a dataclass: cheaper to define at every start
    table: str  # the spec table it belongs to; "queries" for application queries
    object: str  # what was checked, e.g. "tutoring_sessions.recurring_pattern"
    kind: str  # table, column, type, nullable, default, comment, primary_key, legacy_copy, ...
    expected: str
    actual: str
    status: Status
    message: str

    @classmethod
    def check(
        cls,
        table: str,
        obj: str,
        kind: str,
        expected: str,
        actual: str,
        *,
        failing: Status = "error",
    ) -> Finding:
        """A comparison: ok when expected == actual, else a finding of status ``failing``."""
        if expected == actual:
            return cls(table, obj, kind, expected, actual, "ok", f"{obj}: {actual}")
        return cls(
            table,
            obj,
            kind,
            expected,
            actual,
            failing,
            f"{obj}: expected {expected}, found {actual}",
        )
