"""The questions a plan asks of the data, each one bounded.

Whether a column holds values decides between an automated step and a manual
procedure; whether rows violate a constraint decides whether its validation
can be written. Each question is one read-only query under a statement
timeout: on a table too big to answer in time the answer is None (unknown),
and the planner then takes the careful branch. Counts stop at ``COUNT_CAP``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from astegni_db.verify.catalog import LiveTable, read_catalog

COUNT_CAP = 100_000
DEFAULT_PROBE_TIMEOUT_S = 5.0


class DataProbe:
    def __init__(
        self, conn: psycopg.Connection[Any], timeout_s: float = DEFAULT_PROBE_TIMEOUT_S
    ) -> None:
        self.conn = conn
        self.timeout_ms = max(1, int(timeout_s * 1000))
        self._keywords: set[str] | None = None
        self._taken: set[str] = set()

    # -- names --------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """``name`` as SQL: bare when PostgreSQL's quote_ident would leave it bare."""
        if self._keywords is None:
            rows = self.conn.execute(
                "SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'"
            ).fetchall()
            self._keywords = {row[0] for row in rows}
        plain = name.isidentifier() and name == name.lower() and name.isascii()
        if plain and name not in self._keywords:
            return name
        return '"' + name.replace('"', '""') + '"'

    def name_taken(self, name: str) -> bool:
        """A relation or constraint of that name exists (or this plan already took it)."""
        if name in self._taken:
            return True
        row = self.conn.execute(
            "SELECT to_regclass(quote_ident(%(n)s)) IS NOT NULL"
            " OR EXISTS (SELECT FROM pg_constraint WHERE conname = %(n)s"
            "            AND connamespace = ANY (current_schemas(false)::regnamespace[]))",
            {"n": name},
        ).fetchone()
        return bool(row and row[0])

    def take(self, name: str) -> None:
        self._taken.add(name)

    def describe(self, table: str) -> LiveTable | None:
        found = read_catalog(self.conn, [table]).relations.get(table)
        return found if found is not None and found.is_table else None

    # -- data -----------------------------------------------------------------------

    def _ask(self, query: sql.Composed) -> Any:
        """The first column of the first row, or None when the timeout ends the query."""
        try:
            with self.conn.transaction():
                self.conn.execute(
                    "SELECT set_config('statement_timeout', %s, true)", (str(self.timeout_ms),)
                )
                row = self.conn.execute(query).fetchone()
        except (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable):
            return None
        return None if row is None else row[0]

    def _count(self, query: sql.Composed) -> int | None:
        answer = self._ask(query)
        return None if answer is None else int(answer)

    def _exists(self, query: sql.Composed) -> bool | None:
        answer = self._ask(query)
        return None if answer is None else bool(answer)

    def rows(self, table: str) -> int | None:
        return self._count(
            sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT {}) AS capped").format(
                sql.Identifier(table), sql.Literal(COUNT_CAP + 1)
            )
        )

    def values(self, table: str, column: str) -> int | None:
        """Rows in which ``column`` is not NULL (capped)."""
        return self._count(
            sql.SQL(
                "SELECT count(*) FROM (SELECT FROM {} WHERE {} IS NOT NULL LIMIT {}) AS capped"
            ).format(sql.Identifier(table), sql.Identifier(column), sql.Literal(COUNT_CAP + 1))
        )

    def has_nulls(self, table: str, column: str) -> bool | None:
        return self._exists(
            sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE {} IS NULL)").format(
                sql.Identifier(table), sql.Identifier(column)
            )
        )

    def violates(self, table: str, expression: str) -> bool | None:
        """Some row makes the CHECK expression false (NULL passes a CHECK)."""
        return self._exists(
            sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE ({}) IS FALSE)").format(
                sql.Identifier(table),
                sql.SQL(expression),  # the spec's own SQL text
            )
        )

    def has_orphans(
        self,
        table: str,
        columns: Sequence[str],
        references: str,
        referenced_columns: Sequence[str],
    ) -> bool | None:
        """Some row's key (all columns non-NULL, MATCH SIMPLE) has no referenced row."""
        own = [sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns]
        pairs = [
            sql.SQL("r.{} = t.{}").format(sql.Identifier(r), sql.Identifier(c))
            for c, r in zip(columns, referenced_columns, strict=True)
        ]
        return self._exists(
            sql.SQL(
                "SELECT EXISTS (SELECT FROM {} AS t WHERE {} AND NOT EXISTS"
                " (SELECT FROM {} AS r WHERE {}))"
            ).format(
                sql.Identifier(table),
                sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in own),
                sql.SQL(references),  # as regclass prints it: already SQL
                sql.SQL(" AND ").join(pairs),
            )
        )

    def has_duplicates(self, table: str, columns: Sequence[str]) -> bool | None:
        keys = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        return self._exists(
            sql.SQL(
                "SELECT EXISTS (SELECT FROM {} WHERE ({}) IS NOT NULL"
                " GROUP BY {} HAVING count(*) > 1)"
            ).format(sql.Identifier(table), keys, keys)
        )
