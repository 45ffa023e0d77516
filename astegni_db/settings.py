"""Which database to talk to, resolved once: flag > environment > .env > dev database.

The password lives only inside :class:`DatabaseTarget`; everything that is
printed goes through :meth:`DatabaseTarget.redacted` or :func:`scrub`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from astegni_db.errors import ConfigError

# postgresql+psycopg is what yoyo needs to pick its psycopg 3 backend; the
# other two are what libpq, dbmate and Heroku-style settings hand out.
ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
REDACTED = "***"
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
# Every password seen while parsing URLs in this process; the CLI edge scrubs
# them from any message, including ones raised before a target exists.
KNOWN_SECRETS: set[str] = set()


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed, validated database URL and where it came from."""

    url: str = field(repr=False)  # libpq form (postgresql://), password included
    source: str  # "--database-url", "DATABASE_URL", ".env" or "dev database"
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def redacted(self) -> str:
        return redact_url(self.url)

    @property
    def yoyo_url(self) -> str:
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    @property
    def dbname(self) -> str:
        path = urlsplit(self.url).path.lstrip("/")
        return unquote(path) or "(default)"

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)


def parse_database_url(raw: str, source: str) -> DatabaseTarget:
    """Validate ``raw`` and normalise its scheme to ``postgresql://``."""
    raw = raw.strip()
    if not raw:
        raise ConfigError(f"the database URL from {source} is empty")
    if "://" not in raw:
        raise ConfigError(
            f"invalid database URL from {source}: expected postgresql://USER:PASSWORD@HOST:PORT/DB"
        )
    scheme = raw.split("://", 1)[0].lower()
    secrets = _secrets_in(raw)
    if scheme not in ACCEPTED_SCHEMES:
        raise ConfigError(
            f"unsupported URL scheme {scheme!r} from {source}: "
            "use postgresql://, postgres:// or postgresql+psycopg://"
        )
    try:
        parts = urlsplit("postgresql://" + raw.split("://", 1)[1])
        parts.port  # noqa: B018 - raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        reason = scrub(str(exc), secrets)
        raise ConfigError(f"invalid database URL from {source}: {reason}") from None
    if parts.fragment:
        raise ConfigError(f"invalid database URL from {source}: unexpected '#' fragment")
    url = "postgresql://" + raw.split("://", 1)[1]
    return DatabaseTarget(url=url, source=source, secrets=secrets)


def _secrets_in(raw: str) -> tuple[str, ...]:
    """Every spelling of the password in ``raw`` that could end up in a message."""
    found: set[str] = set()
    rest = raw.split("://", 1)[-1]
    netloc, _, tail = rest.partition("/")
    userinfo = netloc.rpartition("@")[0]
    if ":" in userinfo:
        found.add(userinfo.split(":", 1)[1])
    query = tail.partition("?")[2] if "?" in tail else rest.partition("?")[2]
    for key, value in parse_qsl(query.partition("#")[0], keep_blank_values=True):
        if key.lower() == "password":
            found.add(value)
    spellings = {s for secret in found if secret for s in (secret, unquote(secret), quote(secret))}
    KNOWN_SECRETS.update(spellings)
    # Longest first, so a password that contains another is replaced whole.
    return tuple(sorted(spellings, key=len, reverse=True))


def redact_url(url: str) -> str:
    """The URL with its password (in user info or ``password=``) replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(unparseable URL)"
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            netloc = userinfo.split(":", 1)[0] + ":" + REDACTED + "@" + hostport
    tail = _QUERY_PASSWORD.sub(lambda m: m.group(1) + REDACTED, tail)
    return f"{scheme}://{netloc}{slash}{tail}"


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def resolve_target(
    flag_url: str | None,
    *,
    environ: dict[str, str] | None = None,
    cwd: Path | None = None,
    allow_dev_database: bool = True,
) -> DatabaseTarget:
    """Pick the database: ``--database-url`` > ``DATABASE_URL`` > ``.env`` > dev database.

    The dev database is never chosen under ``CI=true``: a pipeline that lost its
    URL must fail, not quietly migrate a throwaway server.
    """
    env = os.environ if environ is None else environ
    if flag_url is not None:
        return parse_database_url(flag_url, "--database-url")
    if env.get("DATABASE_URL"):
        return parse_database_url(env["DATABASE_URL"], "DATABASE_URL")
    dotenv_path = (cwd or Path.cwd()) / ".env"
    if dotenv_path.is_file():
        from dotenv import dotenv_values

        value = dotenv_values(dotenv_path).get("DATABASE_URL")
        if value:
            return parse_database_url(value, ".env")
    if _truthy(env.get("CI")):
        raise ConfigError(
            "no database URL: pass --database-url or set DATABASE_URL "
            "(the local dev database is never used when CI=true)"
        )
    if not allow_dev_database:
        raise ConfigError("no database URL: pass --database-url or set DATABASE_URL")
    from astegni_db import devdb

    return parse_database_url(devdb.start(), "dev database")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}
