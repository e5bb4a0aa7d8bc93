"""The tasks repository over SQL: Core statements, every one filtered by owner."""

from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Delete, Update, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqlmodel.mappers import row_to_task, task_to_row
from adapters.sqlmodel.tables import tasks_table
from application.ports import TaskFilter, TaskRepository
from domain.task import Task

_t = tasks_table.c
_INSERT = insert(tasks_table)
_SELECT = select(tasks_table)
_IMMUTABLE = {"id", "user_id", "created_at"}


class SqlTaskRepository(TaskRepository):
    def __init__(self, owner_id: str, session: AsyncSession) -> None:
        super().__init__(owner_id)
        self._session = session

    async def _add(self, task: Task) -> None:
        await self._session.execute(_INSERT, task_to_row(task))

    async def _get(self, owner_id: str, task_id: UUID, for_update: bool) -> Task | None:
        statement = _SELECT.where(_t.user_id == owner_id, _t.id == task_id)
        if for_update:
            # A row lock on PostgreSQL; SQLite has none and relies on the version check alone.
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).mappings().one_or_none()
        return None if row is None else row_to_task(row)

    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]:
        statement = _SELECT.where(_t.user_id == owner_id)
        if task_filter.completed is not None:
            statement = statement.where(_t.completed == task_filter.completed)
        if task_filter.after is not None:
            after = task_filter.after
            statement = statement.where(tuple_(_t.created_at, _t.id) < tuple_(after.created_at, after.id))
        statement = statement.order_by(_t.created_at.desc(), _t.id.desc()).limit(task_filter.limit)
        rows = (await self._session.execute(statement)).mappings()
        return [row_to_task(row) for row in rows]

    async def _update(self, owner_id: str, task: Task, expected_version: int) -> bool:
        values = {name: value for name, value in task_to_row(task).items() if name not in _IMMUTABLE}
        statement = (
            update(tasks_table)
            .where(_t.user_id == owner_id, _t.id == task.id, _t.version == expected_version)
            .values(values)
        )
        return await self._changed_one(statement)

    async def _delete(self, owner_id: str, task_id: UUID, expected_version: int | None) -> bool:
        statement = delete(tasks_table).where(_t.user_id == owner_id, _t.id == task_id)
        if expected_version is not None:
            statement = statement.where(_t.version == expected_version)
        return await self._changed_one(statement)

    async def _changed_one(self, statement: Update | Delete) -> bool:
        result = cast(CursorResult[Any], await self._session.execute(statement))
        return result.rowcount == 1
