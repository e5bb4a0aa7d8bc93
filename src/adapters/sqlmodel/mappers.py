"""The one codec between the domain's Task and what the database keeps of it: a row of the tasks
table, and the idempotency snapshot, which is that row as JSON.

Each column holds the Task field of its name (`user_id` holds `owner_id`), converted where the
column keeps it otherwise (`_TO_COLUMN`, `_TO_FIELD`); `title_key` and `search_key` are made from
the task. So a new Task field needs a column of its name (tables.py) and a migration, and a
conversion here only if the column keeps it otherwise. A field without a column fails at import.
"""

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, Uuid

from adapters.sqlmodel.tables import lists_table, tasks_table
from domain.task import Priority, Recurrence, Task, position_at
from domain.task_list import TaskList

PRIORITY_RANK = {priority: priority.rank for priority in Priority}
PRIORITY_BY_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}

_FIELD_OF_COLUMN = {"user_id": "owner_id"}
_MADE_FROM_TASK: dict[str, Callable[[Task], Any]] = {
    "title_key": attrgetter("title_key"),
    "search_key": attrgetter("search_text"),
}
_TO_COLUMN: dict[str, Callable[[Any], Any]] = {
    "priority": PRIORITY_RANK.__getitem__,
    "tags": list,
    "recurrence": lambda recurrence: None if recurrence is None else recurrence.value,
}
_TO_FIELD: dict[str, Callable[[Any], Any]] = {
    "priority": PRIORITY_BY_RANK.__getitem__,
    "tags": tuple,
    "recurrence": lambda value: None if value is None else Recurrence(value),
}
# (column, field) for every column that holds a field: as they are, then those converted.
_HELD = [
    (column.name, _FIELD_OF_COLUMN.get(column.name, column.name))
    for column in tasks_table.columns
    if column.name not in _MADE_FROM_TASK
]
_AS_IS = [(column, field) for column, field in _HELD if column not in _TO_FIELD]
_CONVERTED = [
    (column, field, _TO_COLUMN[column], _TO_FIELD[column]) for column, field in _HELD if column in _TO_FIELD
]
if {field for _, field in _HELD} != {f.name for f in fields(Task)}:
    raise TypeError(
        "each field of Task needs a column of the tasks table (tables.py), and each column a field"
    )


def task_to_row(task: Task) -> dict[str, Any]:
    row = {column: getattr(task, field) for column, field in _AS_IS}
    for column, field, to_column, _ in _CONVERTED:
        row[column] = to_column(getattr(task, field))
    for column, make in _MADE_FROM_TASK.items():
        row[column] = make(task)
    return row


def row_to_task(row: Mapping[Any, Any]) -> Task:
    """A row as statements.Compiled.row reads it: times already aware, in UTC."""
    values = {field: row[column] for column, field in _AS_IS}
    for column, field, _, to_field in _CONVERTED:
        values[field] = to_field(row[column])
    return Task(**values)


# --- The idempotency snapshot: the row but its owner (the snapshot's row has its own), as JSON ---

_SNAPSHOT = [column for column, _ in _HELD if column != "user_id"]
_READ_BACK: dict[str, Callable[[Any], Any]] = {
    column.name: datetime.fromisoformat if isinstance(column.type, DateTime) else UUID
    for column in tasks_table.columns
    if isinstance(column.type, DateTime | Uuid)
}


def task_to_snapshot(task: Task) -> dict[str, Any]:
    """The priority stays named, as the snapshots of earlier releases have it, so that a release
    before this one can still read a snapshot this one wrote (a rollback within a key's life)."""
    row = task_to_row(task)
    snapshot = {column: _json(row[column]) for column in _SNAPSHOT}
    snapshot["priority"] = task.priority.value
    return snapshot


def snapshot_to_task(owner_id: str, snapshot: Mapping[str, Any]) -> Task:
    """A snapshot taken before tasks had a column lacks it: its default (None) is what such a task
    had. The priority is named (task_to_snapshot), and a rank is read too."""
    row: dict[str, Any] = {"user_id": owner_id}
    for column in _SNAPSHOT:
        value = snapshot.get(column)
        read_back = _READ_BACK.get(column)
        row[column] = value if value is None or read_back is None else read_back(value)
    if isinstance(row["priority"], str):
        row["priority"] = Priority(row["priority"]).rank
    if row["position"] is None:  # taken before tasks had places: it was in the Inbox, in creation order
        row["position"] = position_at(row["created_at"])
    return row_to_task(row)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, UUID) else value


# --- Lists: each column holds the TaskList field of its name (`user_id` holds `owner_id`) ---

_LIST_COLUMNS = [
    (column.name, _FIELD_OF_COLUMN.get(column.name, column.name)) for column in lists_table.columns
]
if {field for _, field in _LIST_COLUMNS} != {f.name for f in fields(TaskList)}:
    raise TypeError(
        "each field of TaskList needs a column of the lists table (tables.py), and each column a field"
    )


def list_to_row(task_list: TaskList) -> dict[str, Any]:
    return {column: getattr(task_list, field) for column, field in _LIST_COLUMNS}


def row_to_list(row: Mapping[Any, Any]) -> TaskList:
    return TaskList(**{field: row[column] for column, field in _LIST_COLUMNS})
