"""Idempotency keys over SQL: one upsert claims a key, and the unique (owner, key) pair settles races."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.mappers import snapshot_to_task, task_to_snapshot
from adapters.sqlmodel.statements import Statement, upsert_into
from adapters.sqlmodel.tables import idempotency_keys_table
from application.idempotency import IdempotentCreation
from application.ports import IdempotencyKeys

_k = idempotency_keys_table.c
_TAKEN_OVER = ("request_hash", "task_id", "task_snapshot", "created_at", "expires_at")


def _claim(dialect: Dialect) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE ... WHERE expired, RETURNING: one statement that takes a
    new key, takes over an expired one, or leaves a live one alone (and returns nothing)."""
    upsert = upsert_into(idempotency_keys_table, dialect)
    return upsert.on_conflict_do_update(
        index_elements=[_k.user_id, _k.key],
        set_={name: upsert.excluded[name] for name in _TAKEN_OVER},
        where=_k.expires_at <= bindparam("claimed_at", type_=_k.expires_at.type),
    ).returning(_k.key)


_CLAIM = Statement(_claim)
_HOLDER = Statement(
    select(idempotency_keys_table).where(_k.user_id == bindparam("owner"), _k.key == bindparam("wanted_key"))
)


class SqlIdempotencyKeys(IdempotencyKeys):
    def __init__(self, owner_id: str, transaction: Transaction[Any]) -> None:
        super().__init__(owner_id)
        self._transaction = transaction

    async def _claim(self, owner_id: str, creation: IdempotentCreation) -> IdempotentCreation | None:
        """On PostgreSQL a claim that meets another transaction's uncommitted row on the unique index
        waits for it: after a commit it sees the winner's row, after a rollback it inserts its own.
        SQLite has one writer at a time, so the same holds there. The row is then read in a fresh
        statement, which (at READ COMMITTED) sees the winner's commit.
        """
        values = {**_creation_to_row(owner_id, creation), "claimed_at": creation.created_at}
        if await self._transaction.fetch(_CLAIM, values):
            return None
        row = await self._transaction.fetch_one(_HOLDER, {"owner": owner_id, "wanted_key": creation.key})
        assert row is not None  # the conflict was with this very row, which is never deleted
        return _row_to_creation(row)


def _creation_to_row(owner_id: str, creation: IdempotentCreation) -> dict[str, Any]:
    return {
        "user_id": owner_id,
        "key": creation.key,
        "request_hash": creation.request_hash,
        "task_id": creation.task.id,
        "task_snapshot": task_to_snapshot(creation.task),
        "created_at": creation.created_at,
        "expires_at": creation.expires_at,
    }


def _row_to_creation(row: Mapping[Any, Any]) -> IdempotentCreation:
    return IdempotentCreation(
        key=row["key"],
        request_hash=row["request_hash"],
        task=snapshot_to_task(row["user_id"], row["task_snapshot"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )
