"""AD108 and AD109: renaming or dropping a table or column the application reads.

The running application (and every instance still on the old release during a
deploy) queries these names; the moment the migration commits, its queries
fail. What the application reads comes from checks/ (astegni_db/lint/readset.py).
Renames: ALTER TABLE/VIEW/MATERIALIZED VIEW ... RENAME [COLUMN], and ... SET
SCHEMA, which takes the name out of the application's search_path. Drops: DROP
TABLE/VIEW/MATERIALIZED VIEW and ALTER TABLE ... DROP COLUMN. About the
application's queries, not about a lock: no locks reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import alter_table, commands, last_name, relation
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement

if TYPE_CHECKING:
    from pglast import ast

_EXPAND_CONTRACT = (
    "expand and contract: {first}; ship the application reading the new shape (and update "
    "checks/); {then} in a later migration, once no release reads the old one"
)


def _relation_kinds() -> tuple[object, ...]:
    from pglast import enums

    kind = enums.ObjectType
    return (kind.OBJECT_TABLE, kind.OBJECT_VIEW, kind.OBJECT_MATVIEW, kind.OBJECT_FOREIGN_TABLE)


def check_rename(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if isinstance(node, ast.AlterObjectSchemaStmt):
        yield from _set_schema(statement, node, ctx)
        return
    if not isinstance(node, ast.RenameStmt) or node.relation is None:
        return
    table = relation(node.relation)
    if not table:
        return
    line = statement.keyword_line("RENAME", after=node.relation.location)
    if node.renameType in _relation_kinds():
        reader = ctx.read_set.table_reader(table)
        if reader is not None:
            yield Hit(
                line,
                f"RENAME of table {table}, which the application reads ({reader}): its queries "
                "fail from the moment this commits",
                _EXPAND_CONTRACT.format(
                    first="create the new table (or a view under the new name)",
                    then=f"drop {table}",
                ),
            )
        return
    if node.renameType != enums.ObjectType.OBJECT_COLUMN or not node.subname:
        return
    column = node.subname
    reader = ctx.read_set.column_reader(table, column)
    if reader is not None:
        yield Hit(
            line,
            f"RENAME of column {table}.{column}, which the application reads ({reader}): its "
            "queries fail from the moment this commits",
            _EXPAND_CONTRACT.format(
                first="add the new column and keep both filled", then=f"drop {column}"
            ),
        )


def _set_schema(
    statement: Statement, node: ast.AlterObjectSchemaStmt, ctx: FileContext
) -> Iterator[Hit]:
    table = relation(node.relation)
    if not table or node.objectType not in _relation_kinds():
        return
    reader = ctx.read_set.table_reader(table)
    if reader is not None:
        yield Hit(
            statement.line,
            f"SET SCHEMA {node.newschema} moves {table}, which the application reads "
            f"({reader}), out from under its queries: they fail from the moment this commits",
            _EXPAND_CONTRACT.format(
                first=f"create the table in {node.newschema} (or a view there)",
                then=f"drop {table}",
            ),
        )


def check_drop(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if isinstance(node, ast.DropStmt) and node.removeType in _relation_kinds():
        objects = [names for names in node.objects or () if isinstance(names, tuple)]
        for names, line in zip(objects, statement.list_item_lines(len(objects)), strict=True):
            table = last_name(names)
            reader = ctx.read_set.table_reader(table)
            if reader is not None:
                yield Hit(
                    line,
                    f"DROP of {table}, which the application reads ({reader}): its queries fail "
                    "and the data is gone",
                    f"first ship the application without reads of {table} and remove it from "
                    f"checks/; drop it in a later migration, after a backup",
                )
        return
    altered = alter_table(node)
    if altered is None:
        return
    table = altered[1]
    for cmd, line in commands(statement):
        if cmd.subtype != enums.AlterTableType.AT_DropColumn or not cmd.name:
            continue
        reader = ctx.read_set.column_reader(table, cmd.name)
        if reader is not None:
            yield Hit(
                line,
                f"DROP COLUMN {table}.{cmd.name}, which the application reads "
                f"({reader}): its queries fail and the values are gone",
                f"first ship the application without reads of {cmd.name} and remove it from "
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
