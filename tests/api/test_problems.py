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
