"""Rate limits over SQL, by the generic cell rate algorithm (GCRA): one row per key, holding the
time by which every hit counted so far is regained, moved on by one upsert per hit.

A hit at `now` moves that time to max(time, now) + interval, and is allowed when the new time is
at most `now + period` (within the allowance). The upsert does it in one statement, on the
conflicting row's lock, so concurrent hits from every worker and replica are counted exactly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, bindparam, case, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.statements import Statement, upsert_into
from adapters.sqlmodel.tables import rate_limits_table
from adapters.sqlmodel.unit_of_work import UnscopedWork
from application.limits import Rate
from application.ports import RateLimiter

_r = rate_limits_table.c


def _now() -> Any:
    return bindparam("now", type_=Double())


def _hit(dialect: Dialect) -> Insert:
    """INSERT (a first hit) ... ON CONFLICT DO UPDATE ... WHERE within the allowance, RETURNING:
    a refused hit changes nothing and returns no row."""
    upsert = upsert_into(rate_limits_table, dialect)
    moved_on = case((_r.refilled_at > _now(), _r.refilled_at), else_=_now()) + bindparam(
        "interval", type_=Double()
    )
    return upsert.on_conflict_do_update(
        index_elements=[_r.key],
        set_={"refilled_at": moved_on},
        where=moved_on <= bindparam("horizon", type_=Double()),
    ).returning(_r.refilled_at)


_HIT = Statement(_hit)
_REFILLED_AT = Statement(select(_r.refilled_at).where(_r.key == bindparam("wanted")))


class SqlRateLimiter(RateLimiter):
    def __init__(self, database: Database[Any]) -> None:
        self._database = database

    async def hit(self, key: str, rate: Rate, now: datetime) -> float | None:
        at = now.timestamp()
        values = {
            "key": key,
            "refilled_at": at + rate.interval_seconds,  # a first hit, or one after a purge
            "now": at,
            "interval": rate.interval_seconds,
            "horizon": at + rate.period_seconds,
        }
        async with UnscopedWork(database=self._database) as work:
            allowed = await work.transaction.fetch(_HIT, values)
            row = None if allowed else await work.transaction.fetch_one(_REFILLED_AT, {"wanted": key})
            await work.commit()
        if allowed or row is None:  # None: purged in between, as good as allowed next time
            return None
        refilled_at: float = row["refilled_at"]
        return max(refilled_at, at) + rate.interval_seconds - rate.period_seconds - at
