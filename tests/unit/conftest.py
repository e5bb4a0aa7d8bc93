"""Use cases wired to the in-memory adapters, a fake clock and predictable ids."""

from __future__ import annotations

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.cursors import CursorCodec
from application.ports import UnitOfWorkFactory
from application.tasks import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from tests.unit.fakes import FakeClock, SequentialIds

CURSOR_KEY = b"unit-test-cursor-key"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def uow(store: InMemoryStore) -> UnitOfWorkFactory:
    return lambda owner_id: InMemoryUnitOfWork(owner_id, store)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()


@pytest.fixture
def create(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> CreateTask:
    return CreateTask(uow, clock, ids)


@pytest.fixture
def get(uow: UnitOfWorkFactory) -> GetTask:
    return GetTask(uow)


@pytest.fixture
def list_tasks(uow: UnitOfWorkFactory, clock: FakeClock) -> ListTasks:
    return ListTasks(uow, CursorCodec(CURSOR_KEY), clock)


@pytest.fixture
def update(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> UpdateTask:
    return UpdateTask(uow, clock, ids)


@pytest.fixture
def replace(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> ReplaceTask:
    return ReplaceTask(uow, clock, ids)


@pytest.fixture
def toggle(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> ToggleTask:
    return ToggleTask(uow, clock, ids)


@pytest.fixture
def delete(uow: UnitOfWorkFactory) -> DeleteTask:
    return DeleteTask(uow)
