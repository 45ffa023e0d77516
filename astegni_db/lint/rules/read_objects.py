"""AD108 and AD109: renaming or dropping a table or column the application reads.

The running application (and every instance still on the old release during a
deploy) queries these names; the moment the migration commits, its queries
fail. What the application reads comes from checks/ (astegni_db/lint/readset.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import skip_words

_EXPAND_CONTRACT = (
    "expand and contract: {first}; ship the application reading the new shape (and update "
    "checks/); {then} in a later migration, once no release reads the old one"
)


def check_rename(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or len(altered.actions) != 1:
        return
    action = altered.actions[0]
    if not action or not action[0].is_("RENAME"):
        return
    table = altered.table
    if len(action) >= 3 and action[1].is_("TO"):
        reader = ctx.read_set.table_reader(table)
        if reader is not None:
            yield Hit(
                action[0].line,
                f"RENAME of table {table}, which the application reads ({reader}): its queries "
                "fail from the moment this commits",
                _EXPAND_CONTRACT.format(
                    first="create the new table (or a view under the new name)",
                    then=f"drop {table}",
                ),
            )
        return
    i = skip_words(action, 1, "COLUMN")
    if i >= len(action) or action[i].is_("CONSTRAINT"):
        return
    column = action[i].name
    reader = ctx.read_set.column_reader(table, column)
    if reader is not None:
        yield Hit(
            action[0].line,
            f"RENAME of column {table}.{column}, which the application reads ({reader}): its "
            "queries fail from the moment this commits",
            _EXPAND_CONTRACT.format(
                first="add the new column and keep both filled", then=f"drop {column}"
            ),
        )


def check_drop(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    for table, line in ddl.dropped_tables(statement.tokens):
        reader = ctx.read_set.table_reader(table)
        if reader is not None:
            yield Hit(
                line,
                f"DROP of {table}, which the application reads ({reader}): its queries fail "
                "and the data is gone",
                f"first ship the application without reads of {table} and remove it from "
                f"checks/; drop it in a later migration, after a backup",
            )
    altered = ddl.alter_table(statement.tokens)
    if altered is None:
        return
    for action in altered.actions:
        if not action or not action[0].is_("DROP"):
            continue
        i = skip_words(action, 1, "COLUMN")
        if i < len(action) and action[i].is_("CONSTRAINT", "DEFAULT", "NOT", "IDENTITY"):
            continue
        i = skip_words(action, i, "IF", "EXISTS")
        if i >= len(action):
            continue
        column = action[i].name
        reader = ctx.read_set.column_reader(altered.table, column)
        if reader is not None:
            yield Hit(
                action[0].line,
                f"DROP COLUMN {altered.table}.{column}, which the application reads "
                f"({reader}): its queries fail and the values are gone",
                f"first ship the application without reads of {column} and remove it from "
                f"checks/; drop it in a later migration, after a backup",
            )


RENAME_RULE = Rule(
    "AD108",
    "rename-read-object",
    "RENAME of a table or column the application reads (checks/)",
    statement_check=check_rename,
)
DROP_RULE = Rule(
    "AD109",
    "drop-read-object",
    "DROP of a table or column the application reads (checks/)",
    statement_check=check_drop,
)
