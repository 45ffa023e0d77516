"""Catalog SQL kept as .sql files beside the code, loaded once."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    return resources.files("astegni_db").joinpath("sql", f"{name}.sql").read_text("utf-8")
