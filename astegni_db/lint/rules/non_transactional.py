"""AD105: statements PostgreSQL refuses inside a transaction block, in a transactional migration.

CREATE/DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, DETACH PARTITION
... CONCURRENTLY, VACUUM and CREATE/DROP DATABASE fail with "cannot run
inside a transaction block": the migration can never be applied.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import has_sequence


def _refused_in_transaction(statement: Statement) -> str | None:
    tokens = statement.tokens
    first = tokens[0]
    if first.is_("VACUUM"):
        return "VACUUM"
    if first.is_("CREATE", "DROP") and len(tokens) > 1 and tokens[1].is_("DATABASE"):
        return f"{first.text.upper()} DATABASE"
    if first.is_("CREATE", "DROP", "REINDEX", "ALTER") and has_sequence(tokens, "CONCURRENTLY"):
        if first.is_("ALTER") and has_sequence(tokens, "DETACH", "PARTITION") is None:
            return None
        return f"{first.text.upper()} ... CONCURRENTLY"
    return None


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    if not ctx.source.transactional and not statement.in_do_block:
        return
    what = _refused_in_transaction(statement)
    if what is None:
        return
    if statement.in_do_block:
        yield Hit(
            statement.line,
            f"{what} inside a DO block always runs in a transaction: PostgreSQL refuses it",
            "move it out of the DO block into its own `-- transactional: false` migration",
        )
        return
    yield Hit(
        statement.line,
        f"{what} cannot run inside a transaction block, and this migration runs in one "
        "(no `-- transactional: false` directive): it will fail every time",
        "put it alone in its own migration whose leading comment says "
        "`-- transactional: false` (and make it idempotent: IF NOT EXISTS / IF EXISTS)",
    )


RULE = Rule(
    "AD105",
    "transaction-refused",
    "CONCURRENTLY (or VACUUM, CREATE DATABASE) inside a transactional migration",
    statement_check=check,
)
