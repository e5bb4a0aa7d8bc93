"""The tasks repository over SQL: Core statements compiled once, every one filtered by owner."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
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
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import UnaryExpression

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.mappers import row_to_task, task_to_row
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import tasks_table
from application.ports import TaskRepository
from application.queries import SortField, TaskFilter
from application.summaries import TagCount, TaskStats
from domain.task import Task

_t = tasks_table.c
# The task's own columns: the folded keys are for sorting and searching in SQL, not for reading back.
_SELECT = select(*(column for column in tasks_table.columns if column.key not in {"title_key", "search_key"}))
_MUTABLE = [column.key for column in tasks_table.columns if column.key not in {"id", "user_id", "created_at"}]
_ONE = and_(_t.user_id == bindparam("owner"), _t.id == bindparam("task_id"))

_INSERT = Statement(insert(tasks_table))
_GET = Statement(_SELECT.where(_ONE))
# A row lock on PostgreSQL; on SQLite the process's write lock, taken from this read on (sqlite.py).
_GET_FOR_UPDATE = Statement(_SELECT.where(_ONE).with_for_update())
# Bound as new_<column>: a bound name that is a column's own is reserved for the SET clause.
_UPDATE = Statement(
    update(tasks_table)
    .where(_ONE, _t.version == bindparam("expected_version"))
    .values({name: bindparam(f"new_{name}") for name in _MUTABLE})
)
_DELETE = Statement(delete(tasks_table).where(_ONE))
_DELETE_AT_VERSION = Statement(delete(tasks_table).where(_ONE, _t.version == bindparam("expected_version")))
# COUNT skips the NULL a CASE without ELSE gives: a portable COUNT(*) FILTER (WHERE ...).
_STATS = Statement(
    select(
        func.count().label("total"),
        func.count(case((_t.completed, 1))).label("completed"),
        func.count(case((and_(_t.completed.is_(False), _t.due_at < bindparam("now")), 1))).label("overdue"),
    ).where(_t.user_id == bindparam("owner"))
)

_SORT_COLUMNS = {
    SortField.CREATED_AT: _t.created_at,
    SortField.DUE_AT: _t.due_at,
    SortField.PRIORITY: _t.priority,
    SortField.TITLE: _t.title_key,
}


def _tag_counts(dialect: Dialect) -> Select[Any]:
    postgres = dialect.name == "postgresql"
    expand = func.jsonb_array_elements_text if postgres else func.json_each
    tag = expand(_t.tags).table_valued("value", joins_implicitly=True).alias("tag")
    count = func.count().label("count")
    # Names in code-point order, as SQLite's BINARY collation and Python order them.
    name_order = tag.c.value.collate("C") if postgres else tag.c.value
    return (
        select(tag.c.value.label("name"), count)
        .select_from(tasks_table, tag)
        .where(_t.user_id == bindparam("owner"))
        .group_by(tag.c.value)
        .order_by(count.desc(), name_order)
    )


_TAG_COUNTS = Statement(_tag_counts)


class SqlTaskRepository(TaskRepository):
    def __init__(self, owner_id: str, transaction: Transaction[Any]) -> None:
        super().__init__(owner_id)
        self._transaction = transaction

    async def _add(self, task: Task) -> None:
        await self._transaction.write(_INSERT, task_to_row(task))

    async def _get(self, owner_id: str, task_id: UUID, for_update: bool) -> Task | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = await self._transaction.fetch_one(statement, {"owner": owner_id, "task_id": task_id})
        return None if row is None else row_to_task(row)

    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]:
        rows = await self._transaction.fetch(_listing(task_filter), _listing_values(owner_id, task_filter))
        return [row_to_task(row) for row in rows]

    async def _count(self, owner_id: str, task_filter: TaskFilter) -> int:
        row = await self._transaction.fetch_one(
            _counting(task_filter), _listing_values(owner_id, task_filter)
        )
        assert row is not None  # an aggregate without GROUP BY always gives one row
        return int(row["count"])

    async def _update(self, owner_id: str, task: Task, expected_version: int) -> bool:
        values = {f"new_{name}": value for name, value in task_to_row(task).items()}
        values.update(owner=owner_id, task_id=task.id, expected_version=expected_version)
        return await self._transaction.execute(_UPDATE, values) == 1

    async def _delete(self, owner_id: str, task_id: UUID, expected_version: int | None) -> bool:
        statement = _DELETE if expected_version is None else _DELETE_AT_VERSION
        values = {"owner": owner_id, "task_id": task_id, "expected_version": expected_version}
        return await self._transaction.execute(statement, values) == 1

    async def _get_many(self, owner_id: str, task_ids: frozenset[UUID], for_update: bool) -> dict[UUID, Task]:
        statement = _SELECT.where(_t.user_id == owner_id, _t.id.in_(sorted(task_ids)))
        if for_update:
            # Locked in id order, so two requests locking overlapping sets cannot deadlock.
            statement = statement.order_by(_t.id).with_for_update()
        rows = await self._transaction.fetch(Statement(statement))
        return {task.id: task for task in map(row_to_task, rows)}

    async def _delete_many(self, owner_id: str, task_ids: frozenset[UUID]) -> set[UUID]:
        statement = (
            delete(tasks_table).where(_t.user_id == owner_id, _t.id.in_(sorted(task_ids))).returning(_t.id)
        )
        rows = await self._transaction.fetch(Statement(statement))
        return {row["id"] for row in rows}

    async def _stats(self, owner_id: str, now: datetime) -> TaskStats:
        row = await self._transaction.fetch_one(_STATS, {"owner": owner_id, "now": now})
        assert row is not None  # an aggregate without GROUP BY always gives one row
        total, completed = row["total"], row["completed"]
        return TaskStats(total=total, completed=completed, pending=total - completed, overdue=row["overdue"])

    async def _tag_counts(self, owner_id: str) -> list[TagCount]:
        rows = await self._transaction.fetch(_TAG_COUNTS, {"owner": owner_id})
        return [TagCount(name=row["name"], count=row["count"]) for row in rows]


# --- Listings: one compiled statement per shape (which filters, which sort, whether a cursor) ---

_LISTINGS: dict[tuple[Any, ...], Statement] = {}


def _listing(wanted: TaskFilter) -> Statement:
    shape = _listing_shape(wanted)
    statement = _LISTINGS.get(shape)
    if statement is None:
        statement = _LISTINGS[shape] = Statement(lambda dialect: _listing_statement(wanted, dialect))
    return statement


def _listing_shape(wanted: TaskFilter) -> tuple[Any, ...]:
    """What decides a listing's SQL: which conditions (the first seven), the sort, any position."""
    after = wanted.after
    return (
        wanted.completed is not None,
        wanted.priority is not None,
        len(wanted.tags),
        wanted.text is not None,
        wanted.due_before is not None,
        wanted.due_after is not None,
        wanted.overdue,
        wanted.sort.field,
        wanted.sort.descending,
        None if after is None else after.value is None,
        wanted.offset > 0,
    )


