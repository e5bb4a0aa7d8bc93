"""The task lists repository over SQL, every statement filtered by owner, each list read with its
count of open tasks in the same query."""

from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, select, update

from adapters.sqlmodel.changes import LoggedInsert, add_logged
from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.mappers import list_to_row, row_to_list
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import lists_table, tasks_table
from application.ports import ListRepository
from application.queries import Sibling
from application.summaries import ListSummary
from domain.task_list import MAX_LISTS, TaskList

_l, _t = lists_table.c, tasks_table.c
_MINE = _l.user_id == bindparam("owner")
_ONE = and_(_MINE, _l.id == bindparam("list_id"))
_MUTABLE = [column.key for column in lists_table.columns if column.key not in {"id", "user_id", "created_at"}]
# Counted by the index on the tasks' places (owner, list, ...), one probe per list.
_OPEN_TASKS = (
    select(func.count())
    .where(_t.user_id == _l.user_id, _t.list_id == _l.id, _t.completed.is_(False))
    .scalar_subquery()
    .label("open_tasks")
)
_COUNTED = select(*lists_table.columns, _OPEN_TASKS)

_INSERT = LoggedInsert(lists_table, "list")
_GET = Statement(select(lists_table).where(_ONE))
_GET_FOR_UPDATE = Statement(select(lists_table).where(_ONE).with_for_update())
_SUMMARY = Statement(_COUNTED.where(_ONE))
_SUMMARIES = Statement(
    _COUNTED.where(_MINE, _l.archived == bindparam("archived")).order_by(_l.position, _l.id).limit(MAX_LISTS)
)
_SIBLINGS = Statement(select(_l.position, _l.id).where(_MINE).order_by(_l.position, _l.id))
_COUNT = Statement(select(func.count().label("count")).where(_MINE))
_UPDATE = Statement(
    update(lists_table)
    .where(_ONE, _l.version == bindparam("expected_version"))
    .values({name: bindparam(f"new_{name}") for name in _MUTABLE})
)
_DELETE = Statement(delete(lists_table).where(_ONE))
_DELETE_AT_VERSION = Statement(delete(lists_table).where(_ONE, _l.version == bindparam("expected_version")))


class SqlListRepository(ListRepository):
    def __init__(self, owner_id: str, transaction: Transaction[Any]) -> None:
        super().__init__(owner_id)
        self._transaction = transaction

    async def _add(self, task_list: TaskList) -> None:
        await add_logged(self._transaction, _INSERT, "list", list_to_row(task_list))

    async def _get(self, owner_id: str, list_id: UUID, for_update: bool) -> TaskList | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = await self._transaction.fetch_one(statement, {"owner": owner_id, "list_id": list_id})
        return None if row is None else row_to_list(row)

    async def _summary(self, owner_id: str, list_id: UUID) -> ListSummary | None:
        row = await self._transaction.fetch_one(_SUMMARY, {"owner": owner_id, "list_id": list_id})
        return None if row is None else _summary(row)

    async def _summaries(self, owner_id: str, archived: bool) -> list[ListSummary]:
        rows = await self._transaction.fetch(_SUMMARIES, {"owner": owner_id, "archived": archived})
        return [_summary(row) for row in rows]

    async def _siblings(self, owner_id: str) -> list[Sibling]:
        rows = await self._transaction.fetch(_SIBLINGS, {"owner": owner_id})
        return [Sibling(row["position"], row["id"]) for row in rows]

    async def _count(self, owner_id: str) -> int:
        row = await self._transaction.fetch_one(_COUNT, {"owner": owner_id})
        assert row is not None  # an aggregate without GROUP BY always gives one row
        return int(row["count"])

    async def _update(self, owner_id: str, task_list: TaskList, expected_version: int) -> bool:
        values = {f"new_{name}": value for name, value in list_to_row(task_list).items()}
        values.update(owner=owner_id, list_id=task_list.id, expected_version=expected_version)
        return await self._transaction.execute(_UPDATE, values) == 1

    async def _delete(self, owner_id: str, list_id: UUID, expected_version: int | None) -> bool:
        statement = _DELETE if expected_version is None else _DELETE_AT_VERSION
        values = {"owner": owner_id, "list_id": list_id, "expected_version": expected_version}
        return await self._transaction.execute(statement, values) == 1


def _summary(row: dict[str, Any]) -> ListSummary:
    open_tasks = row.pop("open_tasks")
    return ListSummary(list=row_to_list(row), open_tasks=int(open_tasks))
