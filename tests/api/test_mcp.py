"""The MCP entrypoint, driven by the official SDK's own client: over streamable HTTP against real
`tasks serve` processes (SQLite and PostgreSQL), and over stdio against a real `tasks mcp`.

Every tool, with the todo spec's names and answers; isolation through every tool; refusal of a
missing or bad token with the pointer to the protected-resource metadata; and one store: what MCP
does, REST sees, and the other way round."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from tests.api.helpers import PROBLEM_MEDIA_TYPE
from tests.support.app import TEST_SECRET, auth, token_for
from tests.support.databases import fresh_postgres_database, require_postgres
from tests.support.jwks_server import better_auth_token, ed25519_key, serving_jwks
from tests.support.served import TASKS, clean_environment, served

TASKS_PATH = "/api/v1/tasks"
SPEC_TOOLS = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}
ALL_TIME = timedelta(hours=1)


class Service:
    """A served process, the directory it runs in and the settings it was started with."""

    def __init__(self, base_url: str, cwd: Path, env: dict[str, str]) -> None:
        self.base_url = base_url
        self.cwd = cwd
        self.env = env

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    cwd = tmp_path_factory.mktemp(f"mcp-{request.param}")
    if request.param == "sqlite":
        env = clean_environment(AUTH_JWT_SECRET=TEST_SECRET, DATABASE_URL=f"sqlite:///{cwd / 'tasks.db'}")
        with served(cwd, env) as base_url:
            yield Service(base_url, cwd, env)
        return
    with fresh_postgres_database(require_postgres()) as url:
        env = clean_environment(
            AUTH_JWT_SECRET=TEST_SECRET, DATABASE_URL=url.replace("postgresql+asyncpg://", "postgresql://", 1)
        )
        subprocess.run([TASKS, "migrate"], cwd=cwd, env=env, check=True, capture_output=True)
        with served(cwd, env) as base_url:
            yield Service(base_url, cwd, env)


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """How the client opens: `auto` finds this SDK's newest protocol (each POST answered on its
    own), `legacy` does the 2025 initialize handshake, as most agents in the field still do (each
    POST then runs on the session manager started with the first)."""
    return str(request.param)


@asynccontextmanager
async def mcp_client(url: str, token: str, mode: str = "auto", **http: Any) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10, **http) as transport,
        Client(
            streamable_http_client(url, http_client=transport), raise_exceptions=True, mode=mode
        ) as client,
    ):
        yield client


def structured(result: CallToolResult) -> Any:
    assert not result.is_error, result.content
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


def listed(result: CallToolResult) -> list[dict[str, Any]]:
    """list_tasks' answer: the structured tasks, after checking its one text block says the same."""
    tasks: list[dict[str, Any]] = structured(result)["result"]
    [content] = result.content
    assert isinstance(content, TextContent)
    assert json.loads(content.text) == tasks  # the spec's plain array, for agents that read text
    return tasks


def rest(service: Service) -> httpx.Client:
    return httpx.Client(base_url=service.base_url, timeout=10)


def new_user() -> str:
    return f"mcp-{uuid.uuid4()}"


