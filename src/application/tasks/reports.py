"""Counts over the owner's tasks, computed where the tasks are stored."""

from uuid import UUID

from application.ports import Clock, UnitOfWorkFactory
from application.summaries import TagCount, TaskStats
from application.tasks.listing import require_places
from domain.task import UNSET, Unset


class GetTaskStats:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, owner_id: str, *, list_id: UUID | Unset | None = UNSET) -> TaskStats:
        """Over all the owner's tasks, or one list's (None: the Inbox's)."""
        async with self._uow(owner_id) as uow:
            await require_places(uow, list_id)
            return await uow.tasks.stats(self._clock.now(), list_id=list_id)


class ListTags:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, owner_id: str) -> list[TagCount]:
        async with self._uow(owner_id) as uow:
            return await uow.tasks.tag_counts()
