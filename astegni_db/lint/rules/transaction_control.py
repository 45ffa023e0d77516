"""AD116: BEGIN, COMMIT, ROLLBACK, SAVEPOINT ... written in a migration file.

astegni-db runs a transactional migration in one transaction together with
the row that records it as applied. A COMMIT inside the file commits the
statements before it without that record: if a later statement fails, the
migration is half applied and not recorded, and the next migrate runs it
again over the half. A ROLLBACK throws away the work before it, a BEGIN or
SAVEPOINT nests nothing PostgreSQL will honour. In a ``-- transactional:
false`` migration astegni-db journals each statement as it commits on its
own; after a BEGIN the statements run in a transaction that is still open
when they are journalled, and commit later, or never. Every explicit
transaction statement is reported: BEGIN, START TRANSACTION, COMMIT, END,
ROLLBACK, ABORT, SAVEPOINT, RELEASE, ROLLBACK TO, PREPARE TRANSACTION,
COMMIT PREPARED, ROLLBACK PREPARED. A PL/pgSQL COMMIT inside a DO block is
AD105's. Not about a lock: no locks reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement

if TYPE_CHECKING:
    from pglast import ast

_SUGGESTION = (
    "remove it and split the file into several migrations; put statements that cannot run "
    "in a transaction in a migration whose leading comment says `-- transactional: false`"
)


def _words(node: ast.TransactionStmt) -> str:
    from pglast import enums

    kind = enums.TransactionStmtKind
    return {
        kind.TRANS_STMT_BEGIN: "BEGIN",
        kind.TRANS_STMT_START: "START TRANSACTION",
        kind.TRANS_STMT_COMMIT: "COMMIT",
        kind.TRANS_STMT_ROLLBACK: "ROLLBACK",
        kind.TRANS_STMT_SAVEPOINT: "SAVEPOINT",
        kind.TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
        kind.TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
        kind.TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
        kind.TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
        kind.TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
    }.get(node.kind or kind.TRANS_STMT_BEGIN, "transaction control")


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast

    if statement.in_do_block or not isinstance(statement.node, ast.TransactionStmt):
        return
    what = _words(statement.node)
    if ctx.source.transactional:
        why = (
            "astegni-db runs this migration in one transaction with the record that it was "
            "applied: a COMMIT here commits the statements before it without that record (a "
            "later failure leaves it half applied and unrecorded), a ROLLBACK discards them"
        )
    else:
        why = (
            "astegni-db runs each statement of this `-- transactional: false` migration on "
            "its own and journals it as done: after a BEGIN the statements run in a "
            "transaction that is still open when they are journalled"
        )
    yield Hit(statement.line, f"{what} in a migration file: {why}", _SUGGESTION)


RULE = Rule(
    "AD116",
    "transaction-control",
    "BEGIN, COMMIT, ROLLBACK, SAVEPOINT ... in a migration file",
    statement_check=check,
)
