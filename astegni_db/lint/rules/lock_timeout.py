"""AD111: a lock-taking statement that would wait for its lock with no lock_timeout.

An ALTER queued behind a long transaction makes every later query on the
table queue behind *it*: a 3 s transaction stalled every client for 2.7 s in
our measurements (docs/lint.md). astegni-db runs every migration with a short
lock_timeout and retries, so for its migrations (runner "astegni-db", the
default) the rule reports only a file that switches the timeout off
(``SET lock_timeout = 0``, ``RESET lock_timeout``, ``set_config(...'0'...)``).
For files run by stock yoyo or psql (runner "yoyo"/"psql"), which set no
timeout, it reports every lock-taking statement not preceded by a
``SET lock_timeout``.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext, lock_timeout_value
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement

_SUGGESTION_EXTERNAL = (
    "start the file with SET lock_timeout = '200ms' (SET LOCAL inside a transaction) and "
    "retry on failure, or run it with `astegni-db migrate`, which does both"
)


def _takes_strong_lock(statement: Statement, ctx: FileContext) -> str | None:
    tokens = statement.tokens
    first = tokens[0]
    altered = ddl.alter_table(tokens)
    if altered is not None:
        only_validate = all(a and a[0].is_("VALIDATE") for a in altered.actions)
        if ctx.is_existing(altered.table) and not only_validate:
            return f"ALTER TABLE {altered.table}"
        return None
    index = ddl.create_index(tokens)
    if index is not None:
        return None if index.concurrently or not ctx.is_existing(index.table) else "CREATE INDEX"
    if first.is_("DROP") and len(tokens) > 1 and tokens[1].is_("TABLE", "INDEX", "TRIGGER"):
        if tokens[1].is_("INDEX") and len(tokens) > 2 and tokens[2].is_("CONCURRENTLY"):
            return None
        return f"DROP {tokens[1].text.upper()}"
    if first.is_("LOCK", "TRUNCATE", "CLUSTER", "REINDEX"):
        return first.text.upper()
    if first.is_("CREATE") and any(t.is_("TRIGGER") for t in tokens[1:4]):
        return "CREATE TRIGGER"
    return None


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    if ctx.runner == "astegni-db":
        if lock_timeout_value(statement.tokens) == "0":
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
    what = _takes_strong_lock(statement, ctx)
    if what is None:
        return
    yield Hit(
        statement.line,
        f"{what} waits for its lock with no lock_timeout ({ctx.runner} sets none): queued "
        "behind a long transaction, it makes every later query on the table queue behind it",
        _SUGGESTION_EXTERNAL,
    )


RULE = Rule(
    "AD111",
    "missing-lock-timeout",
    "lock-taking statement with no lock_timeout (or one switched off)",
    statement_check=check,
)
