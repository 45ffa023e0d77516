"""Configuration, resolved once at the edge: which database, where the project's files are.

The CLI and the pytest plugin turn flags, the environment and ``.env`` into
one :class:`DatabaseTarget`; library code takes only that value. Nothing here
connects to a database or starts a server: when no URL is configured,
:func:`configured_target` says so (``None``) and the edge decides whether the
local dev database may stand in (never under CI, see :func:`running_under_ci`).

The password lives only inside :class:`DatabaseTarget`; everything printed
goes through :attr:`DatabaseTarget.redacted`, :func:`redact_url` or :func:`scrub`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from astegni_db.errors import ConfigError

# The project's files, relative to where astegni-db runs (flags override them).
DEFAULT_MIGRATIONS_DIR = Path("migrations")
DEFAULT_SPEC = Path("checks/schema.toml")
DEFAULT_QUERIES = Path("checks/queries")
MIGRATIONS_DIR_ENV = "ASTEGNI_DB_MIGRATIONS_DIR"

# Timeouts. An unreachable host must answer in bounded time; a migration waits
# this long for another astegni-db run; one DDL attempt waits at most
# DDL_LOCK_TIMEOUT_MS for a table lock (long enough for a busy OLTP table's
# millisecond transactions, short enough that queries queued behind the ALTER
# barely notice), then backs off and retries.
DEFAULT_CONNECT_TIMEOUT_S = 10
DEFAULT_LOCK_TIMEOUT_S = 30.0
DEFAULT_DDL_LOCK_TIMEOUT_MS = 200
DEFAULT_DDL_RETRIES = 10

# postgresql+psycopg is what yoyo needs to pick its psycopg 3 backend; the
# other two are what libpq, dbmate and Heroku-style settings hand out.
ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
REDACTED = "***"
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
# Every password seen while parsing URLs in this process; the CLI edge scrubs
# them from any message, including ones raised before a target exists.
KNOWN_SECRETS: set[str] = set()
# CI=false and friends switch CI off explicitly; any other value means CI
# (GitLab, GitHub and most others say "true", some say "1" or their own name).
_NOT_CI = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class DatabaseTarget:
    """A validated database URL, where it came from, and how long to wait for it."""

    url: str = field(repr=False)  # libpq form (postgresql://), password included
    source: str  # "--database-url", "DATABASE_URL", ".env", "dev database", ...
    secrets: tuple[str, ...] = field(default=(), repr=False)
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S  # seconds

    @property
    def redacted(self) -> str:
        return redact_url(self.url)

    @property
    def dbname(self) -> str:
        return dbname_of(self.url, default="(default)")

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)


def parse_database_url(
    raw: str, source: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S
) -> DatabaseTarget:
    """Validate ``raw`` and normalise its scheme to ``postgresql://``."""
    raw = raw.strip()
    if not raw:
        raise ConfigError(f"the database URL from {source} is empty")
    if "://" not in raw:
        raise ConfigError(
            f"invalid database URL from {source}: expected postgresql://USER:PASSWORD@HOST:PORT/DB"
        )
    scheme, rest = raw.split("://", 1)
    secrets = _secrets_in(raw)
    _refuse_unencoded_userinfo(rest, source)
    if scheme.lower() not in ACCEPTED_SCHEMES:
        raise ConfigError(
            f"unsupported URL scheme {scheme.lower()!r} from {source}: "
            "use postgresql://, postgres:// or postgresql+psycopg://"
        )
    url = "postgresql://" + rest
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ConfigError(
            f"invalid database URL from {source}: {scrub(str(exc), secrets)}"
        ) from None
    if parts.fragment:
        raise ConfigError(f"invalid database URL from {source}: unexpected '#' fragment")
    return DatabaseTarget(url=url, source=source, secrets=secrets, connect_timeout=connect_timeout)


def _refuse_unencoded_userinfo(rest: str, source: str) -> None:
    """Refuse a URL whose password (or user name) holds an unencoded ``@ / ? #``.

    Such a URL has no single meaning: libpq ends the user info at the first
    ``@`` (looking past a ``?``), Python's parser at the last, and a ``/``,
    ``?`` or ``#`` in the password ends the host part early, so the rest of
    the password lands in a port, host or database name that error messages
    print. The URL is refused with a message that quotes none of it. ``@`` in
    a query parameter stays allowed where both parsers agree: after a ``/``.
    """
    host_part_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    host_part, after = rest[:host_part_end], rest[host_part_end:]
    if host_part.count("@") == 1:
        return  # the user info is delimited, and both parsers read it alike
    path = after.split("?", 1)[0].split("#", 1)[0]
    fragment = after.split("#", 1)[1] if "#" in after else ""
    ambiguous = (
        host_part.count("@") > 1
        or "@" in path
        or "@" in fragment
        or (after.startswith("?") and "@" in after)
    )
    if ambiguous:
        raise ConfigError(
            f"invalid database URL from {source}: an '@', '/', '?' or '#' in the user name "
            "or password must be percent-encoded (%40, %2F, %3F, %23), and so must an '@' "
            "in the database name"
        )


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


def scrub_known_secrets(text: str) -> str:
    """``text`` without any password this process has parsed (the last line of defence)."""
    return scrub(text, tuple(sorted(KNOWN_SECRETS, key=len, reverse=True)))


def dbname_of(url: str, *, default: str = "postgres") -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or default


def with_dbname(url: str, dbname: str) -> str:
    """``url`` pointed at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


def without_password(url: str) -> tuple[str, str | None]:
    """``url`` minus the password in its user info, and that password (for PGPASSWORD)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{parts.username or ''}@{host}"
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def running_under_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``CI`` is set to anything but an explicit no (false, 0, no, off)."""
    env = os.environ if environ is None else environ
    return env.get("CI", "").strip().lower() not in _NOT_CI


def configured_target(
    flag_url: str | None,
    *,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> DatabaseTarget | None:
    """The configured database: ``--database-url`` > ``DATABASE_URL`` > ``./.env``.

    None when none of them names one; the caller then decides whether the dev
    database may be used (:func:`require_dev_database_allowed`).
    """
    env = os.environ if environ is None else environ
    if flag_url is not None:
        return parse_database_url(flag_url, "--database-url", connect_timeout=connect_timeout)
    if env.get("DATABASE_URL"):
        return parse_database_url(
            env["DATABASE_URL"], "DATABASE_URL", connect_timeout=connect_timeout
        )
    dotenv_path = (cwd or Path.cwd()) / ".env"
    if dotenv_path.is_file():
        from dotenv import dotenv_values

        value = dotenv_values(dotenv_path).get("DATABASE_URL")
        if value:
            return parse_database_url(value, ".env", connect_timeout=connect_timeout)
    return None


def require_dev_database_allowed(environ: Mapping[str, str] | None = None) -> None:
    """Refuse the local dev database under CI: a pipeline that lost its URL must fail,
    not quietly migrate a throwaway server."""
    env = os.environ if environ is None else environ
    if running_under_ci(env):
        raise ConfigError(
            "no database URL: pass --database-url or set DATABASE_URL "
            f"(the local dev database is never used when CI={env.get('CI', '').strip()})"
        )
