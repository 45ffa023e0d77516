"""Configuration, resolved once at the edge: which database, where the project's files are.

The CLI and the pytest plugin turn flags, the environment and ``.env`` into
one :class:`DatabaseTarget`; library code takes only that value. Nothing here
connects to a database or starts a server: when no URL is configured,
:func:`configured_target` says so (``None``) and the edge decides whether the
local dev database may stand in (never under CI, see :func:`running_under_ci`).

The password lives only inside :class:`DatabaseTarget`. Everything the program
prints goes through one redactor, :func:`redact` (``DatabaseTarget.redacted``,
``DatabaseTarget.scrub`` and :func:`redact_url` are that function applied to a
URL or a message). It hides every spelling of every password this run has
seen, and the user info of any URL in the text, whether it parses or not.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
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
# Where a URL names its password, whatever the password holds: the user info
# of any scheme://user:...@ up to the last '@' of the whitespace-free run (so
# an unencoded '@', '/', '?' or '#' in the password is hidden with it), and a
# password= parameter (a URL's query, &amp; in XML, a libpq key=value string,
# where a value with spaces is quoted: 'a b', unclosed or not).
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^\s:/@]*):\S*@")
_PASSWORD_PARAMETER = re.compile(
    r"(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^&#\s]*)", re.IGNORECASE
)
# Every spelling of every password seen in this run (the CLI forgets them when
# a run starts): the URLs parsed, --database-url, DATABASE_URL, .env and
# ASTEGNI_DB_TEST_URL. Hidden from any text, even one raised before a target exists.
KNOWN_SECRETS: set[str] = set()
# Where the CLI looks for passwords before it parses anything (see remember_configured_secrets),
# besides every other variable named *_URL that holds a URL.
SECRET_ENV_VARS = ("DATABASE_URL", "ASTEGNI_DB_TEST_URL")
# How each character a password may hold is written in a URL.
ENCODE_HINT = "'@' is %40, '/' %2F, '?' %3F, '#' %23, '%' %25, '[' %5B, ']' %5D, a space %20"
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
        """The URL as it may be printed."""
        return redact(self.url, self.secrets)

    @property
    def dbname(self) -> str:
        return dbname_of(self.url, default="(default)")

    def scrub(self, text: str) -> str:
        """A message (a driver's, say) as it may be printed."""
        return redact(text, self.secrets)


def parse_database_url(
    raw: str, source: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S
) -> DatabaseTarget:
    """Validate ``raw`` and normalise its scheme to ``postgresql://``.

    A URL that is refused is described by where it went wrong, never quoted:
    a password pasted unencoded would otherwise be printed, whole or in part.
    """
    raw = raw.strip()
    if not raw:
        raise ConfigError(f"the database URL from {source} is empty")
    if "://" not in raw:
        raise ConfigError(
            f"invalid database URL from {source}: expected postgresql://USER:PASSWORD@HOST:PORT/DB"
        )
    scheme, rest = raw.split("://", 1)
    secrets = remember_secrets(raw)
    problem = url_problem(rest)
    if problem is not None:
        raise ConfigError(f"invalid database URL from {source}: {problem}")
    if scheme.lower() not in ACCEPTED_SCHEMES:
        raise ConfigError(
            f"unsupported URL scheme {scheme.lower()!r} from {source}: "
            "use postgresql://, postgres:// or postgresql+psycopg://"
        )
    return DatabaseTarget(
        url="postgresql://" + rest, source=source, secrets=secrets, connect_timeout=connect_timeout
    )


def url_problem(rest: str) -> str | None:
    """Where the URL after ``scheme://`` goes wrong, in words that quote none of it; None if fine.

    The user info must have one meaning. libpq ends it at the first ``@``
    (looking past a ``?``), Python's parser at the last ``@`` before the
    first ``/ ? #``, and a person at the ``@`` before the host; an unencoded
    ``@ / ? #`` in the password makes them disagree, and the rest of the
    password lands in a host, port or database name that error messages
    print. An ``@`` stays allowed in a database name when the URL holds no
    password, and after a ``/`` in a query parameter's value.

    A query must be ``key=value&...`` with plain keys, and no second ``?``:
    libpq quotes a parameter it cannot read in its error, and a password's
    tail after an unencoded ``?`` (``u:?pw@host``, or ``u:?pw`` cut short by
    a line break in .env) reads as one.
    """
    if not _utf8_text(rest):
        return (
            "it holds bytes that are not UTF-8 text, raw or percent-encoded (%XX): "
            "psycopg reads every part of a URL as UTF-8"
        )
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, after = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    who = "password" if ":" in (userinfo if at else authority) else "user name"
    path = after.split("?", 1)[0].split("#", 1)[0]
    fragment = after.split("#", 1)[1] if "#" in after else ""
    query = after.split("#", 1)[0].partition("?")[2]
    if authority.count("@") > 1:
        return f"the {who} holds an unencoded '@'; it must be percent-encoded ({ENCODE_HINT})"
    if not at and ("@" in path or "@" in fragment or (after.startswith("?") and "@" in after)):
        return (
            f"the {who} holds an unencoded '{rest[end]}' (or the database name an unencoded "
            f"'@'); it must be percent-encoded ({ENCODE_HINT})"
        )
    if query and not _plain_parameters(query):
        return (
            "the query is not key=value&...: a parameter holds an unencoded '?', '&' or '%', "
            f"or the password an unencoded '?'; it must be percent-encoded ({ENCODE_HINT})"
        )
    if at and ":" in userinfo and "@" in after:
        return (
            "an '@' follows the host: the password holds an unencoded '@' and '/', '?' or '#' "
            f"(or the database name or a parameter an unencoded '@'); it must be "
            f"percent-encoded ({ENCODE_HINT})"
        )
    problem = _userinfo_problem(userinfo) if at else None
    problem = problem or _hostport_problem(hostport, "the part after '@'" if at else "the host")
    if problem is None and not authority.isascii():
        n = "".join(c for c in authority if c not in "@:#?")
        if any(c in unicodedata.normalize("NFKC", n) for c in "/?#@:"):
            return (
                "the user name, password or host holds a character that Unicode (NFKC) "
                f"turns into '/', '?', '#', '@' or ':'; it must be percent-encoded ({ENCODE_HINT})"
            )
    if problem is None:
        try:
            urlsplit("postgresql://" + rest).port  # noqa: B018 - the last word: Python's parser
        except ValueError:  # its message quotes the URL: never shown
            problem = "it could not be read as postgresql://USER:PASSWORD@HOST:PORT/DB"
    if problem is None and fragment:
        problem = "unexpected '#' fragment"
    return problem


def _plain_parameters(query: str) -> bool:
    """Whether libpq reads ``query`` without an error that quotes it: ``key=value&...``
    with plain keys (libpq's are), every ``%`` a ``%XX``, and no second ``?``."""
    if "?" in query or re.search(r"%(?![0-9A-Fa-f]{2})", query):
        return False
    parameters = [parameter for parameter in query.split("&") if parameter]
    return all(re.fullmatch(r"[A-Za-z_]+=[^&]*", parameter) for parameter in parameters)


def _utf8_text(rest: str) -> bool:
    """Whether every part of the URL, percent-decoded, is UTF-8 text, as psycopg requires.

    Bytes that are not, in an argument, a variable or .env, reach Python as lone
    surrogates (surrogateescape); percent-encoded, libpq decodes them and psycopg
    fails on its result with an error that is no help (an internal error, here).
    """
    if any("\ud800" <= c <= "\udfff" for c in rest):
        return False
    try:
        unquote(rest, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _userinfo_problem(userinfo: str) -> str | None:
    """What in ``user:password`` libpq or Python's parser would misread, or quote in an error."""
    user, _, password = userinfo.partition(":")
    for who, part in (("user name", user), ("password", password)):
        if any(c.isspace() or unicodedata.category(c) == "Cc" for c in part):
            what = "a space or a control character"
        elif re.search(r"%(?![0-9A-Fa-f]{2})", part):
            what = "a '%' that is not followed by two hex digits"
        elif "[" in part or "]" in part:
            what = "an unencoded '[' or ']'"
        else:
            continue
        return f"the {who} holds {what}; it must be percent-encoded ({ENCODE_HINT})"
    return None


def _hostport_problem(hostport: str, what: str) -> str | None:
    """Whether ``hostport`` is host[:port], host being a name or a bracketed IPv6 address."""
    if hostport.startswith("["):
        host, closed, port_part = hostport[1:].partition("]")
        if not closed:
            return f"{what} is not host[:port]: the IPv6 address has no closing ']'"
        if "[" in host or (port_part and not port_part.startswith(":")):
            return f"{what} is not host[:port]"
        port = port_part[1:]
        colon = port_part.startswith(":")
    else:
        if "[" in hostport or "]" in hostport:
            return f"{what} is not host[:port]: '[' and ']' only surround an IPv6 address"
        _, colon_found, port = hostport.partition(":")
        colon = bool(colon_found)
    if colon and not port:  # `user:` with the password cut off, rather than `host:`
        return f"{what} is not host[:port]: the port after ':' is empty"
    if port and not port.isascii():
        return f"{what} is not host[:port]: the port is not a number"
    if port and not port.isdigit():
        return f"{what} is not host[:port]: the port is not a number"
    if port and int(port) > 65535:
        return f"{what} is not host[:port]: the port is above 65535"
    return None


# -- the redactor ----------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` as it may be printed: the one redactor every output goes through.

    Three passes: every spelling of every password known in this run (and of
    ``secrets``) becomes ***, every character an occurrence covers, so
    overlapping spellings leave no fragment; then any ``password=`` value; then
    the user info of any ``scheme://user:...@``, up to the last ``@`` of its
    whitespace-free run. The first pass finds passwords holding spaces or
    quotes; the last, URLs whose password this run never parsed (a URL typed
    as a stray argument, one refused as malformed).
    """
    text = _hide(text, KNOWN_SECRETS.union(secrets))
    text = _PASSWORD_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
    return _URL_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", text)


def redact_url(url: str) -> str:
    """A URL as it may be printed (:func:`redact` on it)."""
    return redact(url) if "://" in url else "(unparseable URL)"


def _hide(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every character inside an occurrence of a secret replaced, runs by one ***."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        start = text.find(secret)
        while start >= 0:
            spans.append((start, start + len(secret)))
            start = text.find(secret, start + 1)
    if not spans:
        return text
    spans.sort()
    pieces, shown_until = [], 0
    run_start, run_end = spans[0]
    for start, stop in spans[1:]:
        if start <= run_end:
            run_end = max(run_end, stop)
            continue
        pieces += [text[shown_until:run_start], REDACTED]
        shown_until, (run_start, run_end) = run_end, (start, stop)
    pieces += [text[shown_until:run_start], REDACTED, text[run_end:]]
    return "".join(pieces)


def remember_secrets(*texts: str) -> tuple[str, ...]:
    """Learn every password ``texts`` (URLs, or arguments that may hold one) could carry.

    Returns their spellings (also kept in :data:`KNOWN_SECRETS` for the rest of the run).
    """
    found = {spelling for text in texts for p in _passwords_in(text) for spelling in _spellings(p)}
    KNOWN_SECRETS.update(found)
    return tuple(sorted(found, key=len, reverse=True))


def forget_secrets() -> None:
    """A new run starts (in-process callers, such as tests, make many)."""
    KNOWN_SECRETS.clear()


def remember_configured_secrets(
    args: Sequence[str], environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> None:
    """Before anything is parsed: the passwords in the arguments, the environment and ``.env``.

    An argument counts if it holds ``://`` or ``user:...@``, or follows
    ``--database-url``: click may quote any of them in a usage error.
    """
    env = os.environ if environ is None else environ
    # Every target names its own variable (ADMIN_DATABASE_URL, a standby's ...):
    # before the configuration is read, any *_URL holding a URL counts.
    texts = [value for name, value in env.items() if _holds_url(name, value)]
    for previous, arg in zip(["", *args], args, strict=False):
        if previous == "--database-url" or "://" in arg or re.search(r":[^@]*@", arg):
            texts.append(arg.partition("--database-url=")[2] or arg)
    dotenv_path = (cwd or Path.cwd()) / ".env"
    if dotenv_path.is_file():
        texts.extend(_dotenv_urls(dotenv_path).values())
    remember_secrets(*(text for text in texts if text))


def _passwords_in(text: str) -> set[str]:
    """Every reading of the password in a URL-like ``text``.

    One reading when the URL parses. When it does not, one per ``@`` that could
    end the user info: libpq, Python and a person each pick a different one.
    Of those, one shorter than four characters that does not end at the last
    ``@`` is left out: it is the start of a longer reading (``:`` of ``:@pw@``),
    and hidden everywhere it would make every message unreadable.
    """
    rest = text.split("://", 1)[1] if "://" in text else text
    found: set[str] = set()
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    if url_problem(rest) is None:
        ends = [rest.rfind("@", 0, end)]
    else:
        ends = [i for i, c in enumerate(rest) if c == "@"]
    for at in ends:
        userinfo = rest[:at] if at >= 0 else ""
        reading = userinfo.split(":", 1)[1] if ":" in userinfo else ""
        if len(reading) >= 4 or (reading and at == ends[-1]):
            found.add(reading)
    for query in {rest.partition("?")[2], rest[end:].partition("?")[2]}:
        found.update(m.group(1) for m in re.finditer(r"(?i)(?:^|&)password=([^&#]*)", query))
        pairs = parse_qsl(query.partition("#")[0], keep_blank_values=True)
        found.update(value for key, value in pairs if key.lower() == "password")
    return {p for p in found if p}


def _spellings(password: str) -> set[str]:
    """The password as any output could spell it.

    Raw, percent-decoded and percent-encoded; whitespace collapsed (a one-line
    message); and each of those escaped as JSON (``\\"``, ``\\u00e9``), as XML
    (``&amp;``, ``&quot;``: JUnit files) and as Python's repr (an internal error).
    """
    forms = {password, unquote(password)}
    # Bytes that were not UTF-8 arrive as lone surrogates (U+DC80..U+DCFF: Python's
    # surrogateescape); percent-encoded, they are those bytes again. Any other
    # surrogate has no bytes of its own: surrogatepass spells it, and never fails.
    # Shown, those bytes are decoded again, each bad one as U+FFFD (click does so to
    # a path it says does not exist).
    for errors in ("surrogateescape", "surrogatepass"):
        with suppress(UnicodeEncodeError):
            forms |= {quote(password, safe="", errors=errors), quote(password, errors=errors)}
            forms.add(password.encode("utf-8", errors).decode("utf-8", "replace"))
    forms |= {" ".join(form.split()) for form in forms}
    escaped = set()
    for form in forms:
        escaped.add(json.dumps(form)[1:-1])
        escaped.add(json.dumps(form, ensure_ascii=False)[1:-1])
        xml_text = form.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped.add(xml_text)
        for char, entity in (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):
            xml_text = xml_text.replace(char, entity)
        escaped.add(xml_text)
        escaped.add(repr(form)[1:-1])
    return {form for form in forms | escaped if form.strip()}


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
    variable: str = "DATABASE_URL",
) -> DatabaseTarget | None:
    """The configured database: ``--database-url`` > the variable > the variable in ``./.env``.

    ``variable`` is DATABASE_URL, or the one a named target reads its URL from
    (``url_env`` in astegni-db.toml). None when none of them names one; the
    caller then decides whether the dev database may be used
    (:func:`require_dev_database_allowed`).
    """
    env = os.environ if environ is None else environ
    if flag_url is not None:
        return parse_database_url(flag_url, "--database-url", connect_timeout=connect_timeout)
    if env.get(variable):
        return parse_database_url(env[variable], variable, connect_timeout=connect_timeout)
    dotenv_path = (cwd or Path.cwd()) / ".env"
    if dotenv_path.is_file():
        value = _dotenv_database_url(dotenv_path, warn=True, variable=variable)
        if value:
            source = ".env" if variable == "DATABASE_URL" else f"{variable} in .env"
            return parse_database_url(value, source, connect_timeout=connect_timeout)
    return None


def _dotenv_database_url(path: Path, *, warn: bool, variable: str = "DATABASE_URL") -> str | None:
    """``variable`` from a ``.env`` file (``warn``: python-dotenv names lines it cannot parse)."""
    if warn:
        from dotenv import dotenv_values

        try:
            return dotenv_values(path).get(variable)
        except UnicodeDecodeError:  # its .object is the file, passwords and all: never shown
            raise ConfigError(
                f"{path.name} is not UTF-8 text (python-dotenv reads it as UTF-8)"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path.name}: {exc.strerror}") from None
    return _dotenv_urls(path).get(variable)


def _dotenv_urls(path: Path) -> dict[str, str]:
    """Every URL-like value in a ``.env`` file, quietly (passwords are learnt from them)."""
    from dotenv.parser import parse_stream

    try:
        with path.open(encoding="utf-8") as stream:
            return {
                b.key: b.value
                for b in parse_stream(stream)
                if b.key is not None and b.value is not None and _holds_url(b.key, b.value)
            }
    except (OSError, UnicodeDecodeError):
        return {}


def _holds_url(name: str, value: str) -> bool:
    """Whether a variable may hold a database URL: DATABASE_URL, or any *_URL holding ://."""
    return name in SECRET_ENV_VARS or (name.upper().endswith("_URL") and "://" in value)


def require_dev_database_allowed(environ: Mapping[str, str] | None = None) -> None:
    """Refuse the local dev database under CI: a pipeline that lost its URL must fail,
    not quietly migrate a throwaway server."""
    env = os.environ if environ is None else environ
    if running_under_ci(env):
        raise ConfigError(
            "no database URL: pass --database-url or set DATABASE_URL "
            f"(the local dev database is never used when CI={env.get('CI', '').strip()})"
        )
