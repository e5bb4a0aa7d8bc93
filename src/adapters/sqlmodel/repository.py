"""The tasks repository over SQL: Core statements compiled once, every one filtered by owner."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
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

from adapters.sqlmodel.changes import LoggedInsert, add_logged
from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.mappers import row_to_task, task_to_row
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import tasks_table
from application.ports import TaskRepository
from application.queries import Place, Sibling, SortField, TaskFilter
from application.summaries import TagCount, TaskStats
from domain.task import MAX_DEPTH, UNSET, Task, Unset

_t = tasks_table.c
# The task's own columns: the folded keys are for sorting and searching in SQL, not for reading back.
_SELECT = select(*(column for column in tasks_table.columns if column.key not in {"title_key", "search_key"}))
_MUTABLE = [column.key for column in tasks_table.columns if column.key not in {"id", "user_id", "created_at"}]
_ONE = and_(_t.user_id == bindparam("owner"), _t.id == bindparam("task_id"))

_INSERT = LoggedInsert(tasks_table, "task")
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
_COUNTS = select(
    func.count().label("total"),
    func.count(case((_t.completed, 1))).label("completed"),
    func.count(case((and_(_t.completed.is_(False), _t.due_at < bindparam("now")), 1))).label("overdue"),
).where(_t.user_id == bindparam("owner"))
# Over every task, over the Inbox's, over one list's.
_STATS = {
    "any": Statement(_COUNTS),
    "none": Statement(_COUNTS.where(_t.list_id.is_(None))),
    "one": Statement(_COUNTS.where(_t.list_id == bindparam("list_id"))),
}

_SORT_COLUMNS = {
    SortField.CREATED_AT: _t.created_at,
    SortField.DUE_AT: _t.due_at,
    SortField.PRIORITY: _t.priority,
    SortField.TITLE: _t.title_key,
    SortField.POSITION: _t.position,
}


def _which(value: object) -> str:
    """How a list (or parent) condition reads: any, none (the Inbox, top level), or one by id."""
    return "any" if value is UNSET else "none" if value is None else "one"


def _in_place(which_list: str, which_parent: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if which_list != "any":
        conditions.append(
            _t.list_id.is_(None) if which_list == "none" else _t.list_id == bindparam("list_id")
        )
    if which_parent != "any":
        conditions.append(
            _t.parent_id.is_(None) if which_parent == "none" else _t.parent_id == bindparam("parent_id")
        )
    return conditions


# --- Subtrees: recursive walks, bounded past the deepest a tree may be (a guard, never reached) ---

_WALK_LIMIT = MAX_DEPTH * 2


def _ancestors() -> CTE:
    start = select(_t.id, _t.parent_id, literal_column("0", Integer).label("depth")).where(_ONE)
    up = start.cte("up", recursive=True)
    return up.union_all(
        select(_t.id, _t.parent_id, (up.c.depth + 1).label("depth")).where(
            _t.user_id == bindparam("owner"), _t.id == up.c.parent_id, up.c.depth < _WALK_LIMIT
        )
    )


def _descendants() -> CTE:
    start = select(_t.id, literal_column("1", Integer).label("depth")).where(
        _t.user_id == bindparam("owner"), _t.parent_id == bindparam("task_id")
    )
    down = start.cte("down", recursive=True)
    return down.union_all(
        select(_t.id, (down.c.depth + 1).label("depth")).where(
            _t.user_id == bindparam("owner"), _t.parent_id == down.c.id, down.c.depth < _WALK_LIMIT
        )
    )


_UP = _ancestors()
_ANCESTRY = Statement(select(_UP.c.id).where(_UP.c.depth > 0).order_by(_UP.c.depth))
_DOWN = _descendants()
_SUBTREE = Statement(
    _SELECT.join(_DOWN, _DOWN.c.id == _t.id)
    .where(_t.user_id == bindparam("owner"))
    .order_by(_DOWN.c.depth, _t.position, _t.id)
)
_IN_SUBTREE = and_(_t.user_id == bindparam("owner"), _t.id.in_(select(_DOWN.c.id)))
_NEW_VERSION = {"updated_at": bindparam("now"), "version": _t.version + 1}
_COMPLETE_SUBTREE = Statement(
    update(tasks_table)
    .where(_IN_SUBTREE, _t.completed.is_(False))
    .values(completed=True, completed_at=bindparam("now"), **_NEW_VERSION)
)
_MOVE_SUBTREE = Statement(
    update(tasks_table)
    .where(_IN_SUBTREE, _t.list_id.is_distinct_from(bindparam("list_id", type_=_t.list_id.type)))
    .values(list_id=bindparam("list_id", type_=_t.list_id.type), **_NEW_VERSION)
)


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
        await add_logged(self._transaction, _INSERT, "task", task_to_row(task))

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

    async def _stats(self, owner_id: str, now: datetime, list_id: UUID | Unset | None) -> TaskStats:
        values = {"owner": owner_id, "now": now, "list_id": list_id}
        row = await self._transaction.fetch_one(_STATS[_which(list_id)], values)
        assert row is not None  # an aggregate without GROUP BY always gives one row
        total, completed = row["total"], row["completed"]
        return TaskStats(total=total, completed=completed, pending=total - completed, overdue=row["overdue"])

    async def _tag_counts(self, owner_id: str) -> list[TagCount]:
        rows = await self._transaction.fetch(_TAG_COUNTS, {"owner": owner_id})
        return [TagCount(name=row["name"], count=row["count"]) for row in rows]

    async def _siblings(
        self, owner_id: str, place: Place, after: Sibling | None, limit: int | None, last: bool
    ) -> list[Sibling]:
        shape = (_which(place.list_id), _which(place.parent_id), after is not None, limit is not None, last)
        statement = _SIBLINGS.get(shape)
        if statement is None:
            statement = _SIBLINGS[shape] = Statement(_siblings_statement(*shape))
        values: dict[str, Any] = {
            "owner": owner_id,
            "list_id": place.list_id,
            "parent_id": place.parent_id,
            "limit": limit,
        }
        if after is not None:
            values.update(after_value=after.position, after_id=after.id)
        rows = await self._transaction.fetch(statement, values)
        return [Sibling(row["position"], row["id"]) for row in rows]

    async def _ancestry(self, owner_id: str, task_id: UUID) -> list[UUID]:
        rows = await self._transaction.fetch(_ANCESTRY, {"owner": owner_id, "task_id": task_id})
        return [row["id"] for row in rows]

    async def _subtree(self, owner_id: str, task_id: UUID) -> list[Task]:
        rows = await self._transaction.fetch(_SUBTREE, {"owner": owner_id, "task_id": task_id})
        return [row_to_task(row) for row in rows]

    async def _complete_subtree(self, owner_id: str, task_id: UUID, now: datetime) -> int:
        values = {"owner": owner_id, "task_id": task_id, "now": now}
        return await self._transaction.execute(_COMPLETE_SUBTREE, values)

    async def _move_subtree(self, owner_id: str, task_id: UUID, list_id: UUID | None, now: datetime) -> int:
        values = {"owner": owner_id, "task_id": task_id, "list_id": list_id, "now": now}
        return await self._transaction.execute(_MOVE_SUBTREE, values)


_SIBLINGS: dict[tuple[Any, ...], Statement] = {}


def _siblings_statement(
    which_list: str, which_parent: str, after: bool, limited: bool, last: bool
) -> Select[Any]:
    """A sibling group's positions in manual order (backwards when `last`), past a position."""
    statement = select(_t.position, _t.id).where(
        _t.user_id == bindparam("owner"), *_in_place(which_list, which_parent)
    )
    if after:
        statement = statement.where(_after(_t.position, False, last))
    order = [_directed(_t.position, last), _directed(_t.id, last)]
    statement = statement.order_by(*_fixed_place(which_list, which_parent, last), *order)
    return statement.limit(bindparam("limit")) if limited else statement


