"""One unit-of-work factory per adapter, so a single contract suite checks them all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.sqlmodel.engine import create_engine, create_session_factory
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from application.ports import UnitOfWork, UnitOfWorkFactory
from tests.conftest import BACKENDS
from tests.support.databases import backend


@pytest.fixture(params=[pytest.param("memory", id="memory"), *BACKENDS])
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory(owner_id: str) -> UnitOfWork:
            return InMemoryUnitOfWork(owner_id, store)

        yield memory
        return
    database = backend(request, request.param)
    engine = create_engine(database.url, pooler=database.pooler)
    sessions = create_session_factory(engine)

    def sql(owner_id: str) -> UnitOfWork:
        return SqlUnitOfWork(owner_id, session_factory=sessions)

    yield sql
    await engine.dispose()
