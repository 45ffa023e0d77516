"""The one loader of astegni-db's SQL: every catalog and bookkeeping query is a file
in ``astegni_db/sql/`` that can be pasted into psql (with its parameters filled in).

Only session settings (``set_config``) and single function calls stay inline.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def load(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
