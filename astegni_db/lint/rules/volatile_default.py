"""AD101: ADD COLUMN whose value must be computed row by row rewrites the whole table.

Since PostgreSQL 11 a non-volatile default (a constant, now(), CURRENT_TIMESTAMP,
statement_timestamp()) is evaluated once and stored in the catalog: no rewrite.
A volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()
and so a serial type), an identity column and a stored generated column are
computed for every existing row: the table is rewritten under ACCESS EXCLUSIVE.
Functions we cannot see the volatility of are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint import ddl
from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule
from astegni_db.lint.statements import Statement
from astegni_db.sqltext import Token, has_sequence

VOLATILE_FUNCTIONS = frozenset(
    {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
     "clock_timestamp", "timeofday", "nextval", "txid_current", "pg_current_xact_id",
     "random_normal"}
)  # fmt: skip
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})


def _volatile_call(tokens: list[Token]) -> str | None:
    for i, token in enumerate(tokens[:-1]):
        if token.kind == "word" and token.name in VOLATILE_FUNCTIONS and tokens[i + 1].text == "(":
            return token.name
    return None


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    altered = ddl.alter_table(statement.tokens)
    if altered is None or not ctx.is_existing(altered.table):
        return
    for action in altered.actions:
        column = ddl.added_column(action)
        if column is None:
            continue
        where = f"{altered.table}.{column.name}"
        type_name = " ".join(t.name for t in column.type_tokens)
        default_at = has_sequence(column.rest, "DEFAULT")
        function = _volatile_call(column.rest[default_at:]) if default_at is not None else None
        if function is not None:
            yield Hit(
                column.line,
                f"ADD COLUMN {where} with the volatile default {function}() computes a value "
                "for every existing row: the whole table is rewritten under ACCESS EXCLUSIVE, "
                "blocking every read and write until it finishes",
                "add the column without a default (or with a constant one), backfill existing "
                f"rows in small batches, then ALTER COLUMN {column.name} SET DEFAULT "
                f"{function}() for new rows",
            )
        elif type_name in SERIAL_TYPES or has_sequence(column.rest, "AS", "IDENTITY") is not None:
            yield Hit(
                column.line,
                f"ADD COLUMN {where} {type_name or 'GENERATED ... AS IDENTITY'} draws nextval() "
                "for every existing row: the whole table is rewritten under ACCESS EXCLUSIVE",
                "add a plain integer/bigint column, create and attach the sequence, backfill "
                "in batches, then SET DEFAULT nextval(...) (or ADD GENERATED ... AS IDENTITY)",
            )
        elif has_sequence(column.rest, "STORED") is not None:
            yield Hit(
                column.line,
                f"ADD COLUMN {where} GENERATED ... STORED computes the value for every "
                "existing row: the whole table is rewritten under ACCESS EXCLUSIVE",
                "compute it at read time (a view or an expression index), or add a plain "
                "column, backfill in batches and keep it current with a trigger",
            )


RULE = Rule(
    "AD101",
    "volatile-default",
    "ADD COLUMN with a volatile default, serial, identity or stored generated column",
    statement_check=check,
)
