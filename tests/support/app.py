"""Build the real app on a given database and talk to it over in-process HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from adapters.security.jwt_tokens import SharedSecretTokens
from entrypoints.settings import Settings

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
RATE_SETTINGS = (
    "auth_login_rate_per_address",
    "auth_login_rate_per_account",
    "auth_register_rate_per_address",
    "auth_register_rate_per_account",
)


def test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: nothing read from the environment or a `.env` file. No rate limits on
    logging in and registering (tests share an address and a database); test_rate_limits.py sets them."""
    values: dict[str, object] = {
        "database_url": database_url,
        "auth_jwt_secret": TEST_SECRET,
        **dict.fromkeys(RATE_SETTINGS, "off"),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def token_for(
    sub: str,
    *,
    lifetime: timedelta = timedelta(minutes=5),
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A shared-secret token as the app issues it; an app with AUTH_ISSUER or AUTH_AUDIENCE set
    takes only tokens that name them."""
    tokens = SharedSecretTokens(TEST_SECRET, issuer=issuer, audience=audience)
    return tokens.issue(sub, lifetime=lifetime).access_token


def auth(sub: str, *, issuer: str | None = None, audience: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(sub, issuer=issuer, audience=audience)}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and hand out a client whose requests go through the whole ASGI stack."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client
