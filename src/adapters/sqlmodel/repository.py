"""The tasks repository over SQL: Core statements, every one filtered by owner."""

from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Update,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import UnaryExpression

from adapters.sqlmodel.mappers import row_to_task, task_to_row
from adapters.sqlmodel.tables import tasks_table
from application.ports import TaskRepository
from application.queries import PagePosition, SortField, TaskFilter, escape_like
from application.summaries import TagCount, TaskStats
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
        statement = _SELECT.where(_t.user_id == owner_id, *self._conditions(task_filter))
        column, descending = _SORT_COLUMNS[task_filter.sort.field], task_filter.sort.descending
        if task_filter.after is not None:
            statement = statement.where(_after(column, task_filter.after, descending))
        # `column IS NULL` first: false (has a value) sorts before true, so missing values come last.
        order: list[ColumnElement[Any]] = [_directed(column, descending), _directed(_t.id, descending)]
        if column.nullable:
            order.insert(0, column.is_(None))
        statement = statement.order_by(*order).limit(task_filter.limit)
        rows = (await self._session.execute(statement)).mappings()
        return [row_to_task(row) for row in rows]

    def _conditions(self, wanted: TaskFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if wanted.completed is not None:
            conditions.append(_t.completed == wanted.completed)
        if wanted.priority is not None:
            conditions.append(_t.priority == wanted.priority.rank)
        if wanted.tags:
            conditions.extend(self._carries_tags(wanted.tags))
        if wanted.text is not None:
            conditions.append(_t.search_key.like(f"%{escape_like(wanted.text)}%", escape="\\"))
        # Times are bound in UTC, as stored: SQLite compares clock readings, not instants.
        if wanted.due_before is not None:
            conditions.append(_t.due_at < wanted.due_before.astimezone(UTC))
        if wanted.due_after is not None:
            conditions.append(_t.due_at > wanted.due_after.astimezone(UTC))
        if wanted.overdue is not None:
            overdue = and_(_t.due_at < wanted.now, _t.completed.is_(False))
            conditions.append(overdue if wanted.overdue else or_(_t.due_at.is_(None), not_(overdue)))
        return conditions

    def _carries_tags(self, tags: tuple[str, ...]) -> list[ColumnElement[bool]]:
        if self._session.get_bind().dialect.name == "postgresql":
            return [type_coerce(_t.tags, JSONB).contains(list(tags))]  # served by the GIN index
        elements = func.json_each(_t.tags).table_valued("value")
        return [exists().select_from(elements).where(elements.c.value == tag) for tag in tags]

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

    async def _get_many(self, owner_id: str, task_ids: frozenset[UUID], for_update: bool) -> dict[UUID, Task]:
        statement = _SELECT.where(_t.user_id == owner_id, _t.id.in_(sorted(task_ids)))
        if for_update:
            # Locked in id order, so two requests locking overlapping sets cannot deadlock.
            statement = statement.order_by(_t.id).with_for_update()
        rows = (await self._session.execute(statement)).mappings()
        return {task.id: task for task in map(row_to_task, rows)}

    async def _delete_many(self, owner_id: str, task_ids: frozenset[UUID]) -> set[UUID]:
        statement = (
            delete(tasks_table).where(_t.user_id == owner_id, _t.id.in_(sorted(task_ids))).returning(_t.id)
        )
        return set((await self._session.execute(statement)).scalars())

    async def _stats(self, owner_id: str, now: datetime) -> TaskStats:
        # COUNT skips the NULL a CASE without ELSE gives: a portable COUNT(*) FILTER (WHERE ...).
        overdue = and_(_t.completed.is_(False), _t.due_at < now)
        statement = select(
            func.count(), func.count(case((_t.completed, 1))), func.count(case((overdue, 1)))
        ).where(_t.user_id == owner_id)
        total, completed, late = (await self._session.execute(statement)).one()
        return TaskStats(total=total, completed=completed, pending=total - completed, overdue=late)

    async def _tag_counts(self, owner_id: str) -> list[TagCount]:
        postgres = self._session.get_bind().dialect.name == "postgresql"
        expand = func.jsonb_array_elements_text if postgres else func.json_each
        tag = expand(_t.tags).table_valued("value", joins_implicitly=True).alias("tag")
        count = func.count()
        # Names in code-point order, as SQLite's BINARY collation and Python order them.
        name_order = tag.c.value.collate("C") if postgres else tag.c.value
        statement = (
            select(tag.c.value, count)
            .select_from(tasks_table, tag)
            .where(_t.user_id == owner_id)
            .group_by(tag.c.value)
            .order_by(count.desc(), name_order)
        )
        rows = await self._session.execute(statement)
        return [TagCount(name=name, count=tally) for name, tally in rows]

    async def _changed_one(self, statement: Update | Delete) -> bool:
        result = cast(CursorResult[Any], await self._session.execute(statement))
        return result.rowcount == 1


_SORT_COLUMNS = {
    SortField.CREATED_AT: _t.created_at,
    SortField.DUE_AT: _t.due_at,
    SortField.PRIORITY: _t.priority,
    SortField.TITLE: _t.title_key,
}


def _after(column: ColumnElement[Any], position: PagePosition, descending: bool) -> ColumnElement[bool]:
    """Rows past the position in (value, id) order, rows without a value being last."""
    if position.value is None:
        return and_(column.is_(None), _beyond(_t.id, position.id, descending))
    past_value = _beyond(tuple_(column, _t.id), tuple_(position.value, position.id), descending)
    if not getattr(column, "nullable", False):
        return past_value
    return or_(and_(column.is_not(None), past_value), column.is_(None))


def _directed(column: ColumnElement[Any], descending: bool) -> UnaryExpression[Any]:
    return column.desc() if descending else column.asc()


def _beyond(left: ColumnElement[Any], right: Any, descending: bool) -> ColumnElement[bool]:
    beyond: ColumnElement[bool] = left < right if descending else left > right
    return beyond
