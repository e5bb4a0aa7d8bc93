"""An unexpected error inside a use case is a 500 problem that tells the request id and nothing else."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.api.helpers import assert_problem, create_task, task_url
from tests.support.app import auth, running, test_settings
from tests.support.builders import new_owner


async def _explode(*_: Any, **__: Any) -> None:
    raise RuntimeError("boom secret")


@pytest.fixture
def failing_get_task(app: FastAPI) -> Iterator[None]:
    """The real container, with the get-task use case swapped for one that raises."""
    provider = app.state.container.use_cases.get_task
    provider.override(providers.Object(_explode))
    yield
    provider.reset_override()


@pytest.mark.usefixtures("failing_get_task")
async def test_an_unexpected_error_is_a_500_problem_without_its_text_or_traceback(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.get(task_url(task["id"]), headers=alice)

    body = assert_problem(response, 500)
    assert "boom" not in response.text
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["X-Request-ID"] in body["detail"]


@pytest.mark.usefixtures("failing_get_task")
async def test_an_unexpected_error_names_the_callers_own_request_id(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.get(task_url(task["id"]), headers={**alice, "X-Request-ID": "abc-123"})

    body = assert_problem(response, 500)
    assert response.headers["X-Request-ID"] == "abc-123"
    assert "abc-123" in body["detail"]


async def test_an_unexpected_error_still_carries_the_cors_headers_a_browser_needs_to_read_it(
    sqlite_url: str,
) -> None:
    app = create_app(test_settings(sqlite_url, cors_origins=["http://front.example"]))
    app.state.container.use_cases.get_task.override(providers.Object(_explode))
    headers = {**auth(new_owner()), "Origin": "http://front.example"}

    async with running(app) as client:
        response = await client.get(task_url("00000000-0000-0000-0000-000000000001"), headers=headers)

    assert_problem(response, 500)
    assert response.headers["Access-Control-Allow-Origin"] == "http://front.example"
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
