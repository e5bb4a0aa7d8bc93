"""Schemathesis, in process: generated requests against the app's own OpenAPI, with its default checks."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from entrypoints.http.app import create_app
from tests.support.app import auth, test_settings
from tests.support.builders import new_owner
from tests.support.databases import migrate

# Loaded at import, not from a fixture: schemathesis.pytest.from_fixture breaks on pytest 9.2
# (it sets a private node attribute pytest removed). A null pool, because Schemathesis drives
# the ASGI app through a fresh event loop per call.
_FOLDER = Path(tempfile.mkdtemp(prefix="tasks-schemathesis-"))
_DATABASE_URL = f"sqlite+aiosqlite:///{_FOLDER / 'tasks.db'}"
app = create_app(test_settings(_DATABASE_URL, database_null_pool=True))
# The compatibility routes are lenient by design (any case, aliases, dates without a time): their
# own test (test_compat_openapi_conformance.py) checks them without expecting every request outside
# the schema to be refused.
# The live stream has no end to validate: its own tests (test_events.py) read it from a real server.
schema = (
    schemathesis.openapi.from_asgi("/openapi.json", app)
    .exclude(tag="compatibility")
    .exclude(method="GET", path="/api/v1/events")
)
OWNER_HEADERS = auth(new_owner())


@pytest.fixture(scope="module", autouse=True)
def _migrated_database() -> Iterator[None]:
    migrate(_DATABASE_URL)
    yield
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_conforms_to_the_published_schema(case: schemathesis.Case) -> None:
    if case.query:
        # Cursors are server-signed: an invented one is a forgery, which the contract answers
        # with 422 (tested in the API suite); here it would only read as valid data refused.
        case.query.pop("cursor", None)
        case.query.pop("since", None)  # a sync token: server-signed too
    if case.headers and "Idempotency-Key" in case.headers:
        # A key names one request: sent again with another body it is refused with 422 by
        # contract (tested in the API suite). Each generated request gets a key of its own,
        # still made of the characters Schemathesis chose.
        generated = case.headers["Idempotency-Key"]
        case.headers["Idempotency-Key"] = (uuid.uuid4().hex + generated)[:255]

    case.call_and_validate(headers=OWNER_HEADERS)
