"""AD114: REINDEX INDEX or TABLE without CONCURRENTLY blocks writes, and reads using the index.

Plain REINDEX holds SHARE on the table (writes wait, reads go on) and ACCESS
EXCLUSIVE on each index it rebuilds: a query that would use the index waits,
and since planning a query on the table opens all its indexes, in practice
most queries on the table wait. ``REINDEX (CONCURRENTLY false) ...`` and
``(CONCURRENTLY off)`` are plain REINDEX too: the options are read as the
server reads them. The safe form, ``REINDEX ... CONCURRENTLY`` or
``REINDEX (CONCURRENTLY) ...`` (SHARE UPDATE EXCLUSIVE on the table and the
index: blocks no reads or writes), is refused inside a transaction (AD105):
put it alone in a ``-- transactional: false`` migration. An index or table
created by the same file is new: not reported. REINDEX INDEX names the
index's table when the migrations read so far created the index.
REINDEX SCHEMA / DATABASE / SYSTEM are AD105's: they cannot run in a
transaction at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import boolean_option, option_named, relation
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement

_SAFE = (
    "REINDEX {kind} CONCURRENTLY {name}, alone in a migration whose leading comment says "
    "`-- transactional: false` (SHARE UPDATE EXCLUSIVE: blocks no reads or writes)"
)


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if not isinstance(node, ast.ReindexStmt):
        return
    option = option_named(node.params, "concurrently")
    if option is not None and boolean_option(option) is True:
        return
    name = relation(node.relation)
    if not name or not ctx.is_existing(name):
        return
    locks = ctx.locks(statement)
    if node.kind == enums.ReindexObjectType.REINDEX_OBJECT_INDEX:
        table = ctx.history.index_tables.get(name)
        on = f"its table {table}" if table else "its table"
        yield Hit(
            statement.line,
            f"REINDEX INDEX {name} without CONCURRENTLY holds SHARE on {on} (writes wait) "
            f"and ACCESS EXCLUSIVE on {name} (queries that would use it wait) for the whole "
            "rebuild",
            _SAFE.format(kind="INDEX", name=name),
            claims(locks, table, name),
        )
    elif node.kind == enums.ReindexObjectType.REINDEX_OBJECT_TABLE:
        yield Hit(
            statement.line,
            f"REINDEX TABLE {name} without CONCURRENTLY holds SHARE on {name} (writes wait) "
            "and ACCESS EXCLUSIVE on each of its indexes while it is rebuilt (queries that "
            "would use it wait)",
            _SAFE.format(kind="TABLE", name=name),
            claims(locks, name),
        )


RULE = Rule(
    "AD114",
    "reindex-not-concurrently",
    "REINDEX INDEX or TABLE without CONCURRENTLY",
    statement_check=check,
)
