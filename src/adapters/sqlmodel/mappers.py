"""Data mappers between the domain's Task and the tasks table's rows."""

from collections.abc import Mapping
from typing import Any

from domain.task import Priority, Recurrence, Task

PRIORITY_RANK = {priority: priority.rank for priority in Priority}
PRIORITY_BY_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}


def task_to_row(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "user_id": task.owner_id,
        "title": task.title,
        "description": task.description,
        "priority": PRIORITY_RANK[task.priority],
        "tags": list(task.tags),
        "due_at": task.due_at,
        "recurrence": None if task.recurrence is None else task.recurrence.value,
        "completed": task.completed,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
        "version": task.version,
        "successor_id": task.successor_id,
        "title_key": task.title_key,
        "search_key": task.search_text,
    }


def row_to_task(row: Mapping[Any, Any]) -> Task:
    """A row as statements.Compiled.row reads it: times already aware, in UTC."""
    recurrence = row["recurrence"]
    return Task(
        id=row["id"],
        owner_id=row["user_id"],
        title=row["title"],
        description=row["description"],
        priority=PRIORITY_BY_RANK[row["priority"]],
        tags=tuple(row["tags"]),
        due_at=row["due_at"],
        recurrence=None if recurrence is None else Recurrence(recurrence),
        completed=row["completed"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
        version=row["version"],
        successor_id=row["successor_id"],
    )
