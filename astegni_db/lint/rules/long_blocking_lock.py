"""AD117: a lock that blocks reads or writes of an existing relation for long.

Each form holds, on a relation the migration did not create, a lock that
blocks reads or writes for work proportional to its size, or, for LOCK
TABLE, for the rest of the migration (PostgreSQL 15, measured in pg_locks):

- ``CLUSTER t``: rewrites t in index order, ACCESS EXCLUSIVE. ``CLUSTER``
  alone (every table clustered before) is refused in a transaction (AD105);
  in a ``-- transactional: false`` migration it is reported, with no locks
  named.
- ``VACUUM FULL t``: rewrites t, ACCESS EXCLUSIVE. VACUUM is refused in a
  transaction and in a DO block (AD105), so only a ``-- transactional:
  false`` migration's is reported here.
- ``REFRESH MATERIALIZED VIEW v`` without CONCURRENTLY: ACCESS EXCLUSIVE on
  v while its query runs again (reads of v wait); ``WITH NO DATA`` empties v,
  and reading it fails until the next REFRESH.
- ``ALTER TABLE / MATERIALIZED VIEW ... SET TABLESPACE``, ``SET LOGGED``,
  ``SET UNLOGGED``, ``SET ACCESS METHOD``: a copy of the whole relation under
  ACCESS EXCLUSIVE (on a partitioned table SET TABLESPACE only changes the
  default for new partitions, which lint cannot tell apart). ``ALTER INDEX
  ... SET TABLESPACE`` copies the index under ACCESS EXCLUSIVE on the index
  alone, so queries that would use it wait. ``ALTER TABLE ALL IN TABLESPACE
  ... SET TABLESPACE`` moves every table it finds: no locks named.
- ``ALTER TABLE parent ATTACH PARTITION p ...`` of an existing p: scans p to
  check that every row fits the bound, holding ACCESS EXCLUSIVE on p and
  SHARE UPDATE EXCLUSIVE on the parent (writes to the parent's other
  partitions go on). PostgreSQL skips the scan when a validated CHECK on p
  implies the bound; lint recognises the form PostgreSQL's documentation
  shows, a validated CHECK (from the migrations read so far) whose
  conjuncts are ``k >= from`` and ``k < to`` on one column for a one-column
  range bound (MINVALUE / MAXVALUE need no conjunct), or ``k IN (...)`` /
  ``k = v`` within a list bound, constants compared as written (casts
  aside). The key column must also be NOT NULL (or the CHECK say
  ``k IS NOT NULL``), which lint does not check: ATTACH refuses a partition
  whose column is nullable where the parent's is NOT NULL. Any other CHECK
  is not taken as proof, so the finding errs towards reporting.
- ``LOCK TABLE t`` in ACCESS EXCLUSIVE (the default), EXCLUSIVE, SHARE ROW
  EXCLUSIVE or SHARE mode, in a transactional migration (or a DO block):
  held until the migration commits (the block ends). Not when a later
  statement of the same transaction (the same DO block, in a ``--
  transactional: false`` migration) takes that mode or a stronger one on t
  anyway: lock, check, act (``astegni-db plan``'s guarded drops) only takes
  early what the act takes. Outside a transaction block PostgreSQL refuses
  LOCK TABLE; that is not reported here.
- ``ALTER DOMAIN d VALIDATE CONSTRAINT c`` and ``ALTER DOMAIN d SET NOT
  NULL``: every column of type d is checked, under SHARE on its table
  (writes wait). The tables named are those the migrations read so far give
  a column of the domain, as for AD102's ALTER DOMAIN ... ADD CONSTRAINT;
  the statement is reported whenever the domain is existing, since tables
  lint cannot see may use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from astegni_db.lint import locks as modes
from astegni_db.lint.context import FileContext, History
from astegni_db.lint.nodes import (
    boolean_option,
    commands,
    last_name,
    option_named,
    relation,
)
from astegni_db.lint.rules.base import Hit, Rule, claims, domain_scan
from astegni_db.lint.statements import Statement

if TYPE_CHECKING:
    from pglast import ast

_REPACK = (
    "leave it out of migrations: pg_repack rewrites a table online (it takes ACCESS "
    "EXCLUSIVE only for a moment at the start and the end), run by hand at a quiet time"
)


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast

    node = statement.node
    if isinstance(node, ast.ClusterStmt):
        yield from _cluster(statement, node, ctx)
    elif isinstance(node, ast.VacuumStmt):
        yield from _vacuum_full(statement, node, ctx)
    elif isinstance(node, ast.RefreshMatViewStmt):
        yield from _refresh(statement, node, ctx)
    elif isinstance(node, ast.AlterTableStmt):
        yield from _rewrites(statement, node, ctx)
        yield from _attach(statement, node, ctx)
    elif isinstance(node, ast.AlterTableMoveAllStmt):
        yield Hit(
            statement.line,
            f"ALTER ... ALL IN TABLESPACE {node.orig_tablespacename} SET TABLESPACE "
            f"{node.new_tablespacename} copies every relation it finds there, each under "
            "ACCESS EXCLUSIVE for its copy: reads and writes of each wait",
            _REPACK + " (pg_repack --tablespace moves a table online)",
        )
    elif isinstance(node, ast.LockStmt):
        yield from _lock(statement, node, ctx)
    elif isinstance(node, ast.AlterDomainStmt):
        yield from _domain(statement, node, ctx)


def _cluster(statement: Statement, node: ast.ClusterStmt, ctx: FileContext) -> Iterator[Hit]:
    table = relation(node.relation)
    if table is None:
        # Refused in a transaction block and in a DO block: AD105's finding there.
        if not ctx.source.transactional and not statement.in_do_block:
            yield Hit(
                statement.line,
                "CLUSTER without a table rewrites every table that was clustered before, one "
                "at a time, each under ACCESS EXCLUSIVE for its rewrite: reads and writes of "
                "each wait",
                _REPACK,
            )
        return
    if not ctx.is_existing(table):
        return
    using = f" USING {node.indexname}" if node.indexname else ""
    yield Hit(
        statement.line,
        f"CLUSTER {table}{using} rewrites {table} in index order and rebuilds its indexes, "
        f"holding ACCESS EXCLUSIVE on {table} for the whole rewrite: reads and writes wait",
        _REPACK + f" (pg_repack --table {table} --order-by ...), or drop the CLUSTER",
        claims(ctx.locks(statement), table),
    )


def _vacuum_full(statement: Statement, node: ast.VacuumStmt, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast

    full = option_named(node.options, "full")
    if not node.is_vacuumcmd or full is None or boolean_option(full) is not True:
        return
    # In a transaction block, and in a DO block, VACUUM is refused: AD105.
    if ctx.source.transactional or statement.in_do_block:
        return
    tables = [
        relation(rel.relation) for rel in node.rels or () if isinstance(rel, ast.VacuumRelation)
    ]
    if not tables:
        yield Hit(
            statement.line,
            "VACUUM FULL without a table rewrites every table of the database, one at a time, "
            "each under ACCESS EXCLUSIVE for its rewrite: reads and writes of each wait",
            "plain VACUUM (SHARE UPDATE EXCLUSIVE: reads and writes go on); to give space "
            "back to the operating system, " + _REPACK,
        )
        return
    existing = [t for t in tables if t and ctx.is_existing(t)]
    if not existing:
        return
    names = ", ".join(existing)
    yield Hit(
        statement.line,
        f"VACUUM FULL {names} rewrites {_it(existing)} into new files, holding ACCESS EXCLUSIVE "
        f"on {names} for the whole rewrite: reads and writes wait",
        f"VACUUM {names} (plain: SHARE UPDATE EXCLUSIVE, reads and writes go on); to give "
        "space back to the operating system, " + _REPACK,
        claims(ctx.locks(statement), *existing),
    )


def _refresh(statement: Statement, node: ast.RefreshMatViewStmt, ctx: FileContext) -> Iterator[Hit]:
    view = relation(node.relation)
    if node.concurrent or not view or not ctx.is_existing(view):
        return
    if node.skipData:
        message = (
            f"REFRESH MATERIALIZED VIEW {view} WITH NO DATA empties {view} under ACCESS "
            f'EXCLUSIVE: from then on every query on it fails ("has not been populated") '
            "until the next REFRESH"
        )
    else:
        message = (
            f"REFRESH MATERIALIZED VIEW {view} without CONCURRENTLY holds ACCESS EXCLUSIVE on "
            f"{view} while it runs the view's query again and replaces its rows: reads of "
            f"{view} wait"
        )
    yield Hit(
        statement.line,
        message,
        f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view} (EXCLUSIVE: reads go on); it needs "
        f"a UNIQUE index on {view} over plain columns, without WHERE, and {view} populated",
        claims(ctx.locks(statement), view),
    )


def _rewrites(statement: Statement, node: ast.AlterTableStmt, ctx: FileContext) -> Iterator[Hit]:
    from pglast import enums

    kind = enums.AlterTableType
    copies: dict[object, str] = {
        kind.AT_SetTableSpace: "SET TABLESPACE copies {name} to the new tablespace",
        kind.AT_SetLogged: "SET LOGGED rewrites {name}, writing all of it to the WAL",
        kind.AT_SetUnLogged: "SET UNLOGGED rewrites {name}",
        kind.AT_SetAccessMethod: "SET ACCESS METHOD rewrites {name} with the new access method",
    }
    objects: dict[object, str] = {
        enums.ObjectType.OBJECT_TABLE: "TABLE",
        enums.ObjectType.OBJECT_MATVIEW: "MATERIALIZED VIEW",
        enums.ObjectType.OBJECT_INDEX: "INDEX",
    }
    name = relation(node.relation)
    what = objects.get(node.objtype)
    if not name or what is None or not ctx.is_existing(name):
        return
    for cmd, line in commands(statement):
        copy = copies.get(cmd.subtype)
        if copy is None:
            continue
        if what == "INDEX":
            yield Hit(
                line,
                f"ALTER INDEX {name} {copy.format(name=name)}, holding ACCESS EXCLUSIVE on "
                f"{name} for the whole copy: queries that would use it wait (and planning a "
                "query on its table opens every index of it, so most queries on the table do)",
                f"build a copy with CREATE INDEX CONCURRENTLY ... TABLESPACE <new>, then DROP "
                f"INDEX CONCURRENTLY {name}, each in a `-- transactional: false` migration",
                claims(ctx.locks(statement), name),
            )
            continue
        yield Hit(
            line,
            f"ALTER {what} {name} {copy.format(name=name)}, holding ACCESS EXCLUSIVE on "
            f"{name} for the whole copy: reads and writes wait",
            _REPACK + " (pg_repack --tablespace moves a table online); for LOGGED, UNLOGGED "
            "or another access method, PostgreSQL 15 has no online way: create the new "
            "table, copy the rows in batches, switch (expand and contract)",
            claims(ctx.locks(statement), name),
        )


def _attach(statement: Statement, node: ast.AlterTableStmt, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    parent = relation(node.relation)
    if node.objtype != enums.ObjectType.OBJECT_TABLE or not parent:
        return
    for cmd, line in commands(statement):
        definition = cmd.def_
        if cmd.subtype != enums.AlterTableType.AT_AttachPartition or not isinstance(
            definition, ast.PartitionCmd
        ):
            continue
        partition = relation(definition.name)
        bound = definition.bound
        if not partition or not ctx.is_existing(partition):
            continue
        if bound is not None and _bound_is_proved(ctx.history, partition, bound):
            continue
        check = _bound_check(bound)
        yield Hit(
            line,
            f"ATTACH PARTITION {partition} scans every row of {partition} to check it fits the "
            f"partition bound, holding ACCESS EXCLUSIVE on {partition} (its reads and writes "
            f"wait) and SHARE UPDATE EXCLUSIVE on {parent}; if {parent} has a DEFAULT "
            "partition, that one is scanned too, under ACCESS EXCLUSIVE",
            f"in an earlier migration: ALTER TABLE {partition} ADD CONSTRAINT "
            f"{partition}_bound CHECK ({check}) NOT VALID; in another: VALIDATE CONSTRAINT "
            f"{partition}_bound (SHARE UPDATE EXCLUSIVE: reads and writes go on); then ATTACH "
            "PARTITION, which skips the scan since the CHECK proves the bound, and DROP "
            f"CONSTRAINT {partition}_bound",
            claims(ctx.locks(statement), parent, partition),
        )


def _lock(statement: Statement, node: ast.LockStmt, ctx: FileContext) -> Iterator[Hit]:
    # Outside a transaction block the server refuses LOCK TABLE; in a DO block of a
    # `-- transactional: false` migration it holds until the block ends.
    if not ctx.source.transactional and not statement.in_do_block:
        return
    mode = modes.MODES[(node.mode or 8) - 1]
    if not modes.blocks_writes(mode):
        return
    anyway = _taken_later(statement, ctx, mode)
    tables = [
        t
        for t in (relation(r) for r in node.relations or ())
        if t and ctx.is_existing(t) and t not in anyway
    ]
    if not tables:
        return
    names = ", ".join(tables)
    until = "the migration commits" if ctx.source.transactional else "the DO block ends"
    yield Hit(
        statement.line,
        f"LOCK TABLE {names} IN {mode} MODE holds {mode} on {names} until {until}: "
        f"{modes.who_waits(mode)}, for as long as every statement after it takes",
        "no LOCK TABLE: each statement takes the lock it needs, for as long as it needs it; "
        "if other sessions must be kept out while data is copied, use the weakest mode "
        "that does it (ROW EXCLUSIVE and SHARE UPDATE EXCLUSIVE let reads and writes go on) "
        "and keep the migration short",
        claims(ctx.locks(statement), *tables),
    )


def _taken_later(statement: Statement, ctx: FileContext, mode: str) -> set[str]:
    """Relations on which a later statement of the same transaction takes ``mode`` or a
    stronger one: in a `-- transactional: false` migration, the rest of the DO block
    (the DO-block statements that follow it, up to the next top-level statement)."""
    statements = ctx.source.statements
    after = statements[next(i for i, s in enumerate(statements) if s is statement) + 1 :]
    if not ctx.source.transactional:
        ends = next((i for i, s in enumerate(after) if not s.in_do_block), len(after))
        after = after[:ends]
    return {
        name
        for later in after
        for name, later_mode in ctx.locks(later).items()
        if modes.stronger(mode, later_mode) == later_mode
    }


def _domain(statement: Statement, node: ast.AlterDomainStmt, ctx: FileContext) -> Iterator[Hit]:
    if node.subtype not in ("V", "O"):  # VALIDATE CONSTRAINT, SET NOT NULL
        return
    scan = domain_scan(statement, ctx, last_name(node.typeName))
    if scan is None:
        return
    domain, used_by = scan.domain, scan.used_by
    if node.subtype == "V":
        what = f"VALIDATE CONSTRAINT {node.name}"
        instead = (
            "PostgreSQL 15 has no lighter way to validate a domain's constraint: on a busy "
            "table put the rule in a table CHECK instead (ADD CONSTRAINT ... NOT VALID, then "
            "VALIDATE CONSTRAINT in a later migration: SHARE UPDATE EXCLUSIVE, reads and "
            "writes go on), or run this at a quiet time"
        )
    else:
        what = "SET NOT NULL"
        instead = (
            "make the columns NOT NULL instead: ALTER TABLE ... ADD CONSTRAINT c CHECK (col "
            "IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c in a later migration, then ALTER "
            "COLUMN col SET NOT NULL (no scan: the CHECK proves it)"
        )
    yield Hit(
        statement.line,
        f"ALTER DOMAIN {domain} {what} checks every column of type {domain} in every "
        f"table{used_by}, holding SHARE on each table while it scans it: writes wait, reads "
        "go on",
        instead,
        claims(scan.locks, *scan.tables),
    )


def _it(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"


# --- does a validated CHECK on the partition prove its bound? -------------------------


def _bound_is_proved(history: History, partition: str, bound: ast.PartitionBoundSpec) -> bool:
    conjuncts = [
        part
        for key, expression in history.checks.items()
        if key[0] == partition and key in history.validated_checks
        for part in _conjuncts(expression)
    ]
    if bound.strategy == "r":
        return _range_proved(conjuncts, bound)
    if bound.strategy == "l":
        return _list_proved(conjuncts, bound)
    return False  # HASH and DEFAULT bounds: lint does not try


def _range_proved(conjuncts: list[Any], bound: ast.PartitionBoundSpec) -> bool:
    lower, upper = list(bound.lowerdatums or ()), list(bound.upperdatums or ())
    if len(lower) != 1 or len(upper) != 1:
        return False
    low, high = _infinite(lower[0]), _infinite(upper[0])
    if low and high:
        return False
    at_least = {c for c, value in _comparisons(conjuncts, ">=") if value == _value(lower[0])}
    below = {c for c, value in _comparisons(conjuncts, "<") if value == _value(upper[0])}
    if low:
        return bool(below)
    if high:
        return bool(at_least)
    return bool(at_least & below)


def _list_proved(conjuncts: list[Any], bound: ast.PartitionBoundSpec) -> bool:
    allowed = {_value(datum) for datum in bound.listdatums or ()}
    if None in allowed:  # NULL, or a value lint cannot read
        return False
    for column, values in _memberships(conjuncts):
        if values and values <= allowed and column:
            return True
    return False


def _conjuncts(expression: Any) -> list[Any]:
    from pglast import ast, enums

    if isinstance(expression, ast.BoolExpr) and expression.boolop == enums.BoolExprType.AND_EXPR:
        return [part for arg in expression.args or () for part in _conjuncts(arg)]
    return [expression]


def _comparisons(conjuncts: list[Any], operator: str) -> Iterator[tuple[str, str | None]]:
    """(column, constant) for each conjunct ``column <operator> constant`` (either way round)."""
    from pglast import ast, enums

    mirrored = {">=": "<=", "<": ">"}[operator]
    for part in conjuncts:
        if not isinstance(part, ast.A_Expr) or part.kind != enums.A_Expr_Kind.AEXPR_OP:
            continue
        written = last_name(part.name)
        if written == operator and _column(part.lexpr):
            yield _column(part.lexpr), _value(part.rexpr)
        elif written == mirrored and _column(part.rexpr):
            yield _column(part.rexpr), _value(part.lexpr)


def _memberships(conjuncts: list[Any]) -> Iterator[tuple[str, set[str | None]]]:
    """(column, values) for each conjunct ``column IN (...)`` or ``column = value``."""
    from pglast import ast, enums

    for part in conjuncts:
        if not isinstance(part, ast.A_Expr) or last_name(part.name) != "=":
            continue
        column = _column(part.lexpr)
        if part.kind == enums.A_Expr_Kind.AEXPR_IN and isinstance(part.rexpr, tuple):
            yield column, {_value(v) for v in part.rexpr}
        elif part.kind == enums.A_Expr_Kind.AEXPR_OP:
            yield column, {_value(part.rexpr)}


def _column(node: Any) -> str:
    from pglast import ast

    if isinstance(node, ast.ColumnRef) and node.fields and len(node.fields) == 1:
        return last_name(node.fields)
    return ""


def _infinite(node: Any) -> bool:
    return _column(node) in ("minvalue", "maxvalue")


def _value(node: Any) -> str | None:
    """A constant as written, casts aside ('2025-01-01', DATE '2025-01-01': the same)."""
    from pglast import ast

    while isinstance(node, ast.TypeCast):
        node = node.arg
    if not isinstance(node, ast.A_Const) or node.isnull or node.val is None:
        return None
    for attribute in ("sval", "ival", "fval", "boolval"):
        if hasattr(node.val, attribute):
            return str(getattr(node.val, attribute))
    return None


def _bound_check(bound: ast.PartitionBoundSpec | None) -> str:
    """The CHECK that proves a bound, for the suggestion (the key column is not known)."""
    from pglast.stream import RawStream

    def text(node: Any) -> str:
        return str(RawStream()(node))

    if bound is None:
        return "<the partition bound>"
    lower, upper = list(bound.lowerdatums or ()), list(bound.upperdatums or ())
    if bound.strategy == "r" and len(lower) == 1 and len(upper) == 1:
        parts = ["<key> IS NOT NULL"]
        if not _infinite(lower[0]):
            parts.append(f"<key> >= {text(lower[0])}")
        if not _infinite(upper[0]):
            parts.append(f"<key> < {text(upper[0])}")
        return " AND ".join(parts)
    if bound.strategy == "l" and bound.listdatums:
        values = ", ".join(text(d) for d in bound.listdatums)
        return f"<key> IS NOT NULL AND <key> IN ({values})"
    return "<the partition bound>"


RULE = Rule(
    "AD117",
    "long-blocking-lock",
    "CLUSTER, VACUUM FULL, REFRESH MATERIALIZED VIEW, SET TABLESPACE / LOGGED / UNLOGGED / "
    "ACCESS METHOD, ATTACH PARTITION, LOCK TABLE or ALTER DOMAIN VALIDATE / SET NOT NULL "
    "on an existing relation",
    statement_check=check,
)
