"""CORS as a browser frontend on another origin sees it, with and without CORS_ALLOW_CREDENTIALS."""

from __future__ import annotations

import uuid

import httpx

from entrypoints.http.app import create_app
from tests.api.helpers import TASKS
from tests.support.app import auth, running, test_settings

FRONTEND = "http://front.example:3000"
PREFLIGHT = {
    "Origin": FRONTEND,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def preflight_and_get(sqlite_url: str, **settings: object) -> tuple[httpx.Response, httpx.Response]:
    app = create_app(test_settings(sqlite_url, cors_origins=[FRONTEND], **settings))
    async with running(app) as client:
        preflight = await client.options(TASKS, headers=PREFLIGHT)
        got = await client.get(TASKS, headers={**auth(f"cors-{uuid.uuid4()}"), "Origin": FRONTEND})
    return preflight, got


async def test_with_credentials_on_the_preflight_and_the_answer_allow_them_for_the_exact_origin(
    sqlite_url: str,
) -> None:
    preflight, got = await preflight_and_get(sqlite_url, cors_allow_credentials=True)

    assert preflight.status_code == 200
    assert got.status_code == 200
    for response in (preflight, got):
        assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed_headers = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type"} <= {name.strip() for name in allowed_headers.split(",")}
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Origin" in got.headers["Vary"]


async def test_with_credentials_off_no_answer_allows_them(sqlite_url: str) -> None:
    preflight, got = await preflight_and_get(sqlite_url)

    assert preflight.status_code == 200
    assert got.status_code == 200
    for response in (preflight, got):
        assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert "Access-Control-Allow-Credentials" not in response.headers
