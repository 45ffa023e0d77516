"""The read-only connection verify and inspect use (their own: never yoyo's backend)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from astegni_db.errors import ConfigError, ConnectionFailed

CONNECT_TIMEOUT_SECONDS = 10


def libpq_url(database_url: str) -> str:
    """libpq spelling of a URL: SQLAlchemy/yoyo's ``postgresql+psycopg://`` loses its driver."""
    scheme, sep, rest = database_url.partition("://")
    if sep and "+" in scheme:
        return f"{scheme.split('+', 1)[0]}://{rest}"
    return database_url


def redact(database_url: str) -> str:
    try:
        parts = urlsplit(database_url)
    except ValueError:
        return "<unparsable database URL>"
    if parts.password is None:
        return database_url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0] + ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{netloc[1]}"))


def connect_read_only(database_url: str, application_name: str) -> psycopg.Connection[Any]:
    url = libpq_url(database_url)
    try:
        # Every transaction read-only: verify cannot change anything even if a
        # query file tried to.
        return psycopg.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=application_name,
            options="-c default_transaction_read_only=on",
        )
    except psycopg.ProgrammingError:
        # libpq could not parse the URL; its message may quote it, password included.
        raise ConfigError(f"invalid database URL: {redact(url)}") from None
    except psycopg.Error as exc:
        raise ConnectionFailed(f"cannot connect to {redact(url)}: {_reason(exc, url)}") from None


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _reason(exc: Exception, url: str) -> str:
    reason = first_line(exc)
    password = urlsplit(url).password
    return reason.replace(password, "***") if password else reason
