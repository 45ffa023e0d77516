"""AD101: ADD COLUMN whose value must be computed row by row rewrites the whole table.

Since PostgreSQL 11 a non-volatile default (a constant, now(), CURRENT_TIMESTAMP,
lower('X'), a STABLE or IMMUTABLE function) is evaluated once and stored in
the catalog: no rewrite. A default calling a volatile function (random(),
gen_random_uuid(), clock_timestamp(), timeofday(), nextval() and so a serial
type), an identity column and a stored generated column are computed for
every existing row: the table is rewritten while ADD COLUMN holds ACCESS
EXCLUSIVE on it, so reads and writes wait for the whole rewrite.

A function counts as volatile unless it is known to be IMMUTABLE or STABLE:
PostgreSQL 15's built-in functions are known exactly (astegni_db/lint/volatility.py,
from pg_proc; a name whose overloads differ counts as volatile), and a function
created by an earlier migration, or earlier in the same file, as its CREATE
[OR REPLACE] FUNCTION or ALTER FUNCTION declared it (VOLATILE when it says
nothing, as PostgreSQL defaults). Any other function is reported: lint cannot
see its volatility. Tables created by the same migration are empty and exempt.
Locks: ACCESS EXCLUSIVE on the table.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import added_column, column_constraint, commands
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement
from astegni_db.lint.types import SERIAL_TYPES, sql_type
from astegni_db.lint.volatility import volatile_call

_REWRITE = "the whole table is rewritten under ACCESS EXCLUSIVE, blocking every read and write"


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import enums

    table = ctx.existing_altered_table(statement)
    if table is None:
        return
    locks = claims(ctx.locks(statement), table)
    kind = enums.ConstrType
    for cmd, _ in commands(statement):
        column = added_column(cmd)
        if column is None:
            continue
        name = column.colname or "?"
        where = f"{table}.{name}"
        line = statement.line_at(column.location)
        column_type = sql_type(column.typeName)
        default = column_constraint(column, kind.CONSTR_DEFAULT)
        called = (
            volatile_call(default.raw_expr, ctx.history.declared_volatilities())
            if default is not None
            else None
        )
        if called is not None:
            function, why = called
            what = (
                f"the volatile default {function}()"
                if why == "volatile"
                else f"the default {function}(), a function not known to be IMMUTABLE or STABLE "
                "(PostgreSQL treats a function as VOLATILE unless it is declared otherwise)"
            )
            yield Hit(
                line,
                f"ADD COLUMN {where} with {what} computes a value for every existing row: "
                f"{_REWRITE} until it finishes",
                "add the column without a default (or with a constant one), backfill existing "
                f"rows in small batches, then ALTER COLUMN {name} SET DEFAULT {function}(...) "
                "for new rows",
                locks,
            )
        elif column_type is not None and column_type.base in SERIAL_TYPES:
            yield Hit(
                line,
                f"ADD COLUMN {where} {column_type.base} draws nextval() for every existing row: "
                f"{_REWRITE}",
                "add a plain integer/bigint column, create and attach the sequence, backfill "
                "in batches, then SET DEFAULT nextval(...) (or ADD GENERATED ... AS IDENTITY)",
                locks,
            )
        elif column_constraint(column, kind.CONSTR_IDENTITY) is not None:
            yield Hit(
                line,
                f"ADD COLUMN {where} GENERATED ... AS IDENTITY draws nextval() for every "
                f"existing row: {_REWRITE}",
                "add a plain integer/bigint column, create and attach the sequence, backfill "
                "in batches, then SET DEFAULT nextval(...) (or ADD GENERATED ... AS IDENTITY)",
                locks,
            )
        elif column_constraint(column, kind.CONSTR_GENERATED) is not None:
            yield Hit(
                line,
                f"ADD COLUMN {where} GENERATED ... STORED computes the value for every "
                f"existing row: {_REWRITE}",
                "compute it at read time (a view or an expression index), or add a plain "
                "column, backfill in batches and keep it current with a trigger",
                locks,
            )


RULE = Rule(
    "AD101",
    "volatile-default",
    "ADD COLUMN with a volatile default, serial, identity or stored generated column",
    statement_check=check,
)
