"""The application's queries, checked against the live schema.

Each query is PREPAREd and immediately DEALLOCATEd, in one simple-protocol
round trip: PREPARE parses and analyses the statement against the catalog
(so a renamed column or an incompatible type fails) but never plans or runs
it, touches no rows and needs no privilege on the tables. It does take the
locks a run of the query would (ACCESS SHARE on what it reads, ROW EXCLUSIVE
on what it writes), so it waits no longer than the session's lock_timeout
behind another session's stronger lock; then verify fails, naming who holds it.
"""

from __future__ import annotations

from typing import Any

import psycopg

from astegni_db.db import PREPARE_BLOCKING_MODES, describe_db_error, lock_wait_error
from astegni_db.project.queries import AppQuery
from astegni_db.sqltext import lex
from astegni_db.verify.findings import Finding

QUERIES_TABLE = "queries"  # the report group application queries belong to
_STATEMENT_NAME = "astegni_verify_query"


def prepare_and_deallocate(query: AppQuery) -> str:
    """The text of PREPARE ... AS <query with $n>; DEALLOCATE ..."""
    body = query.with_numbered_parameters().rstrip().rstrip(";")
    # The newline ends a trailing "--" comment before the statement separator.
    return f"PREPARE {_STATEMENT_NAME} AS {body}\n;\nDEALLOCATE {_STATEMENT_NAME}"


def check_queries(conn: psycopg.Connection[Any], queries: list[AppQuery]) -> list[Finding]:
    findings = []
    expected = "prepares against the live schema"
    for query in queries:
        obj = f"query {query.name}"
        try:
            with conn.cursor() as cur:
                # No parameters, so psycopg uses the simple protocol and both
                # statements travel in one message.
                cur.execute(prepare_and_deallocate(query).encode())
        except psycopg.errors.LockNotAvailable:
            raise lock_wait_error(
                conn,
                f"could not prepare {obj}",
                relations=_names_in(query),
                modes=PREPARE_BLOCKING_MODES,
            ) from None
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


def _names_in(query: AppQuery) -> list[str]:
    """Every name the query's text mentions: a superset of the tables it locks."""
    return sorted({t.name for t in lex(query.text).tokens if t.kind in ("word", "ident")})
