"""AD100: a statement PostgreSQL's grammar refuses.

Lint reads each statement with PostgreSQL's own parser (libpg_query, through
pglast), cut exactly where yoyo cuts the file. A statement the grammar
refuses, the server refuses too: the migration fails every time it runs, at
that statement. The same holds for a DO block whose PL/pgSQL body does not
parse, and for an SQL statement inside one. Nothing else in the refused
statement is checked. The grammar is PostgreSQL 18's, a superset of 15's for
migrations: syntax that only newer servers accept is not reported here. No
locks: the statement never runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for problem in ctx.source.syntax_errors:
        yield Hit(
            problem.line,
            f"PostgreSQL's grammar refuses this: {problem.message} (the server would refuse it "
            "too, so the migration fails here every time)",
            "fix the statement; check it with psql against a scratch database "
            "(yoyo sends each statement of the file as cut at its semicolons)",
            statement_line=problem.statement_line,
        )


RULE = Rule(
    "AD100",
    "syntax-error",
    "statement PostgreSQL's grammar refuses",
    file_check=check_file,
)
