"""What every disposable-server backend hands back: a superuser URL and a way to stop."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from astegni_db.errors import ConfigError


class BackendUnavailable(ConfigError):
    """The requested way of getting a throwaway server cannot work on this machine."""


@dataclass(frozen=True)
class Server:
    """A running PostgreSQL server that the caller may create and drop databases on.

    ``url`` is a ``postgresql://`` URL for a role allowed to CREATE DATABASE,
    pointing at the maintenance database (usually ``postgres``).
    """

    url: str
    backend: str
    # What was started for this server and must be gone afterwards: a cluster
    # directory or a container id (None for the url backend, which starts nothing).
    resource: str | None = None

    def url_for(self, dbname: str) -> str:
        """The same credentials and host, pointed at another database."""
        return replace_dbname(self.url, dbname)


def plain_postgresql_url(url: str) -> str:
    """Normalise ``postgres://`` and ``postgresql+driver://`` to what psycopg accepts."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"not a PostgreSQL URL (scheme {parts.scheme!r}); expected postgresql://")
    return urlunsplit(parts._replace(scheme="postgresql"))


def replace_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(plain_postgresql_url(url))
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


def dbname_of(url: str) -> str:
    from urllib.parse import unquote

    path = urlsplit(url).path.lstrip("/")
    return unquote(path) or "postgres"
