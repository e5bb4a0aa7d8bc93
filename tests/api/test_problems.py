"""Answers outside the task rules are problem documents too: unknown routes, wrong methods."""

import httpx

from tests.api.helpers import TASKS, assert_problem


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    response = await client.get("/api/v1/no-such-thing", headers=alice)

    assert_problem(response, 404)


async def test_a_method_the_route_does_not_answer_is_a_405_problem(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.delete(TASKS, headers=alice)

    assert_problem(response, 405)


async def test_a_405_names_every_method_the_route_answers_in_allow(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.delete(TASKS, headers=alice)

    assert {method.strip() for method in response.headers["Allow"].split(",")} >= {"GET", "POST"}


async def test_a_validation_problem_lists_each_error_with_its_location(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json={"title": "", "priority": "urgent"}, headers=alice)

    body = assert_problem(response, 422)
    locations = [error["loc"] for error in body["errors"]]
    assert ["body", "title"] in locations
    assert ["body", "priority"] in locations


async def test_a_validation_problems_detail_names_the_first_error_in_words(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json={"title": ""}, headers=alice)

    body = assert_problem(response, 422)
    assert body["detail"] == "The request is not valid: body.title: String should have at least 1 character."
    assert body["errors"] == [
        {
            "loc": ["body", "title"],
            "msg": "String should have at least 1 character",
            "type": "string_too_short",
        }
    ]


async def test_with_several_errors_the_detail_names_the_first_listed(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json={"title": "", "priority": "urgent"}, headers=alice)

    body = assert_problem(response, 422)
    first = body["errors"][0]
    assert len(body["errors"]) == 2
    assert body["detail"] == f"The request is not valid: {'.'.join(first['loc'])}: {first['msg']}."


async def test_a_missing_body_is_named_in_the_detail(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, headers=alice)

    assert assert_problem(response, 422)["detail"] == "The request is not valid: body: Field required."


async def test_an_unknown_query_parameter_is_named_in_the_detail(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(f"{TASKS}?colour=red", headers=alice)

    body = assert_problem(response, 422)
    assert body["detail"] == "The request is not valid: query.colour: is not a parameter of this route."
    assert body["errors"][0]["loc"] == ["query", "colour"]


async def test_a_parameter_name_of_the_clients_own_is_not_repeated_in_the_detail(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """A client may show `detail` as it is; a name that is markup stays in `errors` only."""
    name = "<img src=x onerror=alert(1)>"

    response = await client.get("/api/v1/tasks", params={name: "1"}, headers=alice)

    body = assert_problem(response, 422)
    assert "<img" not in body["detail"]
    assert body["detail"].startswith("The request is not valid: ")
    assert any(name in error["loc"] for error in body["errors"])
