"""URL resolution and redaction: no database needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from astegni_db.errors import ConfigError
from astegni_db.settings import (
    configured_target,
    parse_database_url,
    redact_url,
    require_dev_database_allowed,
    running_under_ci,
    with_dbname,
    without_password,
)


@pytest.mark.parametrize(
    "raw",
    [
        "postgres://u:pw@h:5432/db",
        "postgresql://u:pw@h:5432/db",
        "postgresql+psycopg://u:pw@h:5432/db",
        "POSTGRESQL://u:pw@h:5432/db",
    ],
)
def test_accepted_schemes_normalise_to_the_libpq_form(raw: str) -> None:
    target = parse_database_url(raw, "test")
    assert target.url == "postgresql://u:pw@h:5432/db"
    assert target.redacted == "postgresql://u:***@h:5432/db"
    assert target.dbname == "db"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is empty"),
        ("localhost:5432/db", "expected postgresql://"),
        ("mysql://u:hunter2@h/db", "unsupported URL scheme 'mysql'"),
        ("postgresql://u:hunter2@h:notaport/db", "invalid database URL"),
        ("postgresql://u:hunter2@h:99999/db", "invalid database URL"),
        ("postgresql://u:hunter2@h/db#frag", "fragment"),
    ],
)
def test_bad_urls_are_config_errors_without_the_password(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_database_url(raw, "test")
    assert "hunter2" not in info.value.message


def test_password_in_query_is_redacted_and_scrubbed() -> None:
    target = parse_database_url("postgresql://u@h/db?sslmode=disable&password=p%40ss%20w", "test")
    assert "p%40ss" not in target.redacted and "password=***" in target.redacted
    assert target.scrub("failed for p@ss w and p%40ss%20w") == "failed for *** and ***"


def test_redact_keeps_urls_without_password() -> None:
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("postgresql:///db?host=/tmp") == "postgresql:///db?host=/tmp"
    assert redact_url("postgresql://h/db?PASSWORD=x&a=1") == "postgresql://h/db?PASSWORD=***&a=1"


def test_resolution_order_flag_env_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://from-dotenv/db\n")
    env = {"DATABASE_URL": "postgresql://from-env/db"}
    flag = configured_target("postgresql://from-flag/db", environ=env, cwd=tmp_path)
    assert flag is not None and flag.source == "--database-url"
    from_env = configured_target(None, environ=env, cwd=tmp_path)
    assert from_env is not None and from_env.url == "postgresql://from-env/db"
    dotenv = configured_target(None, environ={}, cwd=tmp_path, connect_timeout=3)
    assert dotenv is not None
    assert (dotenv.url, dotenv.source, dotenv.connect_timeout) == (
        "postgresql://from-dotenv/db",
        ".env",
        3,
    )


def test_nothing_configured_is_none_and_never_starts_anything(tmp_path: Path) -> None:
    assert configured_target(None, environ={"CI": "true"}, cwd=tmp_path) is None
    assert not (tmp_path / ".astegni-db").exists()


def test_no_url_under_ci_is_an_error() -> None:
    with pytest.raises(ConfigError, match="never used when CI=true"):
        require_dev_database_allowed({"CI": "true"})
    require_dev_database_allowed({"CI": "false"})  # allowed: does not raise


@pytest.mark.parametrize(
    ("value", "is_ci"),
    [
        ("true", True),
        ("1", True),
        ("TRUE", True),
        ("woodpecker", True),  # some CI systems put their own name there
        ("", False),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
        (" Off ", False),
    ],
)
def test_one_rule_for_what_counts_as_ci(value: str, is_ci: bool) -> None:
    assert running_under_ci({"CI": value}) is is_ci
    assert running_under_ci({}) is False


def test_url_surgery_keeps_credentials_and_query() -> None:
    url = "postgresql://u:p%2Fw@h:5432/db?sslmode=disable"
    assert with_dbname(url, "other db") == "postgresql://u:p%2Fw@h:5432/other%20db?sslmode=disable"
    assert without_password(url) == ("postgresql://u@h:5432/db?sslmode=disable", "p/w")
    assert without_password("postgresql://u@h/db") == ("postgresql://u@h/db", None)


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://u:Kx7/Qw2@h:5432/db",  # '/' ends the host part early
        "postgresql://u:Kx7?Qw2@h:5432/db",
        "postgresql://u:Kx7#Qw2@h:5432/db",
        "postgresql://u:Kx7@Qw2@h:5432/db",  # libpq splits at the first '@', Python at the last
        "postgresql://u:17/Qw2@h:5432/db",  # reads as host u, port 17: still refused
        "postgresql://h:5432?password=Kx7@Qw2",  # libpq would take 'h:5432?password=Kx7' as user
        "postgresql://h:5432/d@b",  # an '@' in the database name, unencoded
    ],
)
def test_unencoded_user_info_is_refused_quoting_none_of_it(raw: str) -> None:
    with pytest.raises(ConfigError, match="must be percent-encoded") as info:
        parse_database_url(raw, "test")
    assert not {"Kx7", "Qw2", "17/"} & set(info.value.message.split()), info.value.message
    assert "Kx7" not in info.value.message and "Qw2" not in info.value.message


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://u:pa%2Fss@h:5432/db",
        "postgresql://u@h:5432/d@b",  # user info delimited: both parsers agree
        "postgresql://h:5432/db?password=p@ss",  # after a '/', both parsers agree
        "postgresql:///db?host=/var/run/postgresql&password=p@ss",
    ],
)
def test_unambiguous_urls_with_at_signs_are_accepted(raw: str) -> None:
    assert parse_database_url(raw, "test").url.startswith("postgresql://")
