"""The change log over SQL: read by owner, past a position (the primary key's order), and written
in each change's transaction: an update's or a deletion's by the database's own triggers
(migration 0011), a new row's with its INSERT, the busiest write, where a trigger costs the most:
on PostgreSQL by the INSERT statement itself, on SQLite by a second INSERT held back with it
(`add_logged`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, false, func, insert, literal, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import change_counters_table, changes_table
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


class LoggedInsert:
    """A new task's or list's INSERT (all its columns bound by name), which on PostgreSQL also logs
    it in the same statement: the owner's counter is taken (and held to the COMMIT: whoever commits
    later gets a later position), the entry written, and the channel notified if some stream listens
    for the owner. Two forms, for where it is sent (pgbench, creates against no log: 0.86x and 0.63x
    for the WITHs with and without a statement cache, 0.79x and 0.75x for the function):
    - `direct`: data-modifying WITHs, planned once per connection (asyncpg's statement cache);
    - `pooled`: behind a transaction-mode pooler nothing stays prepared, and the WITHs would be
      planned afresh for every creation, so RETURNING log_change_of(...) (migration 0011), whose
      plans its server connection keeps.
    On SQLite both are the plain INSERT: `add_logged` holds a second INSERT back with it."""

    __slots__ = ("direct", "pooled")

    def __init__(self, table: Table, kind: str) -> None:
        self.direct = Statement(lambda dialect: _logged_by_withs(table, kind, dialect))
        self.pooled = Statement(lambda dialect: _logged_by_function(table, kind, dialect))


def _logged_by_withs(table: Table, kind: str, dialect: Dialect) -> ClauseElement:
    if dialect.name != "postgresql":
        return insert(table)
    new = insert(table).returning(table.c.id, table.c.user_id).cte("new")
    counters = change_counters_table
    taken = postgresql.insert(counters).from_select(
        ["user_id", "last_seq"], select(new.c.user_id, literal(1))
    )
    taken = taken.on_conflict_do_update(
        index_elements=[counters.c.user_id], set_={"last_seq": counters.c.last_seq + 1}
    )
    # RETURNING gives the row's latest version, whatever the snapshot: whether a stream listens now.
    taken_now = taken.returning(counters.c.user_id, counters.c.last_seq, counters.c.listened_until)
    counter = taken_now.cte("counter")
    entry = (
        insert(changes_table)
        .from_select(
            ["user_id", "seq", "kind", "item_id", "op", "changed_at"],
            select(
                counter.c.user_id, counter.c.last_seq, literal(kind), new.c.id, literal("upsert"), func.now()
            ).select_from(new.join(counter, true())),
        )
        .returning(changes_table.c.user_id)
        .cte("logged")
    )
    # The main statement, so that it runs (a WITH that nothing reads does not, unless it writes).
    return (
        select(func.pg_notify(literal(CHANNEL), entry.c.user_id))
        .select_from(entry.join(counter, true()))
        .where(counter.c.listened_until > func.now())
    )


def _logged_by_function(table: Table, kind: str, dialect: Dialect) -> ClauseElement:
    if dialect.name != "postgresql":
        return insert(table)
    logged = func.log_change_of(literal(kind), false(), table.c.id, table.c.user_id)
    return insert(table).returning(logged.label("position"))


async def add_logged(
    transaction: Transaction[Any], statement: LoggedInsert, kind: str, row: Mapping[str, Any]
) -> None:
    """Insert a new row (`row`: its columns) and log it, in the writing transaction."""
    database = transaction.database
    await transaction.write(statement.pooled if database.pooled else statement.direct, row)
    if not database.inserts_log_themselves:
        values = {
            "owner": row["user_id"],
            "kind": kind,
            "item_id": row["id"],
            "changed_at": datetime.now(UTC),
        }
        await transaction.write(_LOG_NEW, values)


def _listen(dialect: Dialect) -> Insert:
    """A stream listens for the owner, on their counter row (made at 0 if they have no change yet),
    whose lock orders this with every change of theirs (migration 0012 says why)."""
    upsert = postgresql.insert(change_counters_table).values(
        user_id=bindparam("owner"), last_seq=0, listened_until=bindparam("until")
    )
    return upsert.on_conflict_do_update(
        index_elements=[change_counters_table.c.user_id],
        set_={"listened_until": upsert.excluded.listened_until},
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
        if self._transaction.database.name == "postgresql":  # SQLite notifies no other process
            await self._transaction.execute(_LISTEN, {"owner": owner_id, "until": until})
