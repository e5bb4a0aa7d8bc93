"""HTTP as clients rely on it: HEAD, Allow, media types, unknown parameters, If-Match syntax, and
why a token was refused when that is safe to say."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.api.helpers import TASKS, assert_invalid, assert_problem, create_task, task_url
from tests.support.app import TEST_SECRET


@pytest.mark.parametrize("path", ["/health/live", TASKS, f"{TASKS}/stats", "/api/v1/tags"])
async def test_head_answers_every_get_route_with_its_headers_and_no_body(
    client: httpx.AsyncClient, alice: dict[str, str], path: str
) -> None:
    got = await client.get(path, headers=alice)
    head = await client.head(path, headers=alice)

    assert (head.status_code, got.status_code) == (200, 200)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


async def test_head_on_a_task_carries_its_etag(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)

    head = await client.head(task_url(task["id"]), headers=alice)

    assert head.status_code == 200
    assert head.headers["ETag"] == '"1"'
    assert head.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", f"{TASKS}/stats", {"GET", "HEAD"}),
        ("PROPFIND", f"{TASKS}/stats", {"GET", "HEAD"}),
        ("PUT", f"{TASKS}/stats", {"GET", "HEAD"}),
        ("TRACE", f"{TASKS}/bulk", {"POST"}),
        ("GET", f"{TASKS}/bulk", {"POST"}),
        ("TRACE", TASKS, {"GET", "HEAD", "POST"}),
    ],
)
async def test_a_405_allows_exactly_the_methods_of_its_path(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path, headers=alice)

    assert_problem(response, 405)
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed


async def test_a_form_sent_where_json_is_taken_is_a_415_naming_json(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, data={"title": "from curl -d"}, headers=alice)

    problem = assert_problem(response, 415)
    assert "application/json" in problem["detail"]
    assert response.headers["Accept-Post"] == "application/json"


async def test_json_sent_to_the_token_route_is_told_it_takes_a_form(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", json={"username": "ada@example.com", "password": "x"})

    problem = assert_problem(response, 415)
    assert "form" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (TASKS, {"status": "done"}),
        (TASKS, {"limit": "5", "colour": "red"}),
        (f"{TASKS}/stats", {"since": "yesterday"}),
    ],
)
async def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: httpx.AsyncClient, alice: dict[str, str], path: str, query: dict[str, str]
) -> None:
    unknown = next(name for name in query if name != "limit")

    response = await client.get(path, params=query, headers=alice)

    problem = assert_invalid(response, unknown)
    assert [error["loc"] for error in problem["errors"]] == [["query", unknown]]


@pytest.mark.parametrize("repeated", ["q", "limit", "completed", "sort"])
async def test_a_parameter_taken_once_and_given_twice_is_a_422_naming_it(
    client: httpx.AsyncClient, alice: dict[str, str], repeated: str
) -> None:
    values = {
        "q": ["milk", "bread"],
        "limit": ["5", "50"],
        "completed": ["true", "false"],
        "sort": ["title", "due"],
    }

    response = await client.get(TASKS, params={repeated: values[repeated]}, headers=alice)

    problem = assert_invalid(response, repeated)
    assert [error["loc"] for error in problem["errors"]] == [["query", repeated]]


async def test_a_list_parameter_may_be_given_many_times(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="Tagged", tags=["home", "urgent"])

    response = await client.get(TASKS, params={"tag": ["home", "urgent"]}, headers=alice)

    assert response.status_code == 200
    assert [task["title"] for task in response.json()["items"]] == ["Tagged"]


async def test_an_unknown_query_parameter_on_one_task_is_a_422_too(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.get(task_url(task["id"]), params={"fields": "title"}, headers=alice)

    assert_invalid(response, "fields")


@pytest.mark.parametrize("if_match", ["1", "W/1", '"1', "1, 2", "*x"])
async def test_a_malformed_if_match_is_a_400_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], if_match: str
) -> None:
    task = await create_task(client, alice, title="Kept")

    response = await client.patch(
        task_url(task["id"]), json={"title": "Changed"}, headers={**alice, "If-Match": if_match}
    )

    assert_problem(response, 400)
    assert (await client.get(task_url(task["id"]), headers=alice)).json()["title"] == "Kept"


@pytest.mark.parametrize(
    ("if_match", "status"), [('"1"', 200), ('W/"1"', 412), ('"2", "1"', 200), ('"x"', 412)]
)
async def test_a_well_formed_if_match_is_judged_on_its_tags(
    client: httpx.AsyncClient, alice: dict[str, str], if_match: str, status: int
) -> None:
    task = await create_task(client, alice)

    headers = {**alice, "If-Match": if_match}
    response = await client.patch(task_url(task["id"]), json={"title": "t2"}, headers=headers)

    assert response.status_code == status, response.text


async def test_an_expired_token_is_told_so_in_the_bearer_challenge(client: httpx.AsyncClient) -> None:
    expired = jwt.encode({"sub": "alice", "exp": int(time.time()) - 3600}, TEST_SECRET, algorithm="HS256")

    response = await client.get(TASKS, headers={"Authorization": f"Bearer {expired}"})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token expired"'
    )


async def test_a_forged_token_gets_a_bare_challenge(client: httpx.AsyncClient) -> None:
    forged = jwt.encode({"sub": "alice", "exp": int(time.time()) - 3600}, "x" * 64, algorithm="HS256")

    response = await client.get(TASKS, headers={"Authorization": f"Bearer {forged}"})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_every_operation_that_reads_a_body_declares_its_415(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    with_body = [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]

    assert with_body
    assert [(method, path) for method, path, op in with_body if "415" not in op["responses"]] == []
