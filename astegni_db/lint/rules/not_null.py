"""AD106: NOT NULL on an existing column, or a new NOT NULL column with no default.

SET NOT NULL scans the whole table under ACCESS EXCLUSIVE (reads and writes
wait), unless a validated CHECK (column IS NOT NULL) already proves it
(PostgreSQL 12+), which this rule recognises when an earlier migration, or an
earlier statement, validated one (VALIDATE CONSTRAINT, or ADD CONSTRAINT
without NOT VALID). ADD COLUMN ... NOT NULL without a DEFAULT fails outright
on a table with rows: that finding is about the failure, not a lock, and
reports no locks. Serial, identity and generated columns fill themselves
(AD101 covers their cost).
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import added_column, column_constraint, commands
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement
from astegni_db.lint.types import SERIAL_TYPES, sql_type


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import enums

    table = ctx.existing_altered_table(statement)
    if table is None:
        return
    kind = enums.ConstrType
    for cmd, line in commands(statement):
        if cmd.subtype == enums.AlterTableType.AT_SetNotNull and cmd.name:
            column = cmd.name
            if (table, column) in ctx.history.validated_not_null:
                continue
            yield Hit(
                line,
                f"SET NOT NULL on {table}.{column} scans every row under ACCESS EXCLUSIVE: "
                "reads and writes wait for the whole scan",
                f"ADD CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID; "
                "in a later migration VALIDATE CONSTRAINT it; then SET NOT NULL (PostgreSQL "
                "uses the validated check and skips the scan) and drop the check",
                claims(ctx.locks(statement), table),
            )
            continue
        column_def = added_column(cmd)
        if column_def is None:
            continue
        not_null = column_constraint(column_def, kind.CONSTR_NOTNULL)
        fills_itself = (
            column_constraint(
                column_def, kind.CONSTR_DEFAULT, kind.CONSTR_IDENTITY, kind.CONSTR_GENERATED
            )
            is not None
            or getattr(sql_type(column_def.typeName), "base", "") in SERIAL_TYPES
        )
        if not_null is None or fills_itself:
            continue
        yield Hit(
            statement.line_at(not_null.location),
            f"ADD COLUMN {table}.{column_def.colname} NOT NULL without a DEFAULT fails on "
            "any table that has rows (existing rows would hold NULL)",
            "add it with a constant DEFAULT (catalog-only since PostgreSQL 11), or add it "
            "nullable, backfill, and make it NOT NULL through a validated CHECK",
        )


RULE = Rule(
    "AD106",
    "not-null-existing",
    "SET NOT NULL on an existing column, or ADD COLUMN NOT NULL without DEFAULT",
    statement_check=check,
)
