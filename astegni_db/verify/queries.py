"""The application's queries (checks/queries/*.sql), checked against the live schema.

Each query is PREPAREd and immediately DEALLOCATEd, in one simple-protocol
round trip: PREPARE parses and analyses the statement against the catalog
(so a renamed column or an incompatible type fails) but never plans or runs
it, touches no rows and needs no privilege on the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlparse

from astegni_db.db import describe_db_error
from astegni_db.errors import ConfigError
from astegni_db.verify.findings import Finding

QUERIES_TABLE = "queries"  # the report group application queries belong to
_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s|%%")
_STATEMENT_NAME = "astegni_verify_query"


@dataclass(frozen=True)
class AppQuery:
    name: str  # file name, e.g. "tutor_sessions.sql"
    text: str  # psycopg style: %(tutor_id)s placeholders, %% for a literal %

    def as_prepare(self) -> str:
        """The text of PREPARE ... AS <query with $n>; DEALLOCATE ..."""
        numbers: dict[str, int] = {}

        def number(match: re.Match[str]) -> str:
            if match.group(0) == "%%":
                return "%"
            return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

        body = _NAMED_PARAMETER.sub(number, self.text).rstrip().rstrip(";")
        # The newline ends a trailing "--" comment before the statement separator.
        return f"PREPARE {_STATEMENT_NAME} AS {body}\n;\nDEALLOCATE {_STATEMENT_NAME}"


def load_queries(directory: Path) -> list[AppQuery]:
    if not directory.is_dir():
        raise ConfigError(f"queries directory not found: {directory}")
    queries = [
        AppQuery(name=path.name, text=path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.sql"))
    ]
    if not queries:
        raise ConfigError(f"no .sql files in queries directory {directory}")
    for query in queries:
        # PREPARE takes exactly one statement; anything after a ";" would run
        # as a statement of its own.
        statements = [
            s for s in sqlparse.split(query.text) if sqlparse.format(s, strip_comments=True).strip()
        ]
        if len(statements) != 1:
            raise ConfigError(
                f"{directory / query.name}: expected exactly one SQL statement, "
                f"found {len(statements)}"
            )
    return queries


def check_queries(conn: psycopg.Connection[Any], queries: list[AppQuery]) -> list[Finding]:
    findings = []
    expected = "prepares against the live schema"
    for query in queries:
        obj = f"query {query.name}"
        try:
            with conn.cursor() as cur:
                # No parameters, so psycopg uses the simple protocol and both
                # statements travel in one message.
                cur.execute(query.as_prepare().encode())
        except psycopg.OperationalError:
            raise  # the connection itself failed: not a finding about the query
        except psycopg.DatabaseError as exc:
            actual = describe_db_error(exc)
            findings.append(
                Finding(
                    QUERIES_TABLE,
                    obj,
                    "query",
                    expected,
                    actual,
                    "error",
                    f"{obj}: fails against the live schema: {actual}",
                )
            )
        else:
            findings.append(
                Finding(QUERIES_TABLE, obj, "query", expected, "prepared", "ok", f"{obj}: prepared")
            )
    return findings
