"""AD106: NOT NULL on an existing column, or a new NOT NULL column with no default.

SET NOT NULL scans the whole table under ACCESS EXCLUSIVE, unless a validated
CHECK (column IS NOT NULL) already proves it (PostgreSQL 12+), which this rule
recognises when an earlier migration, or an earlier statement, validated one.
ADD COLUMN ... NOT NULL without a DEFAULT fails outright on a table with rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import has_sequence


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.is_existing(altered.table):
        return
    table = altered.table
    for action in altered.actions:
        changed = ddl.altered_column(action)
        if changed is not None:
            column, rest = changed
            at = has_sequence(rest, "SET", "NOT", "NULL")
            if at is None or (table, column) in ctx.history.validated_not_null:
                continue
            yield Hit(
                rest[at].line,
                f"SET NOT NULL on {table}.{column} scans every row under ACCESS EXCLUSIVE: "
                "reads and writes wait for the whole scan",
                f"ADD CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID; "
                "in a later migration VALIDATE CONSTRAINT it; then SET NOT NULL (PostgreSQL "
                "uses the validated check and skips the scan) and drop the check",
            )
            continue
        column_def = ddl.added_column(action)
        if column_def is None:
            continue
        not_null = has_sequence(column_def.rest, "NOT", "NULL")
        if not_null is not None and has_sequence(column_def.rest, "DEFAULT") is None:
            if has_sequence(column_def.rest, "GENERATED") is not None:
                continue  # identity/generated columns fill themselves (AD101 covers the cost)
            yield Hit(
                column_def.rest[not_null].line,
                f"ADD COLUMN {table}.{column_def.name} NOT NULL without a DEFAULT fails on "
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
