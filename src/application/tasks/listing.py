"""List the owner's tasks a page at a time, newest first, by keyset."""

from dataclasses import dataclass

from application.cursors import CursorCodec
from application.ports import PagePosition, TaskFilter, UnitOfWorkFactory
from domain.task import Task


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


class ListTasks:
    def __init__(self, uow: UnitOfWorkFactory, cursors: CursorCodec) -> None:
        self._uow = uow
        self._cursors = cursors

    async def __call__(
        self, owner_id: str, *, completed: bool | None = None, limit: int = 20, cursor: str | None = None
    ) -> TaskPage:
        if limit < 1:
            raise ValueError("a page holds at least one task")
        query = {"owner": owner_id, "completed": completed}
        after = None if cursor is None else self._cursors.decode(cursor, query)
        async with self._uow(owner_id) as uow:
            # One row past the page tells whether another page follows, without a COUNT.
            rows = await uow.tasks.find(TaskFilter(completed=completed, after=after, limit=limit + 1))
        items = rows[:limit]
        if len(rows) <= limit:
            return TaskPage(items=items, next_cursor=None)
        last = items[-1]
        position = PagePosition(created_at=last.created_at, id=last.id)
        return TaskPage(items=items, next_cursor=self._cursors.encode(position, query))
