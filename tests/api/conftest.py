"""The real app and container on each database kind, reached over in-process HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.conftest import BACKENDS
from tests.support.app import auth, running, test_settings
from tests.support.databases import backend


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest) -> FastAPI:
    database = backend(request, request.param)
    return create_app(test_settings(database.url, database_pooler=database.pooler))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


@pytest.fixture
def alice() -> dict[str, str]:
    """Headers for a user no other test shares, so tests need no clean-up between them."""
    return auth(f"alice-{uuid.uuid4()}")


@pytest.fixture
def bob() -> dict[str, str]:
    return auth(f"bob-{uuid.uuid4()}")
