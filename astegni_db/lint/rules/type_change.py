"""AD107: ALTER COLUMN ... TYPE rewrites the table and its indexes, unless the change is
one PostgreSQL does in the catalog (see astegni_db/lint/types.py for the list).

The old type comes from the migrations read before (CREATE TABLE, ADD COLUMN,
earlier type changes, DO bodies included). checks/schema.toml is not used: it
states the type *after* the migrations. When the old type is unknown the
change is reported: the rule cannot prove it safe.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.lint.types import SqlType, parse_type, rewrites
from astegni_db.sqltext import Token, has_sequence

_SUGGESTION = (
    "expand and contract: add a new column of the new type, keep it filled (trigger or "
    "application), backfill in batches, switch reads to it, then drop the old column in a "
    "later release; widening varchar(n) or going to text is catalog-only"
)


def _using_is_identity(column: str, rest: list[Token], using: int | None) -> bool:
    """``USING column`` alone does not force a rewrite; any other expression does."""
    if using is None:
        return True
    tail = [t for t in rest[using + 1 :] if not t.is_("COLLATE")]
    return len(tail) == 1 and tail[0].name == column


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.is_existing(altered.table):
        return
    table = altered.table
    for action in altered.actions:
        changed = ddl.altered_column(action)
        if changed is None:
            continue
        column, rest = changed
        at = has_sequence(rest, "TYPE")
        if at is None:
            continue
        using = next((i for i, t in enumerate(rest) if i > at and t.is_("USING")), None)
        end = next((i for i, t in enumerate(rest) if i > at and t.is_("USING", "COLLATE")), None)
        new = parse_type(rest[at + 1 : end])
        old: SqlType | None = ctx.history.column_types.get((table, column))
        if new is None:
            continue
        identity_using = _using_is_identity(column, rest, using)
        if old is not None and identity_using and not rewrites(old, new):
            continue
        if old is None:
            why = f"the old type of {table}.{column} is unknown here, so it cannot be shown safe"
        elif not identity_using:
            why = "a USING expression recomputes every value"
        else:
            why = f"{old} -> {new} is not a catalog-only change"
        yield Hit(
            rest[at].line,
            f"ALTER COLUMN {table}.{column} TYPE {new} rewrites the table and rebuilds its "
            f"indexes under ACCESS EXCLUSIVE ({why})",
            _SUGGESTION,
        )


RULE = Rule(
    "AD107",
    "type-change-rewrite",
    "ALTER COLUMN TYPE that rewrites the table",
    statement_check=check,
)
