"""AD105: statements PostgreSQL refuses inside a transaction block, in a transactional migration.

CREATE/DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, REINDEX SCHEMA /
DATABASE / SYSTEM (with or without CONCURRENTLY), ALTER TABLE ... DETACH
PARTITION ... CONCURRENTLY, VACUUM, CLUSTER without a table, CREATE/DROP
DATABASE, CREATE/DROP TABLESPACE and ALTER SYSTEM fail with "cannot run
inside a transaction block": the migration can never be applied. Whether a
REINDEX is concurrent is read the way the server reads its options:
``REINDEX (CONCURRENTLY false)`` and ``(CONCURRENTLY off)`` are plain REINDEX,
accepted in a transaction (AD114 looks at those).

Inside a DO block they are refused in every migration (the server: "cannot be
executed from a function"), and a PL/pgSQL COMMIT or ROLLBACK inside a DO
fails with "invalid transaction termination" when the DO runs inside a
transaction block, as in every transactional migration. Not about a lock: no
locks reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import boolean_option, detached_concurrently, option_named
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement


def refused_in_transaction(node: object) -> str | None:
    """What the statement is, when PostgreSQL refuses it inside a transaction block."""
    from pglast import ast, enums

    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.CreatedbStmt):
        return "CREATE DATABASE"
    if isinstance(node, ast.DropdbStmt):
        return "DROP DATABASE"
    if isinstance(node, ast.CreateTableSpaceStmt):
        return "CREATE TABLESPACE"
    if isinstance(node, ast.DropTableSpaceStmt):
        return "DROP TABLESPACE"
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM"
    if isinstance(node, ast.ClusterStmt) and node.relation is None:
        return "CLUSTER without a table"
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt):
        kind = enums.ReindexObjectType
        if node.kind in (
            kind.REINDEX_OBJECT_SCHEMA,
            kind.REINDEX_OBJECT_DATABASE,
            kind.REINDEX_OBJECT_SYSTEM,
        ):
            return f"REINDEX {node.kind.name.removeprefix('REINDEX_OBJECT_')}"
        option = option_named(node.params, "concurrently")
        if option is not None and boolean_option(option) is True:
            return "REINDEX ... CONCURRENTLY"
    if detached_concurrently(node) is not None:
        return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
    return None


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    if statement.in_do_block:
        yield from _in_do_block(statement, ctx)
        return
    if not ctx.source.transactional:
        yield from _outside_transaction(statement)
        return
    what = refused_in_transaction(statement.node)
    if what is None:
        return
    yield Hit(
        statement.line,
        f"{what} cannot run inside a transaction block, and this migration runs in one "
        "(no `-- transactional: false` directive): it will fail every time",
        "put it alone in its own migration whose leading comment says "
        "`-- transactional: false` (and make it idempotent: IF NOT EXISTS / IF EXISTS)",
    )


def _outside_transaction(statement: Statement) -> Iterator[Hit]:
    from pglast import ast

    if isinstance(statement.node, ast.LockStmt):
        yield Hit(
            statement.line,
            "LOCK TABLE can only be used in a transaction block, and this migration runs "
            "each statement on its own (`-- transactional: false`): it will fail every time",
            "take the lock in a transactional migration, with the statements it protects",
        )


def _in_do_block(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast

    node = statement.node
    if isinstance(node, ast.TransactionStmt):
        if ctx.source.transactional:
            yield Hit(
                statement.line,
                'COMMIT or ROLLBACK inside a DO block fails with "invalid transaction '
                'termination" when the DO runs in a transaction block, and this migration '
                "runs in one: it will fail every time",
                "remove it; split the work into separate migrations instead",
            )
        return
    what = refused_in_transaction(node)
    if what is not None:
        yield Hit(
            statement.line,
            f"{what} inside a DO block: PostgreSQL refuses it (it cannot be executed from a "
            "function), in every migration",
            "move it out of the DO block into its own `-- transactional: false` migration",
        )


RULE = Rule(
    "AD105",
    "transaction-refused",
    "CONCURRENTLY (or VACUUM, REINDEX SCHEMA, CREATE DATABASE ...) inside a transactional "
    "migration",
    statement_check=check,
)
