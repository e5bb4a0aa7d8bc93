"""Database URLs as people paste them, Neon's included, turned into what the async drivers take."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.urls import database_target, mask, sqlite_file

NEON_POOLED = (
    "postgresql://user:pw@ep-x-pooler.eu-central-1.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
NEON_ASYNCPG = "postgresql+asyncpg://user:pw@ep-x-pooler.eu-central-1.aws.neon.tech/neondb"


@pytest.mark.parametrize(
    ("raw", "url", "connect_args"),
    [
        pytest.param(NEON_POOLED, NEON_ASYNCPG, {"ssl": "require"}, id="neon-pooled"),
        pytest.param(
            "postgres://user:pw@db.example.com:5433/tasks",
            "postgresql+asyncpg://user:pw@db.example.com:5433/tasks",
            {},
            id="postgres-scheme",
        ),
        pytest.param(
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            {},
            id="asyncpg-unchanged",
        ),
        pytest.param(
            "postgresql://user:pw@db.example.com/tasks?options=-c%20statement_timeout%3D5000",
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            {"server_settings": {"statement_timeout": "5000"}},
            id="options-server-setting",
        ),
        pytest.param(
            "postgresql://user:pw@db.example.com/tasks?options=endpoint%3Dep-x",
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            {},
            id="options-neon-endpoint-dropped",
        ),
        pytest.param(
            "postgresql://user:pw@db.example.com/tasks?application_name=tasks&connect_timeout=7",
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            {"timeout": 7.0, "server_settings": {"application_name": "tasks"}},
            id="application-name-and-timeout",
        ),
        pytest.param(
            "postgresql://user:pw@db.example.com/tasks?target_session_attrs=read-write",
            "postgresql+asyncpg://user:pw@db.example.com/tasks",
            {},
            id="unknown-parameter-dropped",
        ),
        pytest.param("sqlite:///data/tasks.db", "sqlite+aiosqlite:///data/tasks.db", {}, id="sqlite"),
        pytest.param(
            "sqlite+aiosqlite:////var/lib/tasks.db",
            "sqlite+aiosqlite:////var/lib/tasks.db",
            {},
            id="aiosqlite",
        ),
    ],
)
def test_database_target(raw: str, url: str, connect_args: dict[str, Any]) -> None:
    target = database_target(raw)

    assert target.url.render_as_string(hide_password=False) == url
    assert dict(target.url.query) == {}
    assert target.connect_args == connect_args


def test_a_neon_url_targets_postgres_not_sqlite() -> None:
    target = database_target(NEON_POOLED)

    assert target.is_sqlite is False
    assert target.url.drivername == "postgresql+asyncpg"


def test_an_unknown_sslmode_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ValueError, match="sslmode") as refused:
        database_target("postgresql://user:s3cret@db.example.com/tasks?sslmode=sometimes")

    assert "s3cret" not in str(refused.value)


def test_an_unsupported_scheme_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ValueError, match="mysql") as refused:
        database_target("mysql://user:s3cret@db.example.com/tasks")

    assert "s3cret" not in str(refused.value)


def test_an_options_value_is_percent_decoded_only_once() -> None:
    target = database_target("postgresql://u:pw@db.example.com/tasks?options=-c%20search_path%3Da%2541b")

    assert target.connect_args["server_settings"] == {"search_path": "a%41b"}


def test_an_options_setting_in_long_form_is_kept() -> None:
    target = database_target("postgresql://u:pw@db.example.com/tasks?options=--statement_timeout%3D5000")

    assert target.connect_args == {"server_settings": {"statement_timeout": "5000"}}


def test_mask_hides_the_password() -> None:
    masked = mask(NEON_POOLED)

    assert "pw@" not in masked
    assert masked.startswith("postgresql://user:***@ep-x-pooler.eu-central-1.aws.neon.tech/neondb")


def test_mask_does_not_echo_an_unparseable_url() -> None:
    assert mask("not a url :// at all") == "<unparseable database URL>"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        pytest.param("sqlite+aiosqlite:///data/tasks.db", "data/tasks.db", id="relative"),
        pytest.param("sqlite:////var/lib/tasks.db", "/var/lib/tasks.db", id="absolute"),
        pytest.param("sqlite+aiosqlite:///:memory:", None, id="memory"),
        pytest.param("sqlite://", None, id="no-file"),
        pytest.param(NEON_POOLED, None, id="postgres"),
    ],
)
def test_sqlite_file(raw: str, path: str | None) -> None:
    assert sqlite_file(raw) == path


def test_asyncpgs_own_ssl_parameter_is_kept_as_the_ssl_argument() -> None:
    target = database_target("postgresql+asyncpg://u:p@db.example/app?ssl=require")

    assert target.connect_args == {"ssl": "require"}
    assert dict(target.url.query) == {}


@pytest.mark.parametrize("parameter", ["sslrootcert", "sslcert", "sslkey"])
def test_a_tls_file_parameter_is_refused_rather_than_quietly_dropped(parameter: str) -> None:
    with pytest.raises(ValueError, match=parameter) as raised:
        database_target(f"postgresql://u:secret@db.example/app?sslmode=verify-full&{parameter}=/x.pem")

    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(("mode", "checks_hostname"), [("verify-full", True), ("verify-ca", False)])
def test_a_verifying_sslmode_checks_against_the_systems_certificate_authorities(
    mode: str, checks_hostname: bool
) -> None:
    context = database_target(f"postgresql://u:pw@db.example.com/app?sslmode={mode}").connect_args["ssl"]

    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is checks_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///:memory:", "sqlite://"])
def test_an_in_memory_sqlite_database_is_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite needs a file"):
        create_database(url)
