"""AD104: building an index on an existing table without CONCURRENTLY blocks writes.

CREATE INDEX holds SHARE on the table for the whole build: every INSERT,
UPDATE and DELETE waits. ADD CONSTRAINT ... UNIQUE / PRIMARY KEY / EXCLUDE
builds its index under ACCESS EXCLUSIVE, blocking reads too. Tables created
by the same migration are empty and exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import has_sequence


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    index = ddl.create_index(statement.tokens)
    if index is not None and not index.concurrently and ctx.is_existing(index.table):
        yield Hit(
            index.line,
            f"CREATE INDEX on the existing table {index.table} without CONCURRENTLY blocks "
            "every write to it (SHARE lock) for the whole index build",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ..., alone in a migration whose leading "
            "comment says `-- transactional: false`",
        )
        return
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.is_existing(altered.table):
        return
    for action in altered.actions:
        constraint = ddl.added_constraint(action)
        if constraint is None:
            continue
        _, body = constraint
        if (
            body[0].is_("UNIQUE", "PRIMARY", "EXCLUDE")
            and has_sequence(body, "USING", "INDEX") is None
        ):
            yield Hit(
                body[0].line,
                f"ADD CONSTRAINT {body[0].text.upper()} on the existing table {altered.table} "
                "builds its index under ACCESS EXCLUSIVE: reads and writes wait for the build",
                "CREATE UNIQUE INDEX CONCURRENTLY <idx> ... in a `-- transactional: false` "
                f"migration, then ALTER TABLE {altered.table} ADD CONSTRAINT <name> "
                "UNIQUE USING INDEX <idx> (catalog-only)",
            )


RULE = Rule(
    "AD104",
    "index-not-concurrently",
    "index built on an existing table without CONCURRENTLY",
    statement_check=check,
)
