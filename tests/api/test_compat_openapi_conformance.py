"""Schemathesis on every family of compatibility routes, with the caller's own id in the path where
there is one, so they answer, not 404."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from entrypoints.http.app import create_app
from tests.support.app import auth, test_settings
from tests.support.builders import new_owner
from tests.support.databases import migrate

# Set up as in test_openapi_conformance.py (which leaves these routes to this test): at import,
# on a null pool.
_FOLDER = Path(tempfile.mkdtemp(prefix="tasks-schemathesis-compat-"))
_DATABASE_URL = f"sqlite+aiosqlite:///{_FOLDER / 'tasks.db'}"
app = create_app(test_settings(_DATABASE_URL, database_null_pool=True))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
    path_regex=r"^/api/(\{user_id\}/|users/\{user_id\}/|tasks|tags)"
)
OWNER = new_owner()
OWNER_HEADERS = auth(OWNER)


@pytest.fixture(scope="module", autouse=True)
def _migrated_database() -> Iterator[None]:
    migrate(_DATABASE_URL)
    yield
    shutil.rmtree(_FOLDER, ignore_errors=True)


def _a_fresh_task_id() -> str:
    async def create() -> httpx.Response:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(f"/api/{OWNER}/tasks", json={"title": "Target"}, headers=OWNER_HEADERS)

    # Its own event loop, as Schemathesis uses for each call: the null pool lets both share the app.
    response = asyncio.run(create())
    assert response.status_code == 201, response.text
    task_id: str = response.json()["id"]
    return task_id


def _is_uuid(text: object) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_compatibility_operation_conforms_to_the_published_schema(case: schemathesis.Case) -> None:
    case.path_parameters = dict(case.path_parameters or {})
    if "{user_id}" in case.path:
        case.path_parameters["user_id"] = OWNER
    if _is_uuid(case.path_parameters.get("task_id", "")):
        # A task that exists, so reads and writes succeed; an id that is no UUID stays, for the 422.
        case.path_parameters["task_id"] = _a_fresh_task_id()

    # Every check but the one that wants requests outside the schema refused: these routes accept
    # more than the schema's canonical spellings on purpose (a priority in any case, a date
    # without a time, fields they do not know), as docs/api.md says.
    case.call_and_validate(headers=OWNER_HEADERS, excluded_checks=[negative_data_rejection])
