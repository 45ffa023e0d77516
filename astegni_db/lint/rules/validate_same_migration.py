"""AD103: VALIDATE CONSTRAINT in the same transactional migration as the ADD.

A transactional migration is one transaction: the lock the ADD CONSTRAINT
took is still held while VALIDATE scans the table, so NOT VALID buys
nothing. For a CHECK that is ACCESS EXCLUSIVE on the table (reads and writes
wait); for a FOREIGN KEY, SHARE ROW EXCLUSIVE on the table and on the
referenced table (writes to both wait). The locks reported are those the
transaction holds on these tables while VALIDATE scans: the strongest that
any statement of the file so far took, VALIDATE's own included. In a
``-- transactional: false`` migration every statement commits on its own and
the pattern is safe, and a table created by the same migration is empty:
neither is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import locks as modes
from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import commands
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import enums

    table = ctx.existing_altered_table(statement)
    if table is None or not ctx.source.transactional:
        return
    own = ctx.locks(statement)
    for cmd, line in commands(statement):
        if cmd.subtype != enums.AlterTableType.AT_ValidateConstraint or not cmd.name:
            continue
        added = ctx.added_constraints.get(cmd.name)
        if added is None or added.table != table:
            continue
        held = {
            name: modes.stronger(ctx.held.get(name), own.get(name, mode))
            for name, mode in added.locks.items()
        }
        strongest = max(held.values(), key=modes.MODES.index)
        phrase = " and ".join(f"{mode} on {name}" for name, mode in held.items())
        yield Hit(
            line,
            f"VALIDATE CONSTRAINT {cmd.name} runs in the same transaction as the ALTER that "
            f"added it: the transaction still holds {phrase} while every row is scanned "
            f"({modes.who_waits(strongest)}), so NOT VALID bought nothing",
            f"move ALTER TABLE {table} VALIDATE CONSTRAINT {cmd.name} to the next migration "
            "(it then scans under SHARE UPDATE EXCLUSIVE, blocking no reads or writes)",
            tuple(held.items()),
        )


RULE = Rule(
    "AD103",
    "validate-same-migration",
    "VALIDATE CONSTRAINT in the same transactional migration that added the constraint",
    statement_check=check,
)
