"""A fleet's members: the databases one target expands to, from a file or a catalog query.

A member is a database name on the target's server (the target's URL with
another database) or a whole URL, for members on other servers. Both sources
are read before anything runs, so a run knows its size (the progress bar, the
final table) and a typo fails before the first database is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from astegni_db import settings
from astegni_db.errors import ConfigError
from astegni_db.fleet.runner import Job

if TYPE_CHECKING:
    from astegni_db.project.config import FleetConfig
    from astegni_db.settings import DatabaseTarget

# The catalog query is the user's SQL; it runs read-only and may take this long.
QUERY_TIMEOUT_S = 30


def fleet_jobs(target: str, fleet: FleetConfig, base: DatabaseTarget) -> list[Job]:
    """One job per member, in the file's (or the query's) order; duplicates are refused."""
    if fleet.file is not None:
        entries = read_member_file(fleet.file)
    else:
        assert fleet.query is not None
        rows = query_members(base, fleet.query)
        entries = [(f"row {n}", value) for n, value in enumerate(rows, 1)]
    jobs: list[Job] = []
    seen: dict[str, str] = {}
    for where, entry in entries:
        database = member_database(entry, base, where)
        name = member_name(database, base)
        if name in seen:
            raise ConfigError(
                f"fleet {target!r}: {where} names database {name!r} again (first at {seen[name]})"
            )
        seen[name] = where
        jobs.append(Job(target=target, member=name, database=database))
    if not jobs:
        source = fleet.file.name if fleet.file is not None else "its query"
        raise ConfigError(f"fleet {target!r} has no databases ({source} lists none)")
    return jobs


def read_member_file(path: Path) -> list[tuple[str, str]]:
    """(where, entry) for each line that is not blank or a # comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"fleet file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read fleet file {path}: {exc}") from None
    return [
        (f"{path.name}:{number}", line.strip())
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def query_members(base: DatabaseTarget, query: str) -> list[str]:
    """The first column of ``query``'s rows, run read-only on the target's database."""
    from astegni_db.db import bounded_read_only_session

    with bounded_read_only_session(
        base, purpose="list a fleet's databases", doing="running the fleet's query"
    ) as conn:
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{QUERY_TIMEOUT_S}s",))
        rows = conn.execute(query).fetchall()
    if rows and len(rows[0]) < 1:
        raise ConfigError("the fleet's query returns no column")
    return [str(row[0]) for row in rows if row[0] is not None]


def member_database(entry: str, base: DatabaseTarget, where: str) -> DatabaseTarget:
    """A database name on the base's server, or a URL of its own."""
    if "://" in entry:
        return settings.parse_database_url(entry, where, connect_timeout=base.connect_timeout)
    return settings.DatabaseTarget(
        url=settings.with_dbname(base.url, entry),
        source=f"{base.source} ({where})",
        secrets=base.secrets,
        connect_timeout=base.connect_timeout,
    )


def in_shard(job: Job, index: int, count: int) -> bool:
    """Whether ``job`` falls in slice ``index`` of ``count`` (1-based).

    By a stable hash of the member's name, not its position: a database added
    to the list moves no other database to another slice, so a resumed or
    re-run shard covers the same databases as before.
    """
    import hashlib

    digest = hashlib.sha256(job.key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def member_name(database: DatabaseTarget, base: DatabaseTarget) -> str:
    """How a member is named in reports: its database name, plus its server when that
    differs from the target's (a URL entry: two servers may each hold a ``tenant_1``)."""
    server = server_of(database.url)
    return database.dbname if server == server_of(base.url) else f"{database.dbname}@{server}"


def server_of(url: str) -> str:
    """``host:port`` as the URL spells it, without its credentials."""
    from urllib.parse import urlsplit

    return urlsplit(url).netloc.rpartition("@")[2]
