"""URL resolution and redaction: no database needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from astegni_db.errors import ConfigError
from astegni_db.settings import parse_database_url, redact_url, resolve_target


@pytest.mark.parametrize(
    "raw",
    [
        "postgres://u:pw@h:5432/db",
        "postgresql://u:pw@h:5432/db",
        "postgresql+psycopg://u:pw@h:5432/db",
        "POSTGRESQL://u:pw@h:5432/db",
    ],
)
def test_accepted_schemes_normalise_to_libpq_and_yoyo_forms(raw: str) -> None:
    target = parse_database_url(raw, "test")
    assert target.url == "postgresql://u:pw@h:5432/db"
    assert target.yoyo_url == "postgresql+psycopg://u:pw@h:5432/db"
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
    assert (
        resolve_target("postgresql://from-flag/db", environ=env, cwd=tmp_path).source
        == "--database-url"
    )
    assert resolve_target(None, environ=env, cwd=tmp_path).url == "postgresql://from-env/db"
    dotenv = resolve_target(None, environ={}, cwd=tmp_path)
    assert (dotenv.url, dotenv.source) == ("postgresql://from-dotenv/db", ".env")


def test_no_url_under_ci_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="never used when CI=true"):
        resolve_target(None, environ={"CI": "true"}, cwd=tmp_path)