async def test_the_five_tools_of_the_spec_declare_their_input_and_output(service: Service, mode: str) -> None:
    async with mcp_client(service.mcp_url, token_for(new_user()), mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(tools) == SPEC_TOOLS
    for tool in tools.values():
        assert tool.description
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None
        assert "user_id" in tool.input_schema["properties"]
        assert "user_id" not in tool.input_schema.get("required", [])
    assert tools["add_task"].input_schema["required"] == ["title"]
    assert set(tools["add_task"].output_schema["required"]) == {"task_id", "status", "title"}
    assert tools["list_tasks"].input_schema.get("required", []) == []
    status = tools["list_tasks"].input_schema["properties"]["status"]
    assert status["enum"] == ["all", "pending", "completed"]
    for name in ("complete_task", "delete_task", "update_task"):
        assert tools[name].input_schema["required"] == ["task_id"]
    annotations = tools["list_tasks"].annotations
    assert annotations is not None
    assert annotations.read_only_hint


async def test_each_tool_answers_as_the_spec_says_and_rest_sees_what_it_did(
    service: Service, mode: str
) -> None:
    user = new_user()
    async with mcp_client(service.mcp_url, token_for(user, lifetime=ALL_TIME), mode) as client:
        added = structured(
            await client.call_tool("add_task", {"title": "Buy milk", "description": "2 litres"})
        )
        task_id = added["task_id"]
        pending = listed(await client.call_tool("list_tasks", {"status": "pending"}))
        updated = structured(
            await client.call_tool("update_task", {"task_id": task_id, "title": "Buy oat milk"})
        )
        completed = structured(await client.call_tool("complete_task", {"task_id": task_id}))
        done = listed(await client.call_tool("list_tasks", {"status": "completed"}))
        still_pending = listed(await client.call_tool("list_tasks", {"status": "pending"}))
        with rest(service) as http:
            seen = http.get(f"{TASKS_PATH}/{task_id}", headers=auth(user)).json()
        deleted = structured(await client.call_tool("delete_task", {"task_id": task_id}))
        after = listed(await client.call_tool("list_tasks", {}))

    assert added == {"task_id": task_id, "status": "created", "title": "Buy milk"}
    uuid.UUID(task_id)  # the service's own ids
    assert [(task["id"], task["title"], task["completed"]) for task in pending] == [
        (task_id, "Buy milk", False)
    ]
    assert pending[0]["description"] == "2 litres"
    assert updated == {"task_id": task_id, "status": "updated", "title": "Buy oat milk"}
    assert completed == {"task_id": task_id, "status": "completed", "title": "Buy oat milk"}
    assert [task["id"] for task in done] == [task_id]
    assert still_pending == []
    assert (seen["title"], seen["description"], seen["completed"]) == ("Buy oat milk", "2 litres", True)
    assert deleted == {"task_id": task_id, "status": "deleted", "title": "Buy oat milk"}
    assert after == []
    with rest(service) as http:
        assert http.get(f"{TASKS_PATH}/{task_id}", headers=auth(user)).status_code == 404


async def test_the_richer_arguments_of_the_rest_api_work_through_the_tools(
    service: Service, mode: str
) -> None:
    user = new_user()
    with rest(service) as http:
        errands = http.post("/api/v1/lists", json={"name": "Errands"}, headers=auth(user)).json()
    async with mcp_client(service.mcp_url, token_for(user), mode) as client:
        rich = structured(
            await client.call_tool(
                "add_task",
                {
                    "title": "Pay rent",
                    "due_at": "2020-01-01T09:00:00+01:00",
                    "priority": "high",
                    "tags": ["Home", "money"],
                    "recurrence": "monthly",
                    "list_id": errands["id"],
                },
            )
        )
        plain = structured(await client.call_tool("add_task", {"title": "Water the plants"}))
        by_tag = listed(await client.call_tool("list_tasks", {"tag": "home"}))
        by_search = listed(await client.call_tool("list_tasks", {"search": "plants"}))
        overdue = listed(await client.call_tool("list_tasks", {"overdue": True}))
        in_list = listed(await client.call_tool("list_tasks", {"list_id": errands["id"]}))
        one = listed(await client.call_tool("list_tasks", {"limit": 1}))
        next_one = listed(await client.call_tool("list_tasks", {"limit": 1, "offset": 1}))
        changed = structured(
            await client.call_tool(
                "update_task", {"task_id": plain["task_id"], "priority": "low", "tags": ["garden"]}
            )
        )
        too_many = await client.call_tool("list_tasks", {"limit": 101})

    assert [task["id"] for task in by_tag] == [rich["task_id"]]
    assert by_tag[0]["tags"] == ["home", "money"]
    assert (by_tag[0]["priority"], by_tag[0]["recurrence"]) == ("high", "monthly")
    assert by_tag[0]["due_at"].startswith("2020-01-01T08:00:00")
    assert by_tag[0]["list_id"] == errands["id"]
    assert [task["id"] for task in by_search] == [plain["task_id"]]
    assert [task["id"] for task in overdue] == [rich["task_id"]]
    assert [task["id"] for task in in_list] == [rich["task_id"]]
    assert [task["id"] for task in one] == [plain["task_id"]]  # newest first
    assert [task["id"] for task in next_one] == [rich["task_id"]]
    assert changed["status"] == "updated"
    assert "limit" in error_text(too_many)
    with rest(service) as http:
        seen = http.get(f"{TASKS_PATH}/{plain['task_id']}", headers=auth(user)).json()
    assert (seen["priority"], seen["tags"], seen["title"]) == ("low", ["garden"], "Water the plants")


async def test_a_user_can_neither_see_nor_change_another_users_task_through_any_tool(
    service: Service, mode: str
) -> None:
    alice, bob = new_user(), new_user()
    async with mcp_client(service.mcp_url, token_for(alice), mode) as as_alice:
        task_id = structured(await as_alice.call_tool("add_task", {"title": "Alice's secret"}))["task_id"]
    async with mcp_client(service.mcp_url, token_for(bob), mode) as as_bob:
        bobs_list = listed(await as_bob.call_tool("list_tasks", {"status": "all"}))
        attempts = [
            await as_bob.call_tool("complete_task", {"task_id": task_id}),
            await as_bob.call_tool("update_task", {"task_id": task_id, "title": "Bob was here"}),
            await as_bob.call_tool("delete_task", {"task_id": task_id}),
            # Naming Alice as the user, as the spec's user_id argument would: no way in either.
            await as_bob.call_tool("list_tasks", {"user_id": alice}),
            await as_bob.call_tool("complete_task", {"task_id": task_id, "user_id": alice}),
            await as_bob.call_tool("add_task", {"title": "Planted", "user_id": alice}),
        ]
        own = structured(await as_bob.call_tool("add_task", {"title": "Bob's own", "user_id": bob}))

    assert bobs_list == []
    for attempt in attempts:
        assert error_text(attempt).endswith("No such task.")  # the REST API's 404, in the same words
    assert own["status"] == "created"
    with rest(service) as http:
        alices = http.get(TASKS_PATH, headers=auth(alice)).json()["items"]
    assert [(task["id"], task["title"], task["completed"]) for task in alices] == [
        (task_id, "Alice's secret", False)
    ]


async def test_bad_arguments_are_tool_errors_that_say_what_is_wrong_and_change_nothing(
    service: Service, mode: str
) -> None:
    user = new_user()
    async with mcp_client(service.mcp_url, token_for(user), mode) as client:
        blank = await client.call_tool("add_task", {"title": "   "})
        long_title = await client.call_tool("add_task", {"title": "x" * 201})
        not_an_id = await client.call_tool("complete_task", {"task_id": "42"})
        missing = await client.call_tool("delete_task", {"task_id": str(uuid.uuid4())})
        no_list = await client.call_tool("add_task", {"title": "Lost", "list_id": str(uuid.uuid4())})
        bad_status = await client.call_tool("list_tasks", {"status": "someday"})
        naive_time = await client.call_tool("add_task", {"title": "When?", "due_at": "2030-01-01T09:00:00"})
        nothing_left = listed(await client.call_tool("list_tasks", {}))

    assert "title" in error_text(blank)
    assert "title" in error_text(long_title)
    assert "task_id" in error_text(not_an_id)
    assert error_text(missing).endswith("No such task.")
    assert error_text(no_list).endswith("No such list.")
    assert "status" in error_text(bad_status)
    assert "due_at" in error_text(naive_time)
    for result in (blank, not_an_id, missing, no_list, naive_time):
        text = error_text(result)
        assert "Traceback" not in text
        assert "sqlalchemy" not in text.lower()
        assert "asyncpg" not in text
    assert nothing_left == []


async def test_a_task_made_through_rest_is_there_for_the_agent(service: Service, mode: str) -> None:
    user = new_user()
    with rest(service) as http:
        made = http.post(TASKS_PATH, json={"title": "Made in the web app"}, headers=auth(user)).json()
    async with mcp_client(service.mcp_url, token_for(user), mode) as client:
        tasks = listed(await client.call_tool("list_tasks", {}))
        completed = structured(await client.call_tool("complete_task", {"task_id": made["id"]}))

    assert [task["id"] for task in tasks] == [made["id"]]
    assert completed["title"] == "Made in the web app"
    with rest(service) as http:
        assert http.get(f"{TASKS_PATH}/{made['id']}", headers=auth(user)).json()["completed"] is True


async def test_a_missing_bad_or_expired_token_is_refused_before_any_tool_runs(service: Service) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    expired = token_for(new_user(), lifetime=timedelta(seconds=-120))
    with rest(service) as http:
        answers = {
            "missing": http.post("/mcp", json=initialize, headers=headers),
            "bad": http.post(
                "/mcp", json=initialize, headers={**headers, "Authorization": "Bearer not.a.token"}
            ),
            "expired": http.post(
                "/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {expired}"}
            ),
        }
        no_metadata = http.get("/.well-known/oauth-protected-resource")

    for answer in answers.values():
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert answer.headers["www-authenticate"].startswith("Bearer")
        # Local accounts only: no authorization server to point at.
        assert "resource_metadata" not in answer.headers["www-authenticate"]
    assert 'error="invalid_token"' in answers["expired"].headers["www-authenticate"]
    assert no_metadata.status_code == 404
    statuses: list[int] = []

    async def seen(response: httpx2.Response) -> None:
        statuses.append(response.status_code)

    with pytest.raises(Exception):  # noqa: B017, PT011 (the SDK's client gives up: which error is its own)
        async with mcp_client(service.mcp_url, "not.a.token", event_hooks={"response": [seen]}) as client:
            await client.list_tools()
    assert statuses
    assert set(statuses) == {401}


