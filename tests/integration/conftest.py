"""One unit-of-work factory per adapter, so a single contract suite checks them all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.sqlmodel.setup import create_database
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
    sql_database = create_database(database.url, pooler=database.pooler)

    def sql(owner_id: str) -> UnitOfWork:
        return SqlUnitOfWork(owner_id, database=sql_database)

    yield sql
    await sql_database.close()
