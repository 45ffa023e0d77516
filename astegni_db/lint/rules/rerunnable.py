"""AD112: a `-- transactional: false` migration whose statements cannot run twice.

Such a migration is not one transaction: a failure, a lock timeout or a kill
leaves the statements before it applied, and the way forward is to run
migrate again, which runs every statement again (`status` shows where it
stopped). So each statement must be harmless the second time. Read from the
parse tree's flags: a CREATE without IF NOT EXISTS (or OR REPLACE, for views,
functions, procedures, triggers and rules) fails with "already exists", as
does CREATE TYPE / DOMAIN, which have neither; a DROP without IF EXISTS, an
ALTER TABLE ... DROP COLUMN / DROP CONSTRAINT without IF EXISTS and a RENAME
without ALTER ... IF EXISTS fail with "does not exist"; ADD COLUMN without IF
NOT EXISTS and ADD CONSTRAINT fail with "already exists" (unless an earlier
statement of the file drops that constraint IF EXISTS); an INSERT with no ON
CONFLICT clause and no WHERE NOT EXISTS adds its rows twice.

``ALTER TABLE parent DETACH PARTITION p CONCURRENTLY`` has no re-runnable
spelling: once done, a second run fails ('relation "p" is not a partition of
relation "parent"'); interrupted in its second transaction, it leaves p
"detach pending" (pg_inherits.inhdetachpending) and a second run fails with
"already pending detach". It has no IF EXISTS, and PostgreSQL refuses it
inside a DO block ("cannot be executed from a function"), so it cannot be
guarded there; ``DETACH PARTITION p FINALIZE`` can be. The finding says how
to finish by hand. Not about a lock: no locks reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import detached_concurrently, walk
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement

_ALREADY = 'a second run fails with "already exists"'
_MISSING = 'a second run fails with "does not exist"'


def _create_problem(node: object) -> str | None:
    from pglast import ast

    if isinstance(
        node,
        ast.CreateStmt
        | ast.IndexStmt
        | ast.CreateSeqStmt
        | ast.CreateSchemaStmt
        | ast.CreateExtensionStmt
        | ast.CreateTableAsStmt,
    ):
        if node.if_not_exists:
            return None
        return f"{_CREATE_WORDS[type(node).__name__]} without IF NOT EXISTS: {_ALREADY}"
    if isinstance(node, ast.ViewStmt | ast.CreateFunctionStmt | ast.CreateTrigStmt | ast.RuleStmt):
        if node.replace:
            return None
        words = _CREATE_WORDS[type(node).__name__]
        if isinstance(node, ast.CreateFunctionStmt) and node.is_procedure:
            words = "CREATE PROCEDURE"
        return f"{words} without OR REPLACE: {_ALREADY}"
    if isinstance(node, ast.CreateEnumStmt | ast.CompositeTypeStmt | ast.CreateRangeStmt):
        return f"CREATE TYPE: {_ALREADY} (it has no IF NOT EXISTS)"
    if isinstance(node, ast.CreateDomainStmt):
        return f"CREATE DOMAIN: {_ALREADY} (it has no IF NOT EXISTS)"
    return None


_CREATE_WORDS = {
    "CreateStmt": "CREATE TABLE",
    "IndexStmt": "CREATE INDEX",
    "CreateSeqStmt": "CREATE SEQUENCE",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "CreateTableAsStmt": "CREATE TABLE AS / MATERIALIZED VIEW",
    "ViewStmt": "CREATE VIEW",
    "CreateFunctionStmt": "CREATE FUNCTION",
    "CreateTrigStmt": "CREATE TRIGGER",
    "RuleStmt": "CREATE RULE",
}


def _alter_problem(node: object, dropped_before: set[str]) -> str | None:
    from pglast import ast, enums

    if isinstance(node, ast.RenameStmt):
        if node.missing_ok:
            return None
        return (
            "RENAME: a second run fails, the old name being gone "
            "(ALTER ... IF EXISTS old RENAME ... runs twice harmlessly)"
        )
    if not isinstance(node, ast.AlterTableStmt):
        return None
    kind = enums.AlterTableType
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        if cmd.subtype == kind.AT_AddConstraint:
            name = getattr(cmd.def_, "conname", None)
            if name is None or name not in dropped_before:
                return (
                    f"ADD CONSTRAINT has no IF NOT EXISTS: {_ALREADY} (unless DROP CONSTRAINT "
                    "IF EXISTS comes first)"
                )
        elif cmd.subtype == kind.AT_AddColumn and not cmd.missing_ok:
            return f"ADD COLUMN without IF NOT EXISTS: {_ALREADY}"
        elif cmd.subtype in (kind.AT_DropColumn, kind.AT_DropConstraint) and not cmd.missing_ok:
            return f"DROP without IF EXISTS: {_MISSING}"
    return None


def _insert_problem(node: object) -> str | None:
    from pglast import ast, enums

    if not isinstance(node, ast.InsertStmt) or node.onConflictClause is not None:
        return None
    for found in walk(node.selectStmt):
        if (
            isinstance(found, ast.BoolExpr)
            and found.boolop == enums.BoolExprType.NOT_EXPR
            and any(
                isinstance(arg, ast.SubLink) and arg.subLinkType == enums.SubLinkType.EXISTS_SUBLINK
                for arg in found.args or ()
            )
        ):
            return None
    return "INSERT without ON CONFLICT (or WHERE NOT EXISTS): a second run adds its rows again"


def _drop_problem(node: object) -> str | None:
    # DropStmt, DropRoleStmt, DropdbStmt ...: all say IF EXISTS with missing_ok.
    if type(node).__name__.startswith("Drop") and getattr(node, "missing_ok", True) is False:
        return f"DROP without IF EXISTS: {_MISSING}"
    return None


def _constraints_dropped_if_exists(statements: list[Statement]) -> set[str]:
    """Constraints that ``ALTER TABLE ... DROP CONSTRAINT IF EXISTS name`` removes."""
    from pglast import ast, enums

    names = set()
    for statement in statements:
        node = statement.node
        if isinstance(node, ast.AlterTableStmt):
            for cmd in node.cmds or ():
                if (
                    isinstance(cmd, ast.AlterTableCmd)
                    and cmd.subtype == enums.AlterTableType.AT_DropConstraint
                    and cmd.missing_ok
                    and cmd.name
                ):
                    names.add(cmd.name)
    return names


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    # Inside a DO block the block's own logic decides; transactional migrations
    # are all-or-nothing, and a re-run starts from nothing.
    if ctx.source.transactional or statement.in_do_block:
        return
    statements = ctx.source.statements
    before = statements[: next(i for i, s in enumerate(statements) if s is statement)]
    node = statement.node
    detach = detached_concurrently(node)
    if detach is not None:
        yield _detach_hit(statement, *detach)
        return
    problem = (
        _create_problem(node)
        or _drop_problem(node)
        or _alter_problem(node, _constraints_dropped_if_exists(before))
        or _insert_problem(node)
    )
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


def _detach_hit(statement: Statement, parent: str, partition: str) -> Hit:
    return Hit(
        statement.line,
        f"DETACH PARTITION {partition} CONCURRENTLY cannot run twice: once done, a second run "
        f'fails (relation "{partition}" is not a partition of relation "{parent}"); '
        f'interrupted, it leaves {partition} "detach pending" and a second run fails '
        '("already pending detach"). It has no IF EXISTS and PostgreSQL refuses it inside '
        "a DO block, so it cannot be guarded. This migration is `-- transactional: false`: "
        "after a failure the statements before it stay applied, and migrate runs every "
        "statement again",
        "give it a migration of its own, and if a run fails: while pg_inherits still shows "
        f"{partition} attached and not inhdetachpending, migrate again; otherwise replace the "
        "DETACH (the migration is not recorded yet) with DO $$ BEGIN IF EXISTS (SELECT FROM "
        f"pg_inherits WHERE inhrelid = to_regclass('{partition}') AND inhdetachpending) THEN "
        f"ALTER TABLE {parent} DETACH PARTITION {partition} FINALIZE; END IF; END $$; and "
        "migrate again",
    )


RULE = Rule(
    "AD112",
    "not-rerunnable",
    "statement in a `-- transactional: false` migration that fails or duplicates when run twice",
    statement_check=check,
)
