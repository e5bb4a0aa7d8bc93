"""Counts over the owner's tasks, computed where the tasks are stored."""

from application.ports import Clock, UnitOfWorkFactory
from application.summaries import TagCount, TaskStats


class GetTaskStats:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, owner_id: str) -> TaskStats:
        async with self._uow(owner_id) as uow:
            return await uow.tasks.stats(self._clock.now())


class ListTags:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, owner_id: str) -> list[TagCount]:
        async with self._uow(owner_id) as uow:
            return await uow.tasks.tag_counts()
