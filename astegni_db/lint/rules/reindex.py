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
REINDEX SCHEMA / DATABASE / SYSTEM cannot run in a transaction at all: in a
transactional migration that is AD105's finding. In a ``-- transactional:
false`` one they run, rebuilding every index of every table they cover, one
table at a time, each under SHARE (writes to it wait): reported here, unless
CONCURRENTLY (SYSTEM has no concurrent form).
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

    whole_scopes = {
        enums.ReindexObjectType.REINDEX_OBJECT_SCHEMA: "SCHEMA",
        enums.ReindexObjectType.REINDEX_OBJECT_DATABASE: "DATABASE",
        enums.ReindexObjectType.REINDEX_OBJECT_SYSTEM: "SYSTEM",
    }

    node = statement.node
    if not isinstance(node, ast.ReindexStmt):
        return
    option = option_named(node.params, "concurrently")
    if option is not None and boolean_option(option) is True:
        return
    if node.kind in whole_scopes:
        if not ctx.source.transactional and not statement.in_do_block:
            scope = whole_scopes[node.kind]
            target = f" {node.name}" if node.name else ""
            yield Hit(
                statement.line,
                f"REINDEX {scope}{target} without CONCURRENTLY rebuilds every index of every "
                f"table in the {scope.lower()}, one table at a time, each under SHARE (writes "
                "wait) with ACCESS EXCLUSIVE on the index being rebuilt",
                "REINDEX INDEX CONCURRENTLY (or TABLE CONCURRENTLY) for the indexes that need "
                "it, each alone in a `-- transactional: false` migration",
            )
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
