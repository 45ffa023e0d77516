"""AD104: building an index on an existing table without CONCURRENTLY blocks writes.

CREATE INDEX holds SHARE on the table for the whole build: every INSERT,
UPDATE and DELETE waits (reads go on). ADD CONSTRAINT ... UNIQUE / PRIMARY KEY
/ EXCLUDE, and ADD COLUMN with an inline UNIQUE or PRIMARY KEY, build their
index while the ALTER holds ACCESS EXCLUSIVE: reads wait too. The safe forms:
CREATE [UNIQUE] INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: blocks no reads or
writes) alone in a ``-- transactional: false`` migration, then, for a
constraint, ADD CONSTRAINT ... UNIQUE / PRIMARY KEY USING INDEX, which is
catalog-only. Tables created by the same migration are empty and exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import (
    added_column,
    added_constraint,
    column_constraint,
    commands,
    relation,
)
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement

_BUILD_CONCURRENTLY = (
    "CREATE UNIQUE INDEX CONCURRENTLY <idx> ... in a `-- transactional: false` migration, "
    "then ALTER TABLE {table} ADD CONSTRAINT <name> {kind} USING INDEX <idx> (catalog-only)"
)
_EXCLUDE = (
    "an exclusion constraint cannot adopt an index built CONCURRENTLY: add it while the table "
    "is small or quiet, or enforce the rule another way (a trigger, the application)"
)


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if isinstance(node, ast.IndexStmt):
        table = relation(node.relation)
        if table and not node.concurrent and ctx.is_existing(table):
            yield Hit(
                statement.line,
                f"CREATE INDEX on the existing table {table} without CONCURRENTLY blocks "
                "every write to it (SHARE lock) for the whole index build",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ..., alone in a migration whose "
                "leading comment says `-- transactional: false`",
                claims(ctx.locks(statement), table),
            )
        return
    table = ctx.existing_altered_table(statement)
    if table is None:
        return
    locks = claims(ctx.locks(statement), table)
    kind = enums.ConstrType
    builds_index = (kind.CONSTR_UNIQUE, kind.CONSTR_PRIMARY, kind.CONSTR_EXCLUSION)
    for cmd, _ in commands(statement):
        constraint = added_constraint(cmd)
        if constraint is not None:
            if constraint.contype not in builds_index or constraint.indexname:
                continue  # ... USING INDEX: an index built before, catalog-only
            word = _kind_words()[constraint.contype]
            yield Hit(
                statement.line_at(constraint.location),
                f"ADD CONSTRAINT {word} on the existing table {table} builds its index under "
                "ACCESS EXCLUSIVE: reads and writes wait for the build",
                _EXCLUDE
                if constraint.contype == kind.CONSTR_EXCLUSION
                else _BUILD_CONCURRENTLY.format(table=table, kind=word),
                locks,
            )
            continue
        column = added_column(cmd)
        inline = (
            column_constraint(column, kind.CONSTR_UNIQUE, kind.CONSTR_PRIMARY)
            if column is not None
            else None
        )
        if column is None or inline is None:
            continue
        word = _kind_words()[inline.contype]
        yield Hit(
            statement.line_at(inline.location),
            f"ADD COLUMN {table}.{column.colname} {word} builds a unique index while the ALTER "
            "holds ACCESS EXCLUSIVE: reads and writes wait for the build",
            "add the column without it, then " + _BUILD_CONCURRENTLY.format(table=table, kind=word),
            locks,
        )


def _kind_words() -> dict[object, str]:
    from pglast import enums

    kind = enums.ConstrType
    return {
        kind.CONSTR_UNIQUE: "UNIQUE",
        kind.CONSTR_PRIMARY: "PRIMARY KEY",
        kind.CONSTR_EXCLUSION: "EXCLUDE",
    }


RULE = Rule(
    "AD104",
    "index-not-concurrently",
    "index built on an existing table without CONCURRENTLY",
    statement_check=check,
)