def _fixed_place(which_list: str, which_parent: str, descending: bool) -> list[UnaryExpression[Any]]:
    """The place columns a condition fixes, to lead the ORDER BY: one value throughout, so the order
    is the same, but PostgreSQL takes only `=`, not IS NULL, as fixing an index column, and without
    them it sorts the Inbox or a list's top level instead of reading ix_tasks_owner_place in order."""
    fixed = [
        column for column, which in ((_t.list_id, which_list), (_t.parent_id, which_parent)) if which != "any"
    ]
    return [_directed(column, descending) for column in fixed]


# --- Listings: one compiled statement per shape (which filters, which sort, whether a cursor) ---

_LISTINGS: dict[tuple[Any, ...], Statement] = {}


def _listing(wanted: TaskFilter) -> Statement:
    shape = _listing_shape(wanted)
    statement = _LISTINGS.get(shape)
    if statement is None:
        statement = _LISTINGS[shape] = Statement(lambda dialect: _listing_statement(wanted, dialect))
    return statement


def _listing_shape(wanted: TaskFilter) -> tuple[Any, ...]:
    """What decides a listing's SQL: which conditions (the first nine), the sort, any position."""
    after = wanted.after
    return (
        wanted.completed is not None,
        wanted.priority is not None,
        len(wanted.tags),
        wanted.text is not None,
        wanted.due_before is not None,
        wanted.due_after is not None,
        wanted.overdue,
        _which(wanted.list_id),
        _which(wanted.parent_id),
        wanted.sort.field,
        wanted.sort.descending,
        None if after is None else after.value is None,
        wanted.offset > 0,
    )


_COUNTINGS: dict[tuple[Any, ...], Statement] = {}


def _counting(wanted: TaskFilter) -> Statement:
    """How many rows the filter's conditions select (no sort, position or limit)."""
    shape = _listing_shape(wanted)[:9]  # the conditions' part of the shape
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
    if wanted.sort.field is SortField.POSITION:
        order[:0] = _fixed_place(_which(wanted.list_id), _which(wanted.parent_id), descending)
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
    conditions.extend(_in_place(_which(wanted.list_id), _which(wanted.parent_id)))
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
        "list_id": wanted.list_id,
        "parent_id": wanted.parent_id,
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
