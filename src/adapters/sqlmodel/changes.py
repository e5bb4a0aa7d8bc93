"""The change log over SQL: read by owner, past a position (the primary key's order). The rows are
written by the database's own triggers, in each change's transaction (migration 0011)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.statements import Statement, upsert_into
from adapters.sqlmodel.tables import change_counters_table, change_listeners_table, changes_table
from application.ports import ChangeLog
from application.sync import Change

_c = changes_table.c
_SINCE = Statement(
    select(_c.seq, _c.kind, _c.item_id, _c.op)
    .where(_c.user_id == bindparam("owner"), _c.seq > bindparam("after"))
    .order_by(_c.seq)
    .limit(bindparam("limit"))
)
_HEAD = Statement(
    select(change_counters_table.c.last_seq).where(change_counters_table.c.user_id == bindparam("owner"))
)


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
        return 0 if row is None else int(row["last_seq"])

    async def _listen(self, owner_id: str, until: datetime) -> None:
        await self._transaction.execute(_LISTEN, {"user_id": owner_id, "until": until})
