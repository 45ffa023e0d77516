"""AD112: a `-- transactional: false` migration whose statements cannot run twice.

Such a migration is not one transaction: a failure, a lock timeout or a kill
leaves the statements before it applied, and the way forward is to run
migrate again, which runs every statement again (`status` shows where it
stopped). So each statement must be harmless the second time. A CREATE
without IF NOT EXISTS fails with "already exists"; a DROP without IF EXISTS
with "does not exist"; an INSERT with no conflict handling adds its rows twice.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import Token, has_sequence

# What CREATE makes that IF NOT EXISTS can guard (and OR REPLACE, where PostgreSQL has it).
_CREATABLE = frozenset(
    {"TABLE", "INDEX", "SEQUENCE", "SCHEMA", "EXTENSION", "VIEW", "MATERIALIZED", "TYPE",
     "FUNCTION", "PROCEDURE", "TRIGGER", "DOMAIN", "UNIQUE"}
)  # fmt: skip
# Objects that CREATE OR REPLACE re-creates harmlessly.
_REPLACEABLE = frozenset({"VIEW", "FUNCTION", "PROCEDURE", "TRIGGER", "RULE"})


def _create_problem(tokens: list[Token]) -> str | None:
    words = tokens[1:4]
    if has_sequence(words, "OR", "REPLACE") is not None:
        return None
    if not words or not words[0].is_(*_CREATABLE) and not words[0].is_("TEMP", "TEMPORARY"):
        return None
    if has_sequence(tokens, "IF", "NOT", "EXISTS") is not None:
        return None
    kind = " ".join(t.text.upper() for t in tokens[:3] if t.kind == "word")
    if tokens[1].is_(*_REPLACEABLE):
        return f'{kind} without OR REPLACE: a second run fails with "already exists"'
    if tokens[1].is_("TYPE", "DOMAIN"):
        return f'{kind}: a second run fails with "already exists" (it has no IF NOT EXISTS)'
    return f'{kind} without IF NOT EXISTS: a second run fails with "already exists"'


def _alter_problem(tokens: list[Token], dropped_before: set[str]) -> str | None:
    if not tokens[1].is_("TABLE", "INDEX", "SEQUENCE", "VIEW"):
        return None
    guarded = has_sequence(tokens[:4], "IF", "EXISTS") is not None
    for i, token in enumerate(tokens):
        if token.is_("ADD") and i + 1 < len(tokens):
            nxt = tokens[i + 1 : i + 5]
            if nxt[0].is_("CONSTRAINT") and len(nxt) > 1 and nxt[1].text.lower() in dropped_before:
                continue  # DROP CONSTRAINT IF EXISTS came first: runs twice harmlessly
            if nxt[0].is_("CONSTRAINT", "UNIQUE", "PRIMARY", "CHECK", "FOREIGN", "EXCLUDE"):
                return (
                    "ADD CONSTRAINT has no IF NOT EXISTS: a second run fails with "
                    '"already exists" (unless DROP CONSTRAINT IF EXISTS comes first)'
                )
            if has_sequence(nxt, "IF", "NOT", "EXISTS") is None:
                return 'ADD COLUMN without IF NOT EXISTS: a second run fails with "already exists"'
        if token.is_("DROP") and i + 1 < len(tokens):
            nxt = tokens[i + 1 : i + 5]
            if nxt[0].is_("DEFAULT", "NOT", "EXPRESSION", "IDENTITY"):
                continue  # ALTER COLUMN ... DROP DEFAULT / NOT NULL: harmless twice
            if has_sequence(nxt, "IF", "EXISTS") is None:
                return 'DROP without IF EXISTS: a second run fails with "does not exist"'
        if token.is_("RENAME") and not guarded:
            return (
                "RENAME: a second run fails, the old name being gone "
                "(ALTER ... IF EXISTS old RENAME ... runs twice harmlessly)"
            )
    return None


def _constraints_dropped_if_exists(statements: list[Statement]) -> set[str]:
    """Constraints that ``ALTER TABLE ... DROP CONSTRAINT IF EXISTS name`` removes."""
    names = set()
    for statement in statements:
        tokens = statement.tokens
        at = has_sequence(tokens, "DROP", "CONSTRAINT", "IF", "EXISTS")
        if tokens[0].is_("ALTER") and at is not None and at + 4 < len(tokens):
            names.add(tokens[at + 4].text.lower())
    return names


def _problem(tokens: list[Token], dropped_before: set[str]) -> str | None:
    first = tokens[0]
    if len(tokens) < 2:
        return None
    if first.is_("CREATE"):
        return _create_problem(tokens)
    if first.is_("DROP"):
        if has_sequence(tokens[:5], "IF", "EXISTS") is None:
            return 'DROP without IF EXISTS: a second run fails with "does not exist"'
        return None
    if first.is_("ALTER"):
        return _alter_problem(tokens, dropped_before)
    if first.is_("INSERT") and not (
        has_sequence(tokens, "ON", "CONFLICT") is not None
        or has_sequence(tokens, "NOT", "EXISTS") is not None
    ):
        return "INSERT without ON CONFLICT (or WHERE NOT EXISTS): a second run adds its rows again"
    return None


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    # Inside a DO block the block's own logic decides; transactional migrations
    # are all-or-nothing, and a re-run starts from nothing.
    if ctx.source.transactional or statement.in_do_block:
        return
    statements = ctx.source.statements
    before = statements[: next(i for i, s in enumerate(statements) if s is statement)]
    problem = _problem(statement.tokens, _constraints_dropped_if_exists(before))
    if problem is None:
        return
    yield Hit(
        statement.line,
        f"{problem}. This migration is `-- transactional: false`: after a failure the "
        "statements before it stay applied, and migrate runs every statement again",
        "make it re-runnable: CREATE ... IF NOT EXISTS, DROP ... IF EXISTS, "
        "ADD COLUMN IF NOT EXISTS, INSERT ... ON CONFLICT DO NOTHING; a constraint: "
        "ALTER TABLE ... DROP CONSTRAINT IF EXISTS c first, or add it in a transactional migration",
    )


RULE = Rule(
    "AD112",
    "not-rerunnable",
    "statement in a `-- transactional: false` migration that fails or duplicates when run twice",
    statement_check=check,
)
