"""The change log over SQL: read by owner, past a position (the primary key's order), and written
in each change's transaction: an update's or a deletion's by the database's own triggers
(migration 0011), a new row's with its INSERT, the busiest write, where a trigger costs the most:
on PostgreSQL by the INSERT statement itself (`logged_insert`), on SQLite by a second INSERT held
back with it (`log_new`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Table, bindparam, false, func, insert, literal, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.statements import Statement, upsert_into
from adapters.sqlmodel.tables import change_counters_table, change_listeners_table, changes_table
from application.ports import ChangeLog
from application.sync import Change

_c = changes_table.c
CHANNEL = "tasks_changes"  # what log_change_of notifies (migration 0011), the owner as payload
_SINCE = Statement(
    select(_c.seq, _c.kind, _c.item_id, _c.op)
    .where(_c.user_id == bindparam("owner"), _c.seq > bindparam("after"))
    .order_by(_c.seq)
    .limit(bindparam("limit"))
)


def _head(dialect: Dialect) -> Select[Any]:
    """PostgreSQL: the owner's counter. SQLite: the owner's last entry (the purge keeps it)."""
    if dialect.name == "postgresql":
        counters = change_counters_table.c
        return select(counters.last_seq).where(counters.user_id == bindparam("owner"))
    return select(func.max(_c.seq).label("last_seq")).where(_c.user_id == bindparam("owner"))


_HEAD = Statement(_head)
# A new row's entry, on SQLite: at the owner's last position plus one, read in the writing
# transaction (one writer at a time: commit order).
_LOG_NEW = Statement(
    insert(changes_table).from_select(
        ["user_id", "seq", "kind", "item_id", "op", "changed_at"],
        select(
            bindparam("owner", type_=_c.user_id.type),
            func.coalesce(func.max(_c.seq), 0) + 1,
            bindparam("kind", type_=_c.kind.type),
            bindparam("item_id", type_=_c.item_id.type),
            literal("upsert", type_=_c.op.type),
            bindparam("changed_at", type_=_c.changed_at.type),
        ).where(_c.user_id == bindparam("owner", type_=_c.user_id.type)),
    )
)


def logged_insert(table: Table, kind: str) -> Callable[[Dialect], ClauseElement]:
    """A row's INSERT (all its columns bound by name), which on PostgreSQL also logs it, in the
    same statement: RETURNING log_change_of(...) (migration 0011) takes the owner's counter (held to
    the COMMIT: whoever commits later gets a later position), writes the entry, and notifies if
    some stream listens for the owner. On SQLite the plain INSERT: `log_new` logs the row."""

    def build(dialect: Dialect) -> ClauseElement:
        if dialect.name != "postgresql":
            return insert(table)
        logged = func.log_change_of(literal(kind), false(), table.c.id, table.c.user_id)
        return insert(table).returning(logged.label("position"))

    return build


async def log_new(transaction: Transaction[Any], kind: str, owner_id: str, item_id: UUID) -> None:
    """Log a row just added (held back with it), where its INSERT did not."""
    if not transaction.database.inserts_log_themselves:
        values = {"owner": owner_id, "kind": kind, "item_id": item_id, "changed_at": datetime.now(UTC)}
        await transaction.write(_LOG_NEW, values)


def _listen(dialect: Dialect) -> Insert:
    upsert = upsert_into(change_listeners_table, dialect)
    return upsert.on_conflict_do_update(
        index_elements=[change_listeners_table.c.user_id], set_={"until": upsert.excluded.until}
    )


_LISTEN = Statement(_listen)


class SqlChangeLog(ChangeLog):
    def __init__(self, owner_id: str, transaction: Transaction[Any]) -> None:
        super().__init__(owner_id)
        self._transaction = transaction

    async def _since(self, owner_id: str, position: int, limit: int) -> list[Change]:
        rows = await self._transaction.fetch(_SINCE, {"owner": owner_id, "after": position, "limit": limit})
        return [Change(row["seq"], row["kind"], row["item_id"], row["op"] == "delete") for row in rows]

    async def _head(self, owner_id: str) -> int:
        row = await self._transaction.fetch_one(_HEAD, {"owner": owner_id})
        return 0 if row is None or row["last_seq"] is None else int(row["last_seq"])

    async def _listen(self, owner_id: str, until: datetime) -> None:
        await self._transaction.execute(_LISTEN, {"user_id": owner_id, "until": until})
