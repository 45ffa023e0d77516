"""Small readers of pglast parse trees that several rules share.

Names are compared as PostgreSQL folds them: the grammar already lower-cases
unquoted identifiers and keeps quoted ones, so ``"Tutoring_Sessions"`` is
another table than ``tutoring_sessions``. A schema-qualified name is reduced
to its last part, as everywhere in lint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pglast import ast

    from astegni_db.lint.statements import Statement


def last_name(names: tuple[Any, ...] | None) -> str:
    """The last part of a qualified name given as a tuple of String nodes."""
    return str(getattr(names[-1], "sval", "")) if names else ""


def relation(node: ast.RangeVar | None) -> str | None:
    return node.relname if node is not None else None


def alter_table(node: ast.Node) -> tuple[ast.AlterTableStmt, str] | None:
    """An ``ALTER TABLE`` statement (not ALTER INDEX/VIEW/...) and its table."""
    from pglast import ast, enums

    if not isinstance(node, ast.AlterTableStmt) or node.objtype != enums.ObjectType.OBJECT_TABLE:
        return None
    table = relation(node.relation)
    return (node, table) if table else None


def commands(statement: Statement) -> Iterator[tuple[ast.AlterTableCmd, int]]:
    """The commands of an ALTER TABLE statement, each with the line it starts on."""
    from pglast import ast

    node = statement.node
    if not isinstance(node, ast.AlterTableStmt):
        return
    for cmd, line in zip(node.cmds or (), statement.command_lines(), strict=False):
        if isinstance(cmd, ast.AlterTableCmd):
            yield cmd, line


def added_column(cmd: ast.AlterTableCmd) -> ast.ColumnDef | None:
    from pglast import ast, enums

    if cmd.subtype == enums.AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return cmd.def_
    return None


def added_constraint(cmd: ast.AlterTableCmd) -> ast.Constraint | None:
    from pglast import ast, enums

    if cmd.subtype == enums.AlterTableType.AT_AddConstraint and isinstance(
        cmd.def_, ast.Constraint
    ):
        return cmd.def_
    return None


def constraints(column: ast.ColumnDef) -> list[ast.Constraint]:
    from pglast import ast

    return [c for c in column.constraints or () if isinstance(c, ast.Constraint)]


def column_constraint(column: ast.ColumnDef, *kinds: Any) -> ast.Constraint | None:
    """The column's first inline constraint of one of ``kinds`` (enums.ConstrType)."""
    return next((c for c in constraints(column) if c.contype in kinds), None)


def not_null_check_column(constraint: ast.Constraint) -> str | None:
    """The column of ``CHECK (column IS NOT NULL)``, else None."""
    from pglast import ast, enums

    expr = constraint.raw_expr
    if (
        constraint.contype == enums.ConstrType.CONSTR_CHECK
        and isinstance(expr, ast.NullTest)
        and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL
        and isinstance(expr.arg, ast.ColumnRef)
        and expr.arg.fields
        and len(expr.arg.fields) == 1
    ):
        return last_name(expr.arg.fields) or None
    return None


def detached_concurrently(node: object) -> tuple[str, str] | None:
    """(parent, partition) of ``ALTER TABLE parent DETACH PARTITION p CONCURRENTLY``."""
    from pglast import ast, enums

    if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
        return None
    for cmd in node.cmds or ():
        definition = getattr(cmd, "def_", None)
        if (
            isinstance(cmd, ast.AlterTableCmd)
            and cmd.subtype == enums.AlterTableType.AT_DetachPartition
            and isinstance(definition, ast.PartitionCmd)
            and definition.concurrent
            and definition.name is not None
        ):
            return node.relation.relname or "", definition.name.relname or ""
    return None


def boolean_option(option: ast.DefElem) -> bool | None:
    """An option's value as PostgreSQL's defGetBoolean reads it (no value: true);
    None when it is not a Boolean the server accepts."""
    from pglast import ast

    arg = option.arg
    if arg is None:
        return True
    if isinstance(arg, ast.Integer):
        return {0: False, 1: True}.get(arg.ival or 0)
    if isinstance(arg, ast.Boolean):
        return bool(arg.boolval)
    text = str(getattr(arg, "sval", "")).lower()
    return {"true": True, "on": True, "false": False, "off": False}.get(text)


def option_named(options: tuple[Any, ...] | None, name: str) -> ast.DefElem | None:
    from pglast import ast

    return next(
        (o for o in options or () if isinstance(o, ast.DefElem) and o.defname == name), None
    )


def walk(value: Any) -> Iterator[ast.Node]:
    """Every node under ``value`` (a node, or a tuple of them), itself included."""
    from pglast import ast

    def nodes(value: Any) -> Iterator[ast.Node]:
        if isinstance(value, tuple | list):
            for item in value:
                yield from nodes(item)
        elif isinstance(value, ast.Node):
            yield value
            for name in value:
                yield from nodes(getattr(value, name))

    return nodes(value)
