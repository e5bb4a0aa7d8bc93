"""The purge of expired rows over SQL: every owner's, in batches of a bounded size.

On PostgreSQL the owner policies hide other owners' idempotency keys from any transaction; the
purge's transaction sets `app.purge` to 'expired', which migration 0008's policies answer by
showing it (and letting it delete) expired keys, and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Integer, and_, bindparam, delete, func, select, tuple_
from sqlalchemy.engine import Dialect

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import changes_table, idempotency_keys_table, rate_limits_table
from adapters.sqlmodel.unit_of_work import UnscopedWork
from application.ports import ExpiredRecords

_k = idempotency_keys_table.c
_r = rate_limits_table.c
_c = changes_table.c
_LIMIT = bindparam("limit", type_=Integer())

_PURGING = Statement(select(func.set_config("app.purge", "expired", True)))
_EXPIRED_KEYS = Statement(
    delete(idempotency_keys_table).where(
        tuple_(_k.user_id, _k.key).in_(
            select(_k.user_id, _k.key)
            .where(_k.expires_at <= bindparam("now", type_=_k.expires_at.type))
            .limit(_LIMIT)
        )
    )
)
_REGAINED_RATES = Statement(
    delete(rate_limits_table).where(
        _r.key.in_(
            select(_r.key).where(_r.refilled_at <= bindparam("now", type_=_r.refilled_at.type)).limit(_LIMIT)
        )
    )
)

_PURGING_CHANGES = Statement(select(func.set_config("app.purge_changes_before", bindparam("before"), True)))


def _old_changes(dialect: Dialect) -> Delete:
    """Changes made before `before`, at most `limit`. SQLite keeps each owner's last one, whatever
    its age: it is where their next position counts from (PostgreSQL has a counter for that)."""
    old = _c.changed_at < bindparam("before", type_=_c.changed_at.type)
    if dialect.name != "postgresql":
        later = changes_table.alias("later")
        last = select(func.max(later.c.seq)).where(later.c.user_id == _c.user_id).scalar_subquery()
        old = and_(old, _c.seq < last)
    chosen = select(_c.user_id, _c.seq).where(old).limit(_LIMIT)
    return delete(changes_table).where(tuple_(_c.user_id, _c.seq).in_(chosen))


_OLD_CHANGES = Statement(_old_changes)


class SqlExpiredRecords(ExpiredRecords):
    def __init__(self, database: Database[Any]) -> None:
        self._database = database

    async def purge_idempotency_keys(self, now: datetime, limit: int) -> int:
        async with UnscopedWork(database=self._database) as work:
            if self._database.name == "postgresql":
                await work.transaction.fetch(_PURGING)
            deleted = await work.transaction.execute(_EXPIRED_KEYS, {"now": now, "limit": limit})
            await work.commit()
        return deleted

    async def purge_rate_limits(self, now: datetime, limit: int) -> int:
        async with UnscopedWork(database=self._database) as work:
            values = {"now": now.timestamp(), "limit": limit}
            deleted = await work.transaction.execute(_REGAINED_RATES, values)
            await work.commit()
        return deleted

    async def purge_changes(self, before: datetime, limit: int) -> int:
        async with UnscopedWork(database=self._database) as work:
            if self._database.name == "postgresql":
                await work.transaction.fetch(_PURGING)
                await work.transaction.fetch(_PURGING_CHANGES, {"before": before.isoformat()})
            deleted = await work.transaction.execute(_OLD_CHANGES, {"before": before, "limit": limit})
            await work.commit()
        return deleted
