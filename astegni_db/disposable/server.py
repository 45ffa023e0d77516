"""What every disposable-server backend hands back: a superuser URL and a way to stop."""

from __future__ import annotations

from dataclasses import dataclass

from astegni_db.errors import ConfigError
from astegni_db.settings import DatabaseTarget, parse_database_url, with_dbname


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
        return with_dbname(self.url, dbname)

    def target(self, dbname: str | None = None) -> DatabaseTarget:
        """The server (or one of its databases) as a target for astegni-db's own verbs."""
        url = self.url if dbname is None else self.url_for(dbname)
        return parse_database_url(url, f"the {self.backend} throwaway server")
