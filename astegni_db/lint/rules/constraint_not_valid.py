"""AD102: a CHECK or FOREIGN KEY added to an existing table is validated on the spot.

Without NOT VALID, ADD CONSTRAINT scans every row while holding ACCESS
EXCLUSIVE (a foreign key also locks the referenced table): writes and reads
queue for the whole scan. With NOT VALID the ALTER is catalog-only; VALIDATE
CONSTRAINT, run later in its own transaction, scans under SHARE UPDATE
EXCLUSIVE, which blocks nobody. A CHECK or REFERENCES written inline in ADD
COLUMN cannot be NOT VALID, so it always scans.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import has_sequence

_SUGGESTION = (
    "ALTER TABLE {table} ADD CONSTRAINT {name} {kind} ... NOT VALID; then, in a later "
    "migration (its own transaction): ALTER TABLE {table} VALIDATE CONSTRAINT {name}"
)


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.is_existing(altered.table):
        return
    table = altered.table
    for action in altered.actions:
        constraint = ddl.added_constraint(action)
        if constraint is not None:
            name, body = constraint
            kind = "CHECK" if body[0].is_("CHECK") else "FOREIGN KEY"
            if not body[0].is_("CHECK", "FOREIGN") or has_sequence(body, "NOT", "VALID"):
                continue
            label = f" {name}" if name else ""
            yield Hit(
                body[0].line,
                f"ADD CONSTRAINT{label} {kind} on the existing table {table} checks every row "
                "while holding ACCESS EXCLUSIVE"
                + (" (and locks the referenced table)" if kind == "FOREIGN KEY" else "")
                + ": reads and writes wait for the whole scan",
                _SUGGESTION.format(table=table, kind=kind, name=name or "<name>"),
            )
            continue
        column = ddl.added_column(action)
        if column is None:
            continue
        inline = next((t for t in column.rest if t.is_("CHECK", "REFERENCES")), None)
        if inline is not None:
            kind = "CHECK" if inline.is_("CHECK") else "FOREIGN KEY"
            yield Hit(
                inline.line,
                f"ADD COLUMN {table}.{column.name} with an inline {inline.text.upper()} "
                "validates it against every row under ACCESS EXCLUSIVE (an inline constraint "
                "cannot be NOT VALID)",
                "add the column bare, then "
                + _SUGGESTION.format(table=table, kind=kind, name="<name>"),
            )


RULE = Rule(
    "AD102",
    "constraint-not-valid",
    "CHECK or FOREIGN KEY added to an existing table without NOT VALID",
    statement_check=check,
)