_COUNTINGS: dict[tuple[Any, ...], Statement] = {}


def _counting(wanted: TaskFilter) -> Statement:
    """How many rows the filter's conditions select (no sort, position or limit)."""
    shape = _listing_shape(wanted)[:7]  # the conditions' part of the shape
    statement = _COUNTINGS.get(shape)
    if statement is None:
        statement = _COUNTINGS[shape] = Statement(
            lambda dialect: (
                select(func.count().label("count"))
                .select_from(tasks_table)
                .where(_t.user_id == bindparam("owner"), *_conditions(wanted, dialect))
            )
        )
    return statement


def _listing_statement(wanted: TaskFilter, dialect: Dialect) -> Select[Any]:
    """The statement for this filter's shape, its values left as bound parameters (see _listing_values)."""
    statement = _SELECT.where(_t.user_id == bindparam("owner"), *_conditions(wanted, dialect))
    column, descending = _SORT_COLUMNS[wanted.sort.field], wanted.sort.descending
    if wanted.after is not None:
        statement = statement.where(_after(column, wanted.after.value is None, descending))
    # `column IS NULL` first: false (has a value) sorts before true, so missing values come last.
    order: list[ColumnElement[Any]] = [_directed(column, descending), _directed(_t.id, descending)]
    if column.nullable:
        order.insert(0, column.is_(None))
    statement = statement.order_by(*order).limit(bindparam("limit"))
    return statement.offset(bindparam("offset")) if wanted.offset else statement