async def test_mcp_is_served_over_post_only_so_nobody_holds_a_stream_open(service: Service) -> None:
    headers = {**auth(new_user()), "Accept": "application/json, text/event-stream"}
    with rest(service) as http:
        stream = http.get("/mcp", headers={**headers, "Accept": "text/event-stream"})
        ended = http.delete("/mcp", headers=headers)

    for answer in (stream, ended):
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE


@pytest.fixture(scope="module")
def better_auth_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Any, str]]:
    """A service whose tokens come from an external issuer (Better Auth's JWKS), on SQLite."""
    key = ed25519_key()
    cwd = tmp_path_factory.mktemp("mcp-jwks")
    with serving_jwks(key) as jwks:
        env = clean_environment(
            DATABASE_URL=f"sqlite:///{cwd / 'tasks.db'}",
            AUTH_JWKS_URL=jwks.url,
            AUTH_ISSUER=jwks.base_url,
            AUTH_AUDIENCE=jwks.base_url,
        )
        with served(cwd, env) as base_url:
            yield Service(base_url, cwd, env), key, jwks.base_url


async def test_with_an_external_issuer_a_refusal_points_to_metadata_naming_it(
    better_auth_service: tuple[Service, Any, str],
) -> None:
    service, key, issuer = better_auth_service
    with rest(service) as http:
        refused = http.post("/mcp", json={}, headers={"Accept": "application/json, text/event-stream"})
        challenge = refused.headers["www-authenticate"]
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        metadata = http.get(metadata_url)
        by_path = http.get("/.well-known/oauth-protected-resource/mcp")

    assert refused.status_code == 401
    assert challenge.startswith("Bearer ")
    assert metadata_url == f"{service.base_url}/.well-known/oauth-protected-resource"
    assert metadata.status_code == 200
    document = metadata.json()
    assert document["resource"] == service.mcp_url
    assert document["authorization_servers"] == [issuer]
    assert document["bearer_methods_supported"] == ["header"]
    assert by_path.json() == document
    # A token from that issuer is the caller.
    token = better_auth_token(key, "ba-agent-user", issuer)
    async with mcp_client(service.mcp_url, token) as client:
        added = structured(await client.call_tool("add_task", {"title": "From the assistant"}))
    with rest(service) as http:
        seen = http.get(f"{TASKS_PATH}/{added['task_id']}", headers={"Authorization": f"Bearer {token}"})
    assert seen.json()["title"] == "From the assistant"


