"""AD111: a lock-taking statement that would wait for its lock with no lock_timeout.

An ALTER queued behind a long transaction makes every later query on the
table queue behind *it*: a 3 s transaction stalled every client for 2.7 s in
our measurements (docs/lint.md). astegni-db runs every migration with a short
lock_timeout and retries, so for its migrations (runner "astegni-db", the
default) the rule reports only a file that switches the timeout off
(``SET lock_timeout = 0``, ``RESET lock_timeout``, ``RESET ALL``,
``set_config('lock_timeout', '0', ...)``; no locks reported). For files run
by stock yoyo or psql (runner "yoyo"/"psql"), which set no timeout, it
reports every statement not preceded by a ``SET lock_timeout`` that takes a
lock conflicting with writes (SHARE or stronger) on a table, view or index
the file did not create: ALTER TABLE (but not VALIDATE CONSTRAINT, SET
STATISTICS and the like, which take SHARE UPDATE EXCLUSIVE), CREATE INDEX
and DROP INDEX without CONCURRENTLY, REINDEX, DETACH PARTITION, RENAME, DROP
TABLE/VIEW, TRUNCATE, LOCK, CLUSTER, VACUUM FULL, REFRESH MATERIALIZED VIEW,
CREATE/DROP TRIGGER, RULE and POLICY, CREATE TABLE ... REFERENCES (SHARE ROW
EXCLUSIVE on the referenced table) or PARTITION OF, ALTER DOMAIN ... ADD
CONSTRAINT. Its locks: the modes the statement takes (astegni_db/lint/locks.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext, lock_timeout_value
from astegni_db.lint.locks import blocks_reads, blocks_writes
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement

_SUGGESTION_EXTERNAL = (
    "start the file with SET lock_timeout = '200ms' (SET LOCAL inside a transaction) and "
    "retry on failure, or run it with `astegni-db migrate`, which does both"
)


def describe(node: object) -> str:
    """How a message names the statement: "ALTER TABLE", "CREATE INDEX", "REINDEX" ..."""
    words = _STATEMENT_WORDS.get(type(node).__name__)
    return words or type(node).__name__.removesuffix("Stmt")


_STATEMENT_WORDS = {
    "AlterTableStmt": "ALTER TABLE",
    "IndexStmt": "CREATE INDEX",
    "DropStmt": "DROP",
    "ReindexStmt": "REINDEX",
    "RenameStmt": "RENAME",
    "LockStmt": "LOCK",
    "TruncateStmt": "TRUNCATE",
    "ClusterStmt": "CLUSTER",
    "VacuumStmt": "VACUUM FULL",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "CreateTrigStmt": "CREATE TRIGGER",
    "RuleStmt": "CREATE RULE",
    "CreatePolicyStmt": "CREATE POLICY",
    "AlterPolicyStmt": "ALTER POLICY",
    "CreateStmt": "CREATE TABLE",
    "AlterDomainStmt": "ALTER DOMAIN",
}


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    if ctx.runner == "astegni-db":
        if lock_timeout_value(statement.node) == "0":
            yield Hit(
                statement.line,
                "this switches off the lock_timeout astegni-db sets for every migration: a "
                "later ALTER may wait behind a long transaction while every query on the table "
                "queues behind it",
                "remove it; astegni-db already runs each attempt with a short lock_timeout "
                "(--ddl-lock-timeout) and retries with backoff",
            )
        return
    if ctx.lock_timeout_set:
        return
    locks = ctx.locks(statement)
    waits_on = [
        name for name, mode in locks.items() if blocks_writes(mode) and ctx.is_existing(name)
    ]
    if not waits_on:
        return
    held = ", ".join(f"{locks[name]} on {name}" for name in waits_on)
    queued = "query" if any(blocks_reads(locks[name]) for name in waits_on) else "write"
    yield Hit(
        statement.line,
        f"{describe(statement.node)} waits for its lock ({held}) with no lock_timeout "
        f"({ctx.runner} sets none): queued behind a long transaction, it makes every later "
        f"{queued} on the table queue behind it",
        _SUGGESTION_EXTERNAL,
        claims(locks, *waits_on),
    )


RULE = Rule(
    "AD111",
    "missing-lock-timeout",
    "lock-taking statement with no lock_timeout (or one switched off)",
    statement_check=check,
)
