"""URLs with `sslmode`, as Neon prints them, really encrypt (or verify) through the service's database.

Needs the test PostgreSQL with `ssl = on` and a self-signed certificate: `.ci/enable-postgres-tls`
sets that up (CI runs it from .ci/run; `make test` leaves a developer's server alone).
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import Boolean, text
from sqlalchemy.engine import make_url

from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.statements import Statement
from tests.support.databases import IN_CI, asyncpg_dsn

pytestmark = pytest.mark.postgres

ENABLE = ".ci/enable-postgres-tls"
_ANSWER_WITHIN_S = 15.0
_ENCRYPTED = Statement(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").columns(ssl=Boolean))


async def _server_ssl(url: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url), ssl=False)
    try:
        return str(await connection.fetchval("SHOW ssl"))
    finally:
        await connection.close()


@pytest.fixture
async def database(postgres_url: str) -> str:
    """The test database, on a server that accepts TLS: skipped (failed under CI) when it does not."""
    if await _server_ssl(postgres_url) != "on":
        reason = f"the test PostgreSQL has ssl = off: run {ENABLE} (as root) to turn TLS on"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}; .ci/run should have")
        pytest.skip(reason)
    return make_url(postgres_url).database or ""


def _url(database: str, query: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}?{query}"


async def _encrypted(url: str) -> bool:
    """Whether the service's connection for `url` is encrypted, as the server sees it."""
    database = create_database(url)
    try:
        async with asyncio.timeout(_ANSWER_WITHIN_S):
            transaction = await database.begin("someone")
            try:
                row = await transaction.fetch_one(_ENCRYPTED)
            finally:
                await database.end(transaction)
    finally:
        await database.close()
    assert row is not None
    return bool(row["ssl"])


async def test_a_url_with_sslmode_require_connects_over_tls(database: str) -> None:
    assert await _encrypted(_url(database, "sslmode=require")) is True


async def test_a_url_as_neon_prints_it_with_channel_binding_connects_over_tls(database: str) -> None:
    assert await _encrypted(_url(database, "sslmode=require&channel_binding=require")) is True


async def test_a_url_with_sslmode_disable_connects_in_plain_text(database: str) -> None:
    assert await _encrypted(_url(database, "sslmode=disable")) is False


def _system_trust_store() -> str:
    bundle = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    if not Path(bundle).is_file():
        pytest.fail(f"no system CA bundle at {bundle} (Debian: ca-certificates)")
    return bundle


async def test_a_url_with_sslmode_verify_full_refuses_the_self_signed_certificate_at_once(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGSSLROOTCERT", _system_trust_store())  # asyncpg's trust store: the system's

    with pytest.raises(ssl.SSLCertVerificationError) as raised:
        await _encrypted(_url(database, "sslmode=verify-full"))

    assert "certificate verify failed" in str(raised.value)


async def test_a_url_with_sslmode_verify_full_verifies_against_the_systems_certificate_authorities(
    database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PGSSLROOTCERT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt

    with pytest.raises(ssl.SSLCertVerificationError):
        await _encrypted(_url(database, "sslmode=verify-full"))
