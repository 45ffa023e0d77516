"""The application's queries (checks/queries/*.sql): what the app sends, as files.

verify prepares each against the live schema; lint reads which tables and
columns they use. One statement per file, psycopg style: ``%(name)s``
placeholders and ``%%`` for a literal ``%``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from astegni_db.errors import ConfigError

_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s|%%")


class AppQuery(NamedTuple):
    name: str  # file name, e.g. "tutor_sessions.sql"
    path: Path
    text: str

    def with_numbered_parameters(self) -> str:
        """The text with ``$1, $2 ...`` for its named parameters, as PREPARE wants it."""
        numbers: dict[str, int] = {}

        def number(match: re.Match[str]) -> str:
            if match.group(0) == "%%":
                return "%"
            return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

        return _NAMED_PARAMETER.sub(number, self.text)


def load_queries(directory: Path) -> list[AppQuery]:
    if not directory.is_dir():
        raise ConfigError(f"queries directory not found: {directory}")
    queries = []
    for path in sorted(directory.glob("*.sql")):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        queries.append(AppQuery(name=path.name, path=path, text=text))
    if not queries:
        raise ConfigError(f"no .sql files in queries directory {directory}")
    for query in queries:
        _require_one_statement(query)
    return queries


def _require_one_statement(query: AppQuery) -> None:
    """PREPARE takes exactly one statement; anything after a ";" would run on its own."""
    from astegni_db.sqltext import lex, split_on_semicolons

    found = len(list(split_on_semicolons(lex(query.text).tokens)))
    if found != 1:
        raise ConfigError(f"{query.path}: expected exactly one SQL statement, found {found}")
