"""Idempotency keys over SQL: one upsert claims a key, and the unique (owner, key) pair settles races."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqlmodel.mappers import utc
from adapters.sqlmodel.tables import idempotency_keys_table
from application.idempotency import IdempotencyKeys, IdempotentCreation
from domain.task import Priority, Recurrence, Task

_k = idempotency_keys_table.c
_TAKEN_OVER = ("request_hash", "task_id", "task_snapshot", "created_at", "expires_at")


class SqlIdempotencyKeys(IdempotencyKeys):
    def __init__(self, owner_id: str, session: AsyncSession) -> None:
        super().__init__(owner_id)
        self._session = session

    async def _claim(self, owner_id: str, creation: IdempotentCreation) -> IdempotentCreation | None:
        """INSERT ... ON CONFLICT DO UPDATE ... WHERE expired, RETURNING: one statement that takes a
        new key, takes over an expired one, or leaves a live one alone (and returns nothing).

        On PostgreSQL a claim that meets another transaction's uncommitted row on the unique index
        waits for it: after a commit it sees the winner's row, after a rollback it inserts its own.
        SQLite has one writer at a time, so the same holds there. The row is then read in a fresh
        statement, which (at READ COMMITTED) sees the winner's commit.
        """
        dialect = (await self._session.connection()).dialect.name
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(idempotency_keys_table)
        upsert = upsert.values(_creation_to_row(owner_id, creation))
        statement = upsert.on_conflict_do_update(
            index_elements=[_k.user_id, _k.key],
            set_={name: upsert.excluded[name] for name in _TAKEN_OVER},
            where=_k.expires_at <= creation.created_at,
        ).returning(_k.key)
        if (await self._session.execute(statement)).first() is not None:
            return None
        holder = select(idempotency_keys_table).where(_k.user_id == owner_id, _k.key == creation.key)
        return _row_to_creation((await self._session.execute(holder)).mappings().one())


def _creation_to_row(owner_id: str, creation: IdempotentCreation) -> dict[str, Any]:
    return {
        "user_id": owner_id,
        "key": creation.key,
        "request_hash": creation.request_hash,
        "task_id": creation.task.id,
        "task_snapshot": _snapshot(creation.task),
        "created_at": creation.created_at,
        "expires_at": creation.expires_at,
    }


def _row_to_creation(row: Mapping[Any, Any]) -> IdempotentCreation:
    return IdempotentCreation(
        key=row["key"],
        request_hash=row["request_hash"],
        task=_from_snapshot(row["user_id"], row["task_snapshot"]),
        created_at=utc(row["created_at"]),
        expires_at=utc(row["expires_at"]),
    )


def _snapshot(task: Task) -> dict[str, Any]:
    """Every field of the task but its owner (the row's own), as JSON values."""
    return {
        "id": str(task.id),
        "title": task.title,
        "description": task.description,
        "priority": task.priority.value,
        "tags": list(task.tags),
        "due_at": _text(task.due_at),
        "recurrence": None if task.recurrence is None else task.recurrence.value,
        "completed": task.completed,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "completed_at": _text(task.completed_at),
        "version": task.version,
    }


def _from_snapshot(owner_id: str, snapshot: Mapping[str, Any]) -> Task:
    recurrence = snapshot["recurrence"]
    return Task(
        id=UUID(snapshot["id"]),
        owner_id=owner_id,
        title=snapshot["title"],
        description=snapshot["description"],
        priority=Priority(snapshot["priority"]),
        tags=tuple(snapshot["tags"]),
        due_at=_time(snapshot["due_at"]),
        recurrence=None if recurrence is None else Recurrence(recurrence),
        completed=snapshot["completed"],
        created_at=datetime.fromisoformat(snapshot["created_at"]),
        updated_at=datetime.fromisoformat(snapshot["updated_at"]),
        completed_at=_time(snapshot["completed_at"]),
        version=snapshot["version"],
    )


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
