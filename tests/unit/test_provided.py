"""Routes take their use cases by type from the app's container; a route that asks for a class the
container does not make, or declares one class and asks for another, fails the app's build."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from application.tasks import GetTask, ListTasks
from entrypoints.container import Container
from entrypoints.http.dependencies import check_provided, provided, providers_by_type
from tests.support.app import test_settings


class NotMade:
    """A class no provider of the container makes."""


def _container() -> Container:
    return Container(settings=test_settings("sqlite+aiosqlite:///unused.db"))


def test_the_container_provides_each_use_case_by_its_class() -> None:
    by_type = providers_by_type(_container())

    assert isinstance(by_type[GetTask](), GetTask)
    assert isinstance(by_type[ListTasks](), ListTasks)


def test_a_route_declared_as_one_class_and_given_another_fails_the_build() -> None:
    router = APIRouter()

    @router.get("/mixed")
    async def mixed(get: Annotated[GetTask, Depends(provided(ListTasks))]) -> None: ...

    with pytest.raises(TypeError, match="declared"):
        check_provided(router.routes, providers_by_type(_container()))


def test_a_route_asking_for_a_class_the_container_does_not_make_fails_the_build() -> None:
    router = APIRouter()

    @router.get("/missing")
    async def missing(thing: Annotated[NotMade, Depends(provided(NotMade))]) -> None: ...

    with pytest.raises(LookupError, match="NotMade"):
        check_provided(router.routes, providers_by_type(_container()))
