"""AD102: a CHECK or FOREIGN KEY added to existing rows is validated on the spot.

Without NOT VALID, ADD CONSTRAINT scans every row of the existing table
before the ALTER commits, holding its lock for the whole scan:

- CHECK: ACCESS EXCLUSIVE on the table: reads and writes wait.
- FOREIGN KEY: SHARE ROW EXCLUSIVE on the table and on the referenced table
  (PostgreSQL 15 adds triggers to both): reads of both go on, writes to both
  wait.

With NOT VALID the ALTER is catalog-only; VALIDATE CONSTRAINT, run later in
its own transaction, scans under SHARE UPDATE EXCLUSIVE (a foreign key: ROW
SHARE on the referenced table), which blocks no reads or writes. A CHECK or
REFERENCES written inline in ADD COLUMN cannot be NOT VALID, so it always
scans, under the ACCESS EXCLUSIVE the ADD COLUMN holds (and SHARE ROW
EXCLUSIVE on the referenced table).

ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID checks every column of that
domain in every table, holding SHARE on each such table for its scan (writes
wait, reads go on). PostgreSQL 15's ALTER DOMAIN ... VALIDATE CONSTRAINT
takes the same SHARE locks, so for a domain NOT VALID only moves the scan to
a moment you choose. The tables named are those the migrations read so far
give a column of the domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from astegni_db.lint import locks as modes
from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import (
    added_column,
    added_constraint,
    column_constraint,
    commands,
    last_name,
    relation,
)
from astegni_db.lint.rules.base import Hit, Rule, claims, domain_scan
from astegni_db.lint.statements import Statement

if TYPE_CHECKING:
    from pglast import ast

_SUGGESTION = (
    "ALTER TABLE {table} ADD CONSTRAINT {name} {kind} ... NOT VALID; then, in a later "
    "migration (its own transaction): ALTER TABLE {table} VALIDATE CONSTRAINT {name}"
)


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast

    if isinstance(statement.node, ast.AlterDomainStmt):
        yield from _domain(statement, statement.node, ctx)
        return
    table = ctx.existing_altered_table(statement)
    if table is None:
        return
    locks = ctx.locks(statement)
    for cmd, _ in commands(statement):
        constraint = added_constraint(cmd)
        if constraint is not None:
            hit = _added(statement, table, constraint, locks)
            if hit is not None:
                yield hit
            continue
        column = added_column(cmd)
        if column is not None:
            hit = _inline(statement, table, column, locks)
            if hit is not None:
                yield hit


def _added(
    statement: Statement, table: str, constraint: ast.Constraint, locks: modes.Locks
) -> Hit | None:
    from pglast import enums

    if constraint.skip_validation:
        return None
    label = f" {constraint.conname}" if constraint.conname else ""
    name = constraint.conname or "<name>"
    line = statement.line_at(constraint.location)
    if constraint.contype == enums.ConstrType.CONSTR_CHECK:
        return Hit(
            line,
            f"ADD CONSTRAINT{label} CHECK on the existing table {table} checks every row, "
            f"holding {_held(locks, table, None)}",
            _SUGGESTION.format(table=table, kind="CHECK", name=name),
            claims(locks, table),
        )
    if constraint.contype == enums.ConstrType.CONSTR_FOREIGN:
        referenced = relation(constraint.pktable)
        return Hit(
            line,
            f"ADD CONSTRAINT{label} FOREIGN KEY on the existing table {table} checks every "
            f"row, holding {_held(locks, table, referenced)}",
            _SUGGESTION.format(table=table, kind="FOREIGN KEY", name=name),
            claims(locks, table, referenced),
        )
    return None


def _inline(
    statement: Statement, table: str, column: ast.ColumnDef, locks: modes.Locks
) -> Hit | None:
    from pglast import enums

    kind = enums.ConstrType
    inline = column_constraint(column, kind.CONSTR_CHECK, kind.CONSTR_FOREIGN)
    if inline is None:
        return None
    check = inline.contype == kind.CONSTR_CHECK
    referenced = None if check else relation(inline.pktable)
    return Hit(
        statement.line_at(inline.location),
        f"ADD COLUMN {table}.{column.colname} with an inline "
        f"{'CHECK' if check else 'REFERENCES'} validates it against every row (an inline "
        f"constraint cannot be NOT VALID), holding {_held(locks, table, referenced)}",
        "add the column bare, then "
        + _SUGGESTION.format(table=table, kind="CHECK" if check else "FOREIGN KEY", name="<name>"),
        claims(locks, table, referenced),
    )


def _domain(statement: Statement, node: ast.AlterDomainStmt, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    constraint = node.def_
    if node.subtype != "C" or not isinstance(constraint, ast.Constraint):
        return
    if constraint.contype != enums.ConstrType.CONSTR_CHECK or constraint.skip_validation:
        return
    scan = domain_scan(statement, ctx, last_name(node.typeName))
    if scan is None:
        return
    domain, used_by = scan.domain, scan.used_by
    name = constraint.conname or "<name>"
    yield Hit(
        statement.line_at(constraint.location),
        f"ALTER DOMAIN {domain} ADD CONSTRAINT checks every column of type {domain} in every "
        f"table{used_by}, holding SHARE on each table while it scans it: writes wait, reads "
        "go on",
        f"ALTER DOMAIN {domain} ADD CONSTRAINT {name} CHECK (...) NOT VALID (catalog-only; "
        "new and updated values are checked from then on) and check the existing values "
        f"with a query; VALIDATE CONSTRAINT {name} also holds SHARE on those tables for its "
        "scan on PostgreSQL 15, so run it only at a quiet time",
        claims(scan.locks, *scan.tables),
    )


def _held(locks: modes.Locks, table: str, referenced: str | None) -> str:
    """ "SHARE ROW EXCLUSIVE on t and on users for the whole scan: writes to both wait..."."""
    mode = locks[table]
    other = locks.get(referenced or "")
    if referenced is None or referenced == table or other is None:
        return f"{mode} on {table} for the whole scan: {modes.who_waits(mode)}"
    if other == mode:
        both = (
            "reads and writes of both wait"
            if modes.blocks_reads(mode)
            else "writes to both wait, reads go on"
        )
        return f"{mode} on {table} and on {referenced} for the whole scan: {both}"
    return (
        f"{mode} on {table} ({modes.who_waits(mode)}) and {other} on {referenced} "
        f"({modes.who_waits(other)}) for the whole scan"
    )


RULE = Rule(
    "AD102",
    "constraint-not-valid",
    "CHECK or FOREIGN KEY added to an existing table (or domain) without NOT VALID",
    statement_check=check,
)