def stdio_server(service: Service, token: str | None) -> StdioServerParameters:
    env = dict(service.env)
    if token is not None:
        env["TASKS_TOKEN"] = token
    return StdioServerParameters(command=TASKS, args=["mcp"], env=env, cwd=str(service.cwd))


async def test_tasks_mcp_over_stdio_acts_for_the_user_of_tasks_token_on_the_same_store(
    service: Service,
) -> None:
    user, other = new_user(), new_user()
    with rest(service) as http:
        from_web = http.post(TASKS_PATH, json={"title": "From the web app"}, headers=auth(user)).json()
        others = http.post(TASKS_PATH, json={"title": "Someone else's"}, headers=auth(other)).json()

    async with Client(stdio_server(service, token_for(user)), raise_exceptions=True) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        seen = listed(await client.call_tool("list_tasks", {}))
        added = structured(await client.call_tool("add_task", {"title": "From the local agent"}))
        foreign = await client.call_tool("delete_task", {"task_id": others["id"]})

    assert tools == SPEC_TOOLS
    assert [task["id"] for task in seen] == [from_web["id"]]
    assert error_text(foreign).endswith("No such task.")
    with rest(service) as http:
        mine = http.get(TASKS_PATH, headers=auth(user)).json()["items"]
        theirs = http.get(f"{TASKS_PATH}/{others['id']}", headers=auth(other))
    assert [task["title"] for task in mine] == ["From the local agent", "From the web app"]
    assert added["task_id"] == mine[0]["id"]
    assert theirs.status_code == 200


@pytest.mark.parametrize(
    ("token", "said"),
    [(None, "TASKS_TOKEN is not set"), ("not.a.token", "TASKS_TOKEN is not a token this service accepts")],
)
def test_tasks_mcp_without_a_good_token_says_so_and_stops(
    service: Service, token: str | None, said: str
) -> None:
    env = dict(service.env)
    env.pop("TASKS_TOKEN", None)
    if token is not None:
        env["TASKS_TOKEN"] = token
    done = subprocess.run(
        [TASKS, "mcp"], cwd=service.cwd, env=env, input=b"", capture_output=True, timeout=60, check=False
    )

    assert done.returncode == 2
    assert said in done.stderr.decode()
    assert done.stdout == b""  # stdout is the protocol's: nothing else is ever written there
