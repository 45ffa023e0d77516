"""AD113: DROP INDEX without CONCURRENTLY locks the index's table ACCESS EXCLUSIVE.

Plain DROP INDEX takes ACCESS EXCLUSIVE on the table the index is on, and on
the index, until the migration commits: every read and write of the table
waits (and, while it queues behind a long transaction, so does every query
after it). DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE instead,
which blocks no reads or writes, but PostgreSQL refuses it inside a
transaction: put ``DROP INDEX CONCURRENTLY IF EXISTS <index>`` alone in a
``-- transactional: false`` migration. An index created earlier in the same
file is new and unused: not reported. The statement does not say which
table the index is on; when an earlier migration (or statement) created the
index, with CREATE INDEX or as a UNIQUE / PRIMARY KEY / EXCLUDE constraint,
the table is named and its lock reported; otherwise only the index's.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import last_name
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if (
        not isinstance(node, ast.DropStmt)
        or node.removeType != enums.ObjectType.OBJECT_INDEX
        or node.concurrent
    ):
        return
    objects = [names for names in node.objects or () if isinstance(names, tuple)]
    locks = ctx.locks(statement)
    for names, line in zip(objects, statement.list_item_lines(len(objects)), strict=True):
        index = last_name(names)
        if not ctx.is_existing(index):
            continue
        table = ctx.history.index_tables.get(index)
        on = f"its table {table}" if table else "its table"
        yield Hit(
            line,
            f"DROP INDEX {index} without CONCURRENTLY takes ACCESS EXCLUSIVE on {on} (and "
            "on the index) until the migration commits: reads and writes of the table wait",
            f"DROP INDEX CONCURRENTLY IF EXISTS {index}, alone in a migration whose leading "
            "comment says `-- transactional: false` (SHARE UPDATE EXCLUSIVE: blocks no reads "
            "or writes)",
            claims(locks, table, index),
        )


RULE = Rule(
    "AD113",
    "drop-index-not-concurrently",
    "DROP INDEX of an existing index without CONCURRENTLY",
    statement_check=check,
)
