"""AD103: VALIDATE CONSTRAINT in the same transactional migration as the ADD.

A transactional migration is one transaction: the ACCESS EXCLUSIVE lock the
ADD CONSTRAINT took is still held while VALIDATE scans the table, so NOT
VALID buys nothing. In a ``-- transactional: false`` migration every
statement commits on its own and the pattern is safe, so it is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.source.transactional:
        return
    for action in altered.actions:
        if len(action) >= 3 and action[0].is_("VALIDATE") and action[1].is_("CONSTRAINT"):
            name = action[2].name
            if name in ctx.added_constraints:
                yield Hit(
                    action[0].line,
                    f"VALIDATE CONSTRAINT {name} runs in the same transaction as the ALTER "
                    f"that added it: {altered.table} is still locked ACCESS EXCLUSIVE while "
                    "every row is scanned, so NOT VALID bought nothing",
                    f"move ALTER TABLE {altered.table} VALIDATE CONSTRAINT {name} to the next "
                    "migration (it then scans under SHARE UPDATE EXCLUSIVE, blocking nobody)",
                )


RULE = Rule(
    "AD103",
    "validate-same-migration",
    "VALIDATE CONSTRAINT in the same transactional migration that added the constraint",
    statement_check=check,
)
