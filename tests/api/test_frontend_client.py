"""A frontend written to the todo full-stack spec, as its browser would run it: from another origin,
`fetch` with `credentials: 'include'`, so every request that carries a bearer token or JSON is
preceded by a CORS preflight; every answer is read with `res.json()` once `res.ok`, a DELETE's
included. The whole flow, through the real app on every backend: register, sign in, list, create
with a date-only due date, filter by status, toggle, partial update, delete."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.conftest import BACKENDS
from tests.support.app import running, test_settings
from tests.support.databases import backend

ORIGIN = "http://localhost:3000"
# What a browser lets a page send without asking first (the CORS "simple" requests).
SIMPLE_METHODS = {"GET", "HEAD", "POST"}
SIMPLE_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


class Browser:
    """The part of a browser's fetch that a cross-origin page depends on."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self.token: str | None = None
        self.preflights = 0

    async def fetch(
        self, method: str, url: str, *, json: Any = None, form: dict[str, str] | None = None
    ) -> Any:
        """What `await (await fetch(url, init)).json()` gives the page, after `if (!res.ok) throw`."""
        headers = {"Origin": ORIGIN}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if json is not None:
            headers["Content-Type"] = "application/json"
        if self._needs_preflight(method, headers):
            await self._preflight(method, url, headers)
        if json is not None:
            response = await self._client.request(method, url, json=json, headers=headers)
        else:
            response = await self._client.request(method, url, data=form, headers=headers)
        # Without these two, the browser hands the page an opaque network error, not the answer.
        assert response.headers.get("access-control-allow-origin") == ORIGIN, response.headers
        assert response.headers.get("access-control-allow-credentials") == "true"
        assert response.is_success, f"{method} {url}: {response.status_code} {response.text}"
        return response.json()

    @staticmethod
    def _needs_preflight(method: str, headers: dict[str, str]) -> bool:
        asked = {name.lower() for name in headers} - {"origin", "content-type"}
        content_type = headers.get("Content-Type")
        return (
            method not in SIMPLE_METHODS
            or bool(asked)
            or (content_type is not None and content_type not in SIMPLE_CONTENT_TYPES)
        )

    async def _preflight(self, method: str, url: str, headers: dict[str, str]) -> None:
        wanted = sorted(name.lower() for name in headers if name.lower() != "origin")
        response = await self._client.options(
            url,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": ", ".join(wanted),
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert response.headers["access-control-allow-credentials"] == "true"
        allowed_methods = response.headers["access-control-allow-methods"]
        assert method in allowed_methods, allowed_methods
        allowed_headers = response.headers["access-control-allow-headers"].lower()
        assert all(name in allowed_headers for name in wanted), allowed_headers
        self.preflights += 1


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest) -> FastAPI:
    database = backend(request, request.param)
    settings = test_settings(
        database.url, database_pooler=database.pooler, cors_origins=[ORIGIN], cors_allow_credentials=True
    )
    return create_app(settings)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with running(app) as client:
        yield Browser(client)


@pytest.mark.parametrize("family", ["/api/{user_id}", "/api"])
async def test_a_fetch_based_frontend_runs_its_whole_flow_unchanged(browser: Browser, family: str) -> None:
    email = f"ada.{uuid.uuid4().hex[:12]}@example.com"
    account = await browser.fetch(
        "POST", "/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}
    )
    signed_in = await browser.fetch(
        "POST", "/api/v1/auth/token", form={"username": email, "password": "correct horse battery"}
    )
    browser.token = signed_in["access_token"]
    tasks = family.format(user_id=quote(account["id"], safe="")) + "/tasks"

    assert await browser.fetch("GET", tasks) == []
    rent = await browser.fetch(
        "POST", tasks, json={"title": "Pay rent", "due_date": "2026-03-05", "priority": "High"}
    )
    milk = await browser.fetch("POST", tasks, json={"title": "Buy milk", "is_completed": False})
    assert rent["due_date"] == "2026-03-05T00:00:00Z"
    assert rent["user_id"] == account["id"]

    done = await browser.fetch("PATCH", f"{tasks}/{rent['id']}/complete")
    assert done["is_completed"] is True
    pending = await browser.fetch("GET", f"{tasks}?status=pending")
    completed = await browser.fetch("GET", f"{tasks}?status=completed")
    assert [task["id"] for task in pending] == [milk["id"]]
    assert [task["id"] for task in completed] == [rent["id"]]

    edited = await browser.fetch("PATCH", f"{tasks}/{milk['id']}", json={"title": "Buy oat milk"})
    assert (edited["title"], edited["is_completed"]) == ("Buy oat milk", False)

    assert await browser.fetch("DELETE", f"{tasks}/{rent['id']}") == {}
    remaining = await browser.fetch("GET", tasks)
    assert [task["title"] for task in remaining] == ["Buy oat milk"]
    # Every request with the token or a JSON body was asked for first, as a browser asks.
    assert browser.preflights == 10