def _conditions(wanted: TaskFilter, dialect: Dialect) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.completed is not None:
        conditions.append(_t.completed == bindparam("completed"))
    if wanted.priority is not None:
        conditions.append(_t.priority == bindparam("priority"))
    if wanted.tags:
        if dialect.name == "postgresql":  # served by the GIN index
            conditions.append(type_coerce(_t.tags, JSONB).contains(bindparam("tags", type_=JSONB)))
        else:
            for n in range(len(wanted.tags)):
                elements = func.json_each(_t.tags).table_valued("value")
                carries = exists().select_from(elements).where(elements.c.value == bindparam(f"tag_{n}"))
                conditions.append(carries)
    if wanted.text is not None:
        conditions.append(_t.search_key.like(bindparam("text"), escape="\\"))
    if wanted.due_before is not None:
        conditions.append(_t.due_at < bindparam("due_before"))
    if wanted.due_after is not None:
        conditions.append(_t.due_at > bindparam("due_after"))
    if wanted.overdue is not None:
        overdue = and_(_t.due_at < bindparam("now"), _t.completed.is_(False))
        conditions.append(overdue if wanted.overdue else or_(_t.due_at.is_(None), not_(overdue)))
    return conditions


def _listing_values(owner_id: str, wanted: TaskFilter) -> dict[str, Any]:
    """The bound values for _listing_statement's parameters. Times are bound in UTC, as stored:
    SQLite compares clock readings, not instants."""
    values: dict[str, Any] = {
        "owner": owner_id,
        "completed": wanted.completed,
        "priority": None if wanted.priority is None else wanted.priority.rank,
        "tags": list(wanted.tags),
        "text": None if wanted.text is None else f"%{escape_like(wanted.text)}%",
        "due_before": None if wanted.due_before is None else wanted.due_before.astimezone(UTC),
        "due_after": None if wanted.due_after is None else wanted.due_after.astimezone(UTC),
        "now": wanted.now,
        "limit": wanted.limit,
        "offset": wanted.offset,
    }
    values.update({f"tag_{n}": tag for n, tag in enumerate(wanted.tags)})
    if wanted.after is not None:
        values.update(after_value=wanted.after.value, after_id=wanted.after.id)
    return values


def _after(column: ColumnElement[Any], at_missing_value: bool, descending: bool) -> ColumnElement[bool]:
    """Rows past the position in (value, id) order, rows without a value being last."""
    after_id = bindparam("after_id", type_=_t.id.type)
    if at_missing_value:
        return and_(column.is_(None), _beyond(_t.id, after_id, descending))
    after_value = bindparam("after_value", type_=column.type)
    past_value = _beyond(tuple_(column, _t.id), tuple_(after_value, after_id), descending)
    if not getattr(column, "nullable", False):
        return past_value
    return or_(and_(column.is_not(None), past_value), column.is_(None))


def _directed(column: ColumnElement[Any], descending: bool) -> UnaryExpression[Any]:
    return column.desc() if descending else column.asc()


def _beyond(left: ColumnElement[Any], right: Any, descending: bool) -> ColumnElement[bool]:
    beyond: ColumnElement[bool] = left < right if descending else left > right
    return beyond


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with `\\` as the escape character: %, _ and \\ match literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
