"""AD107: ALTER COLUMN ... TYPE rewrites the table and its indexes, unless the change is
one PostgreSQL does in the catalog (see astegni_db/lint/types.py for the list).

The rewrite runs under ACCESS EXCLUSIVE on the table: reads and writes wait
until it and the rebuild of every index finish. The old type comes from the
migrations read before (CREATE TABLE, ADD COLUMN, earlier type changes, DO
bodies included); both types are read from the grammar's TypeName nodes.
checks/schema.toml is not used: it states the type *after* the migrations.
When the old type is unknown the change is reported: the rule cannot prove
it safe. ``USING column`` alone does not force a rewrite; any other USING
expression does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import commands, last_name
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement
from astegni_db.lint.types import SqlType, rewrites, sql_type

if TYPE_CHECKING:
    from pglast import ast

_SUGGESTION = (
    "expand and contract: add a new column of the new type, keep it filled (trigger or "
    "application), backfill in batches, switch reads to it, then drop the old column in a "
    "later release; widening varchar(n) or going to text is catalog-only"
)


def _using_is_identity(column: str, using: ast.Node | None) -> bool:
    """``USING column`` (or no USING) does not force a rewrite; any other expression does."""
    from pglast import ast

    while isinstance(using, ast.CollateClause):
        using = using.arg
    if using is None:
        return True
    return (
        isinstance(using, ast.ColumnRef)
        and len(using.fields or ()) == 1
        and last_name(using.fields) == column
    )


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    table = ctx.existing_altered_table(statement)
    if table is None:
        return
    for cmd, line in commands(statement):
        definition = cmd.def_
        if (
            cmd.subtype != enums.AlterTableType.AT_AlterColumnType
            or not isinstance(definition, ast.ColumnDef)
            or not cmd.name
        ):
            continue
        column = cmd.name
        new = sql_type(definition.typeName)
        if new is None:
            continue
        old: SqlType | None = ctx.history.column_types.get((table, column))
        identity_using = _using_is_identity(column, definition.raw_default)
        if old is not None and identity_using and not rewrites(old, new):
            continue
        if old is None:
            why = f"the old type of {table}.{column} is unknown here, so it cannot be shown safe"
        elif not identity_using:
            why = "a USING expression recomputes every value"
        else:
            why = f"{old} -> {new} is not a catalog-only change"
        type_name = definition.typeName
        yield Hit(
            statement.line_at(type_name.location) if type_name is not None else line,
            f"ALTER COLUMN {table}.{column} TYPE {new} rewrites the table and rebuilds its "
            f"indexes under ACCESS EXCLUSIVE ({why}): reads and writes wait until it finishes",
            _SUGGESTION,
            claims(ctx.locks(statement), table),
        )


RULE = Rule(
    "AD107",
    "type-change-rewrite",
    "ALTER COLUMN TYPE that rewrites the table",
    statement_check=check,
)
