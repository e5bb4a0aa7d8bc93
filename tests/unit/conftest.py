"""The real composition root, with the in-memory adapters, a fake clock and predictable ids
overridden in it: use cases are wired as the service wires them, never by hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from dependency_injector import providers

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
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
from entrypoints.container import Container
from tests.support.app import test_settings
from tests.unit.fakes import FakeClock, SequentialIds

T = TypeVar("T")


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()


@pytest.fixture
def container(store: InMemoryStore, clock: FakeClock, ids: SequentialIds) -> Iterator[Container]:
    """No database is ever made: the unit of work, the clock and the ids are the fakes."""
    container = Container(settings=test_settings("sqlite+aiosqlite:///never-opened.db"))
    adapters = container.adapters
    with (
        adapters.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, store=store)),
        adapters.clock.override(providers.Object(clock)),
        adapters.ids.override(providers.Object(ids)),
    ):
        yield container


@pytest.fixture
def uow(container: Container) -> UnitOfWorkFactory:
    factory: UnitOfWorkFactory = container.adapters.unit_of_work
    return factory


@pytest.fixture
def create(container: Container) -> CreateTask:
    return _made(CreateTask, container.use_cases.create_task)


@pytest.fixture
def get(container: Container) -> GetTask:
    return _made(GetTask, container.use_cases.get_task)


@pytest.fixture
def list_tasks(container: Container) -> ListTasks:
    return _made(ListTasks, container.use_cases.list_tasks)


@pytest.fixture
def update(container: Container) -> UpdateTask:
    return _made(UpdateTask, container.use_cases.update_task)


@pytest.fixture
def replace(container: Container) -> ReplaceTask:
    return _made(ReplaceTask, container.use_cases.replace_task)


@pytest.fixture
def toggle(container: Container) -> ToggleTask:
    return _made(ToggleTask, container.use_cases.toggle_task)


@pytest.fixture
def delete(container: Container) -> DeleteTask:
    return _made(DeleteTask, container.use_cases.delete_task)


def _made(kind: type[T], provider: providers.Provider[Any]) -> T:
    """What the container makes, checked to be the class the test asks for."""
    made = provider()
    assert isinstance(made, kind)
    return made
